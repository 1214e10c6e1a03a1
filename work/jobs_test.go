package work_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// TestJobFailures checks that each failed job comes back as a
// *material.JobError with its code, its job id and the right sentinels,
// from the waiter and from a single query.
func TestJobFailures(t *testing.T) {
	good := newPattern(4096)
	goodMD5 := md5Of(t, good)
	tests := []struct {
		name    string
		kind    material.Kind
		handler http.Handler
		md5     string
		code    int
		want    []error
	}{
		{
			name: "no Range support", kind: material.KindFile, md5: goodMD5, code: 830001,
			want: []error{material.ErrFetchFailed},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "4096")
				http.ServeContent(w, &http.Request{Method: r.Method, Header: http.Header{}, URL: r.URL}, "f.bin", time.Time{}, good.section())
			}),
		},
		{
			name: "download fails", kind: material.KindFile, md5: goodMD5, code: 830003,
			want:    []error{material.ErrFetchFailed},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusInternalServerError) }),
		},
		{
			name: "five bytes", kind: material.KindFile, md5: hex.EncodeToString(md5Sum([]byte("12345"))), code: 45001,
			want: []error{material.ErrInvalidSize},
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.ServeContent(w, r, "f.bin", time.Time{}, strings.NewReader("12345"))
			}),
		},
		{
			name: "md5 mismatch", kind: material.KindFile, md5: strings.Repeat("0", 32), code: 301019,
			want:    []error{material.ErrChecksum},
			handler: serveHandler(good),
		},
		{
			name: "video not MP4", kind: material.KindVideo, md5: goodMD5, code: emulator.CodeJobNotMP4,
			want:    []error{material.ErrInvalidFormat},
			handler: serveHandler(good),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			src := httptest.NewServer(tt.handler)
			defer src.Close()
			id, err := e.c.UploadByURL(t.Context(), material.URLUpload{Kind: tt.kind, Filename: "f.bin", URL: src.URL + "/f.bin", MD5: tt.md5})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.c.WaitUploadByURL(t.Context(), id)
			var je *material.JobError
			if !errors.As(err, &je) {
				t.Fatalf("WaitUploadByURL: err = %v, want a *material.JobError", err)
			}
			if je.JobID != id || je.Code != tt.code || je.Message == "" {
				t.Errorf("JobError = %+v, want job %q, code %d and a message", je, id, tt.code)
			}
			for _, target := range tt.want {
				if !errors.Is(err, target) {
					t.Errorf("err = %v, want it to match %v", err, target)
				}
			}
			j, err := e.c.UploadByURLResult(t.Context(), id)
			if err != nil || j.State != material.JobFailed || j.Err == nil || *j.Err != *je {
				t.Errorf("UploadByURLResult = %+v, %v; want failed with %+v", j, err, je)
			}
		})
	}
}

func serveHandler(g *patternReader) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f.bin", time.Time{}, g.section())
	})
}

func md5Sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}

// TestJobNotFound checks that an unknown job and one older than 60 minutes
// match material.ErrNotFound (the platform answers 40058).
func TestJobNotFound(t *testing.T) {
	e := newEnv(t, nil)
	g := newPattern(100)
	id, err := e.c.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: serveFile(t, "a.bin", g), MD5: md5Of(t, g)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.c.WaitUploadByURL(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(material.JobLifetime + time.Second)
	for _, tt := range []struct{ name, id string }{{"unknown", "jobid_nonesuch"}, {"expired", id}} {
		_, err := e.c.UploadByURLResult(t.Context(), tt.id)
		var apiErr *material.APIError
		if !errors.Is(err, material.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Code != work.CodeJobNotFound {
			t.Errorf("UploadByURLResult(%s): err = %v, want 40058 matching material.ErrNotFound", tt.name, err)
		}
		if _, err := e.c.WaitUploadByURL(t.Context(), tt.id); !errors.Is(err, material.ErrNotFound) {
			t.Errorf("WaitUploadByURL(%s): err = %v, want material.ErrNotFound", tt.name, err)
		}
	}
	// The media outlives its job.
	c, err := e.c.Download(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestLargeUploadByURL uploads a 60 MB file by URL from a local server that
// generates it (nothing of it is held in memory), waits for the job, then
// downloads it in four Range chunks of 16 MiB (the default) or less, one of
// them cut off mid-way and resumed, and compares SHA-256.
func TestLargeUploadByURL(t *testing.T) {
	if testing.Short() {
		t.Skip("60 MB over loopback")
	}
	const size = 60 << 20
	const cut = 5_000_000
	g := mp4Header(newPattern(size))
	sum := md5Of(t, g)
	e := newEnv(t, []emulator.Option{emulator.WithDir(t.TempDir())})

	id, err := e.c.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindVideo, Filename: "film.mp4", URL: serveFile(t, "film.mp4", g), MD5: sum})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	m, err := e.c.WaitUploadByURL(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != material.KindVideo || m.ID == "" || !m.ExpiresAt.Equal(m.CreatedAt.Add(material.TemporaryLifetime)) {
		t.Errorf("WaitUploadByURL = %+v", m)
	}

	e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Match: rangeIs("bytes=16777216-33554431"), Action: emulator.TruncateBody(cut)})
	c, err := e.c.Download(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Size != size || c.Name != "film.mp4" {
		t.Errorf("Content{Name %q, Size %d}, want film.mp4, %d", c.Name, c.Size, size)
	}
	got, n := sha(t, c)
	want, _ := sha(t, g.section())
	if got != want || n != size {
		t.Errorf("downloaded %d bytes with SHA-256 %s, want %d with %s", n, got, size, want)
	}
	wantGets := []getLog{
		{Status: 200, Errcode: work.CodeUseRange},
		{Range: "bytes=0-16777215", Status: 206},
		{Range: "bytes=16777216-33554431", Status: 206, Fault: true},
		{Range: "bytes=" + strconv.Itoa(16777216+cut) + "-33554431", Status: 206},
		{Range: "bytes=33554432-50331647", Status: 206},
		{Range: "bytes=50331648-62914559", Status: 206},
	}
	if diff := cmp.Diff(wantGets, getsOf(e)); diff != "" {
		t.Errorf("media/get requests (-want +got):\n%s", diff)
	}
}

// mp4Header makes g start like an MP4 file (an ftyp box), so that the
// platform takes it as a video.
func mp4Header(g *patternReader) *patternReader {
	p := append([]byte(nil), g.pattern...)
	copy(p, "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	return &patternReader{pattern: p, size: g.size}
}

func TestMD5File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.bin")
	data := []byte(strings.Repeat("wxmaterial ", 10000))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := work.MD5File(path)
	if want := hex.EncodeToString(md5Sum(data)); err != nil || got != want {
		t.Errorf("MD5File = %q, %v; want %q", got, err, want)
	}
	if _, err := work.MD5File(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("MD5File(missing): err = %v, want os.ErrNotExist", err)
	}
}
