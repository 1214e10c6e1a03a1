package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// zeros is an io.ReaderAt of zero bytes: a large source that holds no memory.
type zeros struct{}

func (zeros) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	return len(p), nil
}

// bigSource is a replayable Source of n zero bytes, as a file would be.
func bigSource(n int64) material.Source {
	return material.FromReader("big.mp4", io.NewSectionReader(zeros{}, 0, n), n)
}

// transferServer discards uploads and serves n-byte downloads, like the
// platforms' media/upload and media/get.
func transferServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/media/upload":
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"type":"video","media_id":"m1","created_at":1700000000}`)
		case "/cgi-bin/media/get":
			n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
			w.Header().Set("Content-Type", "video/mp4")
			w.Header().Set("Content-Disposition", `attachment; filename="big.mp4"`)
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
			io.Copy(w, io.NewSectionReader(zeros{}, 0, n))
		default:
			http.NotFound(w, r)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// transferClients returns our client and, for the baseline, a plain
// net/http client with the same transport settings.
func transferClients(tb testing.TB, srv *httptest.Server) (*transport.Client, *http.Client) {
	c, err := transport.New(transport.Config{Platform: material.WeCom, BaseURL: srv.URL, Tokens: &tokens{prefix: "T"}, Retry: fastRetry})
	if err != nil {
		tb.Fatal(err)
	}
	return c, &http.Client{Transport: transport.DefaultTransport()}
}

func oursUpload(ctx context.Context, c *transport.Client, n int64) error {
	src := bigSource(n).WithContentType("video/mp4")
	var out struct {
		MediaID string `json:"media_id"`
	}
	err := c.Do(ctx, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", Query: map[string][]string{"type": {"video"}}, File: &src, Write: true}, &out)
	if err == nil && out.MediaID != "m1" {
		err = fmt.Errorf("media_id = %q", out.MediaID)
	}
	return err
}

// rawUpload is what a careful hand-written client does: mime/multipart
// through an io.Pipe, streamed (chunked, which the test server accepts).
func rawUpload(ctx context.Context, hc *http.Client, base string, n int64) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("media", "big.mp4")
		if err == nil {
			_, err = io.Copy(fw, io.NewSectionReader(zeros{}, 0, n))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/cgi-bin/media/upload?type=video&access_token=T", pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		MediaID string `json:"media_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if out.MediaID != "m1" {
		return fmt.Errorf("media_id = %q", out.MediaID)
	}
	return nil
}

func oursDownload(ctx context.Context, c *transport.Client, n int64) error {
	r, err := c.Download(ctx, &transport.Request{Path: "/cgi-bin/media/get", Query: map[string][]string{"media_id": {"m1"}, "n": {strconv.FormatInt(n, 10)}}})
	if err != nil {
		return err
	}
	defer r.Content.Body.Close()
	got, err := io.Copy(io.Discard, r.Content.Body)
	if err == nil && got != n {
		err = fmt.Errorf("read %d bytes, want %d", got, n)
	}
	return err
}

func rawDownload(ctx context.Context, hc *http.Client, base string, n int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/cgi-bin/media/get?media_id=m1&access_token=T&n="+strconv.FormatInt(n, 10), nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.Copy(io.Discard, resp.Body)
	if err == nil && got != n {
		err = fmt.Errorf("read %d bytes, want %d", got, n)
	}
	return err
}

// measured runs f and returns how long it took and how many bytes it (and
// the in-process server) allocated.
func measured(f func() error) (time.Duration, uint64, error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	err := f()
	d := time.Since(t0)
	runtime.ReadMemStats(&m1)
	return d, m1.TotalAlloc - m0.TotalAlloc, err
}

// BenchmarkTransfer compares wxmaterial's upload and download with the raw
// net/http baseline in the same iteration, and reports both throughputs,
// both allocation figures and their ratios: speed-ratio is ours/raw
// throughput (1 = as fast), extra-B/op is what we allocate beyond the raw
// client per transfer, whatever the size (the file is never in memory).
func BenchmarkTransfer(b *testing.B) {
	srv := transferServer(b)
	c, hc := transferClients(b, srv)
	ctx := context.Background()
	for _, size := range []int64{64 << 20, 256 << 20} {
		for _, dir := range []string{"upload", "download"} {
			b.Run(fmt.Sprintf("%s/%dMiB", dir, size>>20), func(b *testing.B) {
				ours := func() error { return oursUpload(ctx, c, size) }
				raw := func() error { return rawUpload(ctx, hc, srv.URL, size) }
				if dir == "download" {
					ours = func() error { return oursDownload(ctx, c, size) }
					raw = func() error { return rawDownload(ctx, hc, srv.URL, size) }
				}
				var tOurs, tRaw time.Duration
				var aOurs, aRaw uint64
				n := 0
				for b.Loop() {
					d, a, err := measured(ours)
					if err != nil {
						b.Fatal(err)
					}
					tOurs, aOurs = tOurs+d, aOurs+a
					if d, a, err = measured(raw); err != nil {
						b.Fatal(err)
					}
					tRaw, aRaw = tRaw+d, aRaw+a
					n++
				}
				mb := float64(size) * float64(n) / (1 << 20)
				b.ReportMetric(mb/tOurs.Seconds(), "wx-MB/s")
				b.ReportMetric(mb/tRaw.Seconds(), "raw-MB/s")
				b.ReportMetric(tRaw.Seconds()/tOurs.Seconds(), "speed-ratio")
				b.ReportMetric(float64(aOurs)/float64(n), "wx-B/op")
				b.ReportMetric(float64(aRaw)/float64(n), "raw-B/op")
				b.ReportMetric((float64(aOurs)-float64(aRaw))/float64(n), "extra-B/op")
			})
		}
	}
}

// TestTransferMemoryIsBounded proves the streaming claim without timing: a
// 32 MiB upload or download allocates a few hundred KiB at most (the file is
// never held in memory), in the same range as the raw net/http baseline.
func TestTransferMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 256 MiB")
	}
	const size = 32 << 20
	const limit = 512 << 10
	srv := transferServer(t)
	c, hc := transferClients(t, srv)
	ctx := t.Context()
	tests := []struct {
		name      string
		ours, raw func() error
	}{
		{name: "upload", ours: func() error { return oursUpload(ctx, c, size) }, raw: func() error { return rawUpload(ctx, hc, srv.URL, size) }},
		{name: "download", ours: func() error { return oursDownload(ctx, c, size) }, raw: func() error { return rawDownload(ctx, hc, srv.URL, size) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The least of a few runs: a stray allocation elsewhere in the
			// process (the test runner, a GC cycle) only ever adds.
			least := func(f func() error) uint64 {
				best := uint64(1 << 62)
				for range 3 {
					_, a, err := measured(f)
					if err != nil {
						t.Fatal(err)
					}
					best = min(best, a)
				}
				return best
			}
			ours, raw := least(tt.ours), least(tt.raw)
			t.Logf("%s of %d MiB: wxmaterial allocated %d B, raw net/http %d B", tt.name, size>>20, ours, raw)
			if ours > limit {
				t.Errorf("wxmaterial allocated %d B for a %d B %s (raw net/http: %d B); want at most %d B: the file must not be held in memory", ours, size, tt.name, raw, limit)
			}
		})
	}
}

// BenchmarkObserver measures what an Observer costs: the same calls with
// none, and with one that counts every event, interleaved in each
// iteration, reported as ns per call of each and their ratio (set/unset;
// 1 = no cost). A call is a small JSON read, and a 1 MiB upload.
func BenchmarkObserver(b *testing.B) {
	srv := transferServer(b)
	unset, err := transport.New(transport.Config{Platform: material.WeCom, BaseURL: srv.URL, Tokens: &tokens{prefix: "T"}, Retry: fastRetry})
	if err != nil {
		b.Fatal(err)
	}
	var events atomic.Int64
	count := transport.ObserverFunc(func(context.Context, transport.Event) { events.Add(1) })
	set, err := transport.New(transport.Config{Platform: material.WeCom, BaseURL: srv.URL, Tokens: &tokens{prefix: "T"}, Retry: fastRetry, Observer: count})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	calls := map[string]func(*transport.Client) error{
		"read": func(c *transport.Client) error {
			return c.Do(ctx, &transport.Request{Path: "/cgi-bin/media/upload"}, nil) // answered with a media_id
		},
		"upload-1MiB": func(c *transport.Client) error { return oursUpload(ctx, c, 1<<20) },
	}
	for _, name := range []string{"read", "upload-1MiB"} {
		call := calls[name]
		b.Run(name, func(b *testing.B) {
			var tUnset, tSet time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				if err := call(unset); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := call(set); err != nil {
					b.Fatal(err)
				}
				tUnset, tSet = tUnset+t1.Sub(t0), tSet+time.Since(t1)
				n++
			}
			b.ReportMetric(float64(tUnset.Nanoseconds())/float64(n), "unset-ns/call")
			b.ReportMetric(float64(tSet.Nanoseconds())/float64(n), "set-ns/call")
			b.ReportMetric(tSet.Seconds()/tUnset.Seconds(), "set/unset")
		})
	}
	if events.Load() == 0 {
		b.Error("the observer saw no event")
	}
}
