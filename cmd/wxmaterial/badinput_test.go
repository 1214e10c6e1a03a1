package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// TestUsageErrors: unknown commands, flags and kinds, missing arguments and
// commands the platform lacks exit 2 and send nothing.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	file := writeFile(t, name, png)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage: wxmaterial"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--bogus", "count"}, "unknown flag --bogus"},
		{[]string{"upload", "--bogus", file}, "unknown flag --bogus"},
		{[]string{"download", "-o"}, "flag -o needs a value"},
		{[]string{"-q", "-v", "count"}, "-q and -v exclude each other"},
		{[]string{"count", "--plain-token", "--stable-token"}, "--plain-token and --stable-token exclude each other"},
		{[]string{"--version", "count"}, "--version takes no command"},
		{[]string{"upload", "--kind", "sticker", file}, `kind "sticker": unknown kind`},
		{[]string{"upload", "--kind", "file", file}, "take no file"},
		{[]string{"upload"}, "no file given"},
		{[]string{"upload", "--title", "x", file}, "add --permanent"},
		{[]string{"list", "--kind", "thumb"}, "thumbs are listed with images"},
		{[]string{"download"}, "give exactly one media id"},
		{[]string{"delete"}, "no media id given"},
		{[]string{"backup"}, "give one backup folder"},
		{[]string{"upload-url", "--url", "http://127.0.0.1/x.mp4"}, "has no upload by URL"},
		{[]string{"--platform", "qq", "count"}, `unknown platform "qq"`},
		{[]string{"emulator", "start"}, "one subcommand: serve"},
	} {
		r := s.run(t, tc.args...)
		r.fails(t, exitUsage, tc.want)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("usage errors sent %d requests: %+v", n, s.Requests())
	}

	// Credentials: incomplete ones, and --base-url without any.
	cli(t, []string{"WECHAT_APPID=wx1"}, "count").fails(t, exitUsage, "missing --secret or $WECHAT_SECRET")
	cli(t, nil, "--base-url", s.url+"/oa", "count").fails(t, exitUsage, "--base-url needs credentials")
	cli(t, []string{"WECOM_CORPID=ww1", "WECOM_AGENTID=abc", "WECOM_SECRET=x"}, "count").fails(t, exitUsage, `agentid "abc"`)

	// -h and help print usage on stdout and succeed.
	for _, args := range [][]string{{"-h"}, {"help"}, {"help", "upload"}, {"upload", "-h"}, {"emulator", "serve", "-h"}} {
		out := cli(t, nil, args...).ok(t)
		if !strings.Contains(out, "Usage: wxmaterial") {
			t.Fatalf("%v printed no usage:\n%s", args, out)
		}
	}
}

// TestBadFiles: a missing file, one over the limit and one in the wrong
// format fail with exit 1 and a message naming the problem, before
// anything is sent; a batch with one bad file sends none of the others.
func TestBadFiles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	good := writeFile(t, name, png)
	_, jpg := sample(t, material.KindThumb)
	bigThumb := writeFile(t, "big.jpg", append(append([]byte(nil), jpg...), bytes.Repeat([]byte{0}, 70<<10)...))
	fakePNG := writeFile(t, "notes.png", []byte("these are plain text notes, not an image"))
	bigImage := writeFile(t, "huge.png", append(append([]byte(nil), png...), bytes.Repeat([]byte{0}, 10<<20)...))

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upload", good, "/no/such/file.png"}, "no such file"},
		{[]string{"upload", "--kind", "thumb", bigThumb}, "is over the 64 KB (65536 bytes) limit"},
		{[]string{"upload", "--permanent", good, bigImage}, "is over the 10 MB (10485760 bytes) limit"},
		{[]string{"upload", fakePNG}, "not a recognisable"},
		{[]string{"upload", "--image-url", bigImage}, "limit"},
	} {
		s.run(t, tc.args...).fails(t, exitFailure, tc.want)
	}
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, "upload") || strings.Contains(r.Path, "add_material") {
			t.Fatalf("a refused file was sent: %s %s", r.Method, r.Path)
		}
	}
}
