package officialaccount_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// tenMB is the Official Account's video limit, temporary and permanent.
const tenMB = 10 << 20

// writeVideo writes a file of size bytes that starts as an MP4.
func writeVideo(t *testing.T, size int64) string {
	t.Helper()
	_, head := sample(t, material.KindVideo)
	path := filepath.Join(t.TempDir(), "big.mp4")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(head); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// allocated returns the bytes allocated while f ran, in the whole process
// (client and emulator).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestTenMBVideo uploads a 10 MB video as temporary and permanent media and
// downloads it, streamed: an exact Content-Length, never chunked, and far
// less allocated than the file's size.
func TestTenMBVideo(t *testing.T) {
	const budget = 4 << 20 // client and emulator together; the file is 10 MB
	e := newEnv(t, setup{})
	path := writeVideo(t, tenMB)
	want := fileSHA(t, path)
	src, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Count(t.Context()); err != nil { // fetch the token first
		t.Fatal(err)
	}

	tmp, err := e.c.Upload(t.Context(), material.KindVideo, src)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	perm, err := e.c.AddVideo(t.Context(), src, material.VideoDescription{Title: "big"})
	if err != nil {
		t.Fatalf("AddVideo: %v", err)
	}
	for _, path := range []string{"/cgi-bin/media/upload", "/cgi-bin/material/add_material"} {
		rs := e.calls(path)
		if len(rs) != 1 {
			t.Fatalf("%s: %d calls, want 1", path, len(rs))
		}
		r := rs[0]
		media := r.Parts[len(r.Parts)-1]
		if media.Size != tenMB || media.SHA256 != want || len(r.TransferEncoding) != 0 || r.ContentLength < tenMB || r.ContentLength > tenMB+1024 {
			t.Errorf("%s: part of %d bytes (sha %.8s), Content-Length %d, Transfer-Encoding %q; want the 10 MB file with an exact length", path, media.Size, media.SHA256, r.ContentLength, r.TransferEncoding)
		}
	}

	c, err := e.c.Download(t.Context(), tmp.ID)
	if err != nil || c.URL == "" {
		t.Fatalf("Download(video) = %+v, %v; want a link", c, err)
	}
	c.Close()
	a, err := e.c.Get(t.Context(), perm.ID)
	if err != nil || a.Video == nil {
		t.Fatalf("Get(video) = %+v, %v; want a video", a, err)
	}
	for what, link := range map[string]string{"video_url": c.URL, "down_url": a.Video.DownURL} {
		h := sha256.New()
		var size int64
		n := allocated(func() {
			var content *material.Content
			if content, err = e.c.DownloadURL(t.Context(), link); err == nil {
				size, err = io.Copy(h, content)
				content.Close()
			}
		})
		if err != nil {
			t.Fatalf("DownloadURL(%s): %v", what, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); size != tenMB || got != want {
			t.Errorf("DownloadURL(%s): %d bytes, sha %.8s; want the 10 MB uploaded", what, size, got)
		}
		if n > budget {
			t.Errorf("DownloadURL(%s) of 10 MB allocated %d bytes; want a stream under %d", what, n, budget)
		}
	}
}

// TestTenMBStreamed uploads a 10 MB file from disk and downloads 10 MB of
// temporary image bytes through Download, on an emulator that keeps no
// bytes: the process allocates far less than the file's size.
func TestTenMBStreamed(t *testing.T) {
	e := newEnv(t, setup{emu: []emulator.Option{emulator.WithDiscard()}})
	if _, err := e.c.Count(t.Context()); err != nil { // fetch the token first
		t.Fatal(err)
	}
	_, png := sample(t, material.KindImage)
	path := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, tenMB); err != nil {
		t.Fatal(err)
	}
	src, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m material.Media
	if n := allocated(func() { m, err = e.c.Upload(t.Context(), material.KindImage, src) }); err != nil {
		t.Fatalf("Upload: %v", err)
	} else if n > 4<<20 {
		t.Errorf("Upload of 10 MB allocated %d bytes; want a stream", n)
	}
	var size int64
	n := allocated(func() {
		var c *material.Content
		if c, err = e.c.Download(t.Context(), m.ID); err == nil {
			size, err = io.Copy(io.Discard, c)
			c.Close()
		}
	})
	if err != nil || size != tenMB {
		t.Fatalf("Download: %d bytes, %v; want 10 MB", size, err)
	}
	if n > 4<<20 {
		t.Errorf("Download of 10 MB allocated %d bytes; want a stream", n)
	}
}

// leaks lists the goroutines still running code of the client, its
// transport and token cache, or a client connection.
func leaks() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "officialaccount_test.") {
			continue // this test's own goroutines
		}
		for _, mark := range []string{"wxmaterial/officialaccount.", "wxmaterial/transport.", "wxmaterial/auth.", "net/http.(*persistConn)", "io.(*pipe)"} {
			if strings.Contains(g, mark) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// noLeaks waits until the client has no goroutine left, closing idle
// connections; it fails after 5 s. It yields the processor, never sleeps.
func noLeaks(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.tr.CloseIdleConnections()
		l := leaks()
		if len(l) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines left behind:\n%s", len(l), strings.Join(l, "\n\n"))
			return
		}
		runtime.Gosched()
	}
}

// signal returns a Fault predicate that closes ch the n-th time it is
// asked (from 1) and then matches.
func signal(n int, ch chan struct{}) func(*http.Request) bool {
	var (
		mu   sync.Mutex
		seen int
	)
	return func(*http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == n {
			close(ch)
		}
		return seen >= n
	}
}

// TestCancelMidUpload cancels a 10 MB upload while the server holds it,
// having read none of its body: the client returns promptly and leaves no
// goroutine behind.
func TestCancelMidUpload(t *testing.T) {
	e := newEnv(t, setup{})
	if _, err := e.c.Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	src, err := material.FromFile(writeVideo(t, tenMB))
	if err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}), make(chan struct{})
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/cgi-bin/media/upload") {
			return false
		}
		close(arrived)
		<-release // read nothing, answer nothing
		return true
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := e.c.Upload(ctx, material.KindVideo, src)
		done <- err
	}()
	<-arrived
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Upload: err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Upload did not return within 5 s of the cancellation")
	}
	close(release)
	noLeaks(t, e)
}

func TestCancelMidList(t *testing.T) {
	e := newEnv(t, setup{})
	seedImages(t, e, 45)
	arrived := make(chan struct{})
	// The second page is held unanswered until the client leaves.
	isPage := signal(2, arrived)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/cgi-bin/material/batchget_material") || !isPage(r) {
			return false
		}
		// Once the body is read, the server notices the client leave.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return true
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { <-arrived; cancel() }()
	began := time.Now()
	n := 0
	var errs []error
	for _, err := range e.c.List(ctx, material.KindImage) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("List took %v after the cancellation, want it prompt", d)
	}
	if n != material.MaxPageSize || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("List yielded %d items and errors %v; want the first page and one context.Canceled", n, errs)
	}
	noLeaks(t, e)
}
