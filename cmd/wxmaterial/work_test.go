package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// TestWeComUploadURL runs upload-url on the embedded emulator's WeCom
// agent: the job fetches a file from a test server that answers Range
// requests, and the media it made downloads byte for byte; a wrong md5
// fails the job with its code.
func TestWeComUploadURL(t *testing.T) {
	t.Parallel()
	name, mp4 := sample(t, material.KindVideo)
	files := serveFile(t, name, mp4)
	state := t.TempDir()
	flags := append(embedded(state), "--platform", "work")

	var res uploadURLResult
	cli(t, nil, append(flags, "upload-url", "--url", files.URL+"/v/"+name, "--json")...).decode(t, &res)
	if res.State != "finished" || res.MediaID == "" || res.Kind != material.KindVideo || res.Name != name {
		t.Fatalf("upload-url: %+v", res)
	}
	dir := t.TempDir()
	var d downloadResult
	cli(t, nil, append(flags, "download", res.MediaID, "-o", dir, "--json")...).decode(t, &d)
	if got, _ := os.ReadFile(d.Path); !bytes.Equal(got, mp4) {
		t.Fatalf("the job's media downloaded as %q differs from the file served", d.Path)
	}

	sum := md5.Sum(append([]byte("x"), mp4...))
	r := cli(t, nil, append(flags, "upload-url", "--url", files.URL+"/v/"+name, "--md5", hex.EncodeToString(sum[:]))...)
	r.fails(t, exitFailure, "301019")

	cli(t, nil, append(flags, "upload-url", "--url", files.URL+"/v/"+name, "--kind", "image")...).fails(t, exitUsage, "video or file")
}

// TestWeComTemporary uploads an image and a file to the WeCom agent, with
// the credentials of a standalone emulator, and downloads them back.
func TestWeComTemporary(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	env, flags := s.work()
	_, png := sample(t, material.KindImage)
	doc := bytes.Repeat([]byte("a WeCom file; "), 100)
	files := []string{writeFile(t, "图.png", png), writeFile(t, "report.txt", doc)}
	var up []uploadResult
	cli(t, env, append(flags, append([]string{"upload", "--json"}, files...)...)...).decode(t, &up)
	if len(up) != 2 || up[0].Kind != material.KindImage || up[1].Kind != material.KindFile {
		t.Fatalf("upload: %+v", up)
	}
	dir := t.TempDir()
	for i, want := range [][]byte{png, doc} {
		var d downloadResult
		cli(t, env, append(flags, "download", up[i].MediaID, "-o", dir, "--json")...).decode(t, &d)
		got, _ := os.ReadFile(d.Path)
		if !bytes.Equal(got, want) || !strings.HasSuffix(d.Path, []string{"图.png", "report.txt"}[i]) {
			t.Fatalf("download %d: %q, same bytes %v", i, d.Path, bytes.Equal(got, want))
		}
	}
	// A kind WeCom lacks, and a voice that is not AMR: refused before sending.
	s.ResetRequests()
	_, thumb := sample(t, material.KindThumb)
	cli(t, env, append(flags, "upload", "--kind", "thumb", writeFile(t, "t.jpg", thumb))...).fails(t, exitUsage, "take no thumb")
	cli(t, env, append(flags, "upload", "--kind", "voice", writeFile(t, "v.mp3", []byte("ID3\x03\x00\x00\x00\x00\x00\x00not amr")))...).fails(t, exitFailure, "amr")
	if n := s.calls("/cgi-bin/media/upload"); n != 0 {
		t.Fatalf("%d refused uploads were sent", n)
	}
}
