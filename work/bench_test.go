package work_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// BenchmarkDownload downloads media of 30 and 60 MB (830002, then Range
// chunks of transport.DefaultChunkSize) from the emulator in discard mode,
// so that the emulator keeps no bytes and sends zeros. Next to the client's B/op it reports,
// from the same run, the bytes allocated per op by plain net/http fetching
// the same Range chunks into the same io.Discard ("nethttp-B/op"), and the
// ratio of the two ("x-nethttp"). Both include the in-process emulator's
// own allocations. Memory per op is bounded: it grows with the number of
// requests (one per chunk), by some tens of KB each, never with the
// bytes transferred.
func BenchmarkDownload(b *testing.B) {
	for _, size := range []int64{30 << 20, 60 << 20} {
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			srv, id := benchServer(b, size)
			hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			c, err := work.New(corpID, agentID, secret, work.WithBaseURL(srv.URL+"/work"), work.WithHTTPClient(hc))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			client := func() { downloadAll(b, ctx, c, id, size) }
			token := rawToken(b, hc, srv.URL)
			raw := func() {
				for off := int64(0); off < size; off += transport.DefaultChunkSize {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/work/cgi-bin/media/get?"+
						url.Values{"access_token": {token}, "media_id": {id}}.Encode(), nil)
					req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, min(off+transport.DefaultChunkSize, size)-1))
					resp, err := hc.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusPartialContent {
						b.Fatalf("net/http: HTTP %d, %v", resp.StatusCode, err)
					}
				}
			}
			client() // warm up: token, connections
			raw()
			const rawOps = 5
			baseline := allocated(func() {
				for range rawOps {
					raw()
				}
			}) / rawOps

			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			ours := allocated(func() {
				for b.Loop() {
					client()
				}
			})
			b.ReportMetric(float64(baseline), "nethttp-B/op")
			b.ReportMetric(float64(ours)/float64(b.N)/float64(baseline), "x-nethttp")
		})
	}
}

// allocated returns the bytes f allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// rawToken fetches an access token with plain net/http, for the baseline.
func rawToken(b *testing.B, hc *http.Client, base string) string {
	resp, err := hc.Get(base + "/work/cgi-bin/gettoken?" + url.Values{"corpid": {corpID}, "corpsecret": {secret}}.Encode())
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		b.Fatalf("gettoken: %v", err)
	}
	return out.AccessToken
}

// BenchmarkChunkSize weighs the Range chunk sizes considered for the
// default (transport.DefaultChunkSize) on a 200,000,000-byte media, the
// largest an upload-by-URL job makes, from the emulator in discard mode over
// loopback. Every iteration downloads the file once with each size, in turn,
// so that the three share the machine's load; it reports each size's time
// per download ("<size>-ms"), its number of requests ("<size>-reqs") and
// its time relative to 10 MB chunks ("<size>/10MB"). Loopback has no round
// trip to speak of: the ratios show what the extra requests cost the two
// ends, not the network (docs/limits.md adds that).
func BenchmarkChunkSize(b *testing.B) {
	const size = 200_000_000
	sizes := []struct {
		name  string
		chunk int64
	}{{"10MB", 10_000_000}, {"16MiB", 16 << 20}, {"19MB", 19_000_000}}
	srv, id := benchServer(b, size)
	ctx := context.Background()
	clients := make([]*work.Client, len(sizes))
	for i, s := range sizes {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		var err error
		if clients[i], err = work.New(corpID, agentID, secret, work.WithBaseURL(srv.URL+"/work"), work.WithHTTPClient(hc), work.WithChunkSize(s.chunk)); err != nil {
			b.Fatal(err)
		}
	}
	download := func(c *work.Client) time.Duration {
		began := time.Now()
		downloadAll(b, ctx, c, id, size)
		return time.Since(began)
	}
	for _, c := range clients { // warm up: tokens, connections
		download(c)
	}
	spent := make([]time.Duration, len(sizes))
	b.SetBytes(size * int64(len(sizes)))
	b.ResetTimer()
	for b.Loop() {
		for i, c := range clients {
			spent[i] += download(c)
		}
	}
	for i, s := range sizes {
		b.ReportMetric(float64(spent[i].Milliseconds())/float64(b.N), s.name+"-ms")
		b.ReportMetric(float64(1+(size+s.chunk-1)/s.chunk), s.name+"-reqs")
		if i > 0 {
			b.ReportMetric(float64(spent[i])/float64(spent[0]), s.name+"/10MB")
		}
	}
}

// benchServer serves an emulator in discard mode holding a temporary WeCom
// file of size bytes (zeros) and returns the server and the media id.
func benchServer(b *testing.B, size int64) (*httptest.Server, string) {
	emu := emulator.New(emulator.WithDiscard())
	b.Cleanup(func() { emu.Close() })
	if err := emu.AddWeComAgent(corpID, agentID, secret); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	b.Cleanup(srv.Close)
	id, err := emu.SeedTemporary(emulator.WeCom, corpID, "file", "big.bin", make([]byte, size))
	if err != nil {
		b.Fatal(err)
	}
	return srv, id
}

// downloadAll downloads id with c into io.Discard and checks its size.
func downloadAll(b *testing.B, ctx context.Context, c *work.Client, id string, size int64) {
	content, err := c.Download(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, content)
	content.Close()
	if err != nil || n != size {
		b.Fatalf("download: %d bytes, %v; want %d", n, err, size)
	}
}
