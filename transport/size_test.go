package transport_test

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// hostileSize is the reply a hostile server sends: 100 MB of JSON.
const hostileSize = 100 << 20

// hugeJSON answers every request with hostileSize bytes of a JSON string,
// with or without a Content-Length, and counts requests.
func hugeJSON(n *atomic.Int32, declare bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if declare {
			w.Header().Set("Content-Length", strconv.Itoa(hostileSize))
		}
		chunk := []byte(strings.Repeat("x", 64<<10))
		io.WriteString(w, `{"item":"`)
		for sent := 9; sent+len(chunk) <= hostileSize-2; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
}

// allocated returns the bytes f allocates (all goroutines, so the test
// runs alone).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileReplySize: a 100 MB JSON reply fails clearly, is asked for
// once, and costs at most MaxJSON bytes of heap (nothing at all when its
// Content-Length says the size up front).
func TestHostileReplySize(t *testing.T) {
	tests := []struct {
		name    string
		declare bool
		budget  uint64
	}{
		{name: "chunked", declare: false, budget: transport.MaxJSON + 4<<20},
		{name: "declared length", declare: true, budget: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			c, _ := setup(t, material.OfficialAccount, hugeJSON(&n, tt.declare))
			var err error
			used := allocated(func() {
				err = c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/batchget_material", JSON: map[string]int{"count": 20}}, nil)
			})
			var apiErr *material.APIError
			if !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "longer than 20971520 bytes") {
				t.Fatalf("err = %v, want a reply-too-long APIError", err)
			}
			if n.Load() != 1 {
				t.Errorf("requests = %d, want 1: a reply too long is not worth asking again", n.Load())
			}
			if used > tt.budget {
				t.Errorf("the call allocated %d MiB, over %d MiB", used>>20, tt.budget>>20)
			}
			t.Logf("allocated %.1f MiB for a %d MiB reply", float64(used)/(1<<20), hostileSize>>20)
		})
	}
}

// BenchmarkHostileReply reports the bytes allocated per 100 MB hostile
// reply (B/op), chunked, against a legitimate 1 MB reply as the baseline.
func BenchmarkHostileReply(b *testing.B) {
	legit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"item":"`+strings.Repeat("x", 1<<20)+`"}`)
	})
	var n atomic.Int32
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"legit 1 MiB", legit}, {"hostile 100 MiB", hugeJSON(&n, false)}} {
		b.Run(bc.name, func(b *testing.B) {
			c, _ := setup(b, material.OfficialAccount, bc.h)
			b.ReportAllocs()
			for b.Loop() {
				c.Do(b.Context(), &transport.Request{Path: "/cgi-bin/material/get_materialcount"}, nil)
			}
		})
	}
}
