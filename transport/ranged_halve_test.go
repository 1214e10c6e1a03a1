package transport_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// useRange is WeCom's "too large, use smaller Range chunks" reply.
const useRange = `{"errcode":830002,"errmsg":"file too large"}`

func isUseRange(err error) bool {
	var e *material.APIError
	return errors.As(err, &e) && e.Code == 830002
}

// refuseOver answers 830002 to request n (from 0) when it asks for more
// than limit(n) bytes; limit(n) < 0 accepts any size.
func refuseOver(limit func(n int) int64) func(n int, w http.ResponseWriter, r *http.Request) bool {
	return func(n int, w http.ResponseWriter, r *http.Request) bool {
		var first, last int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &first, &last); err != nil {
			return false
		}
		if l := limit(n); l >= 0 && last-first+1 > l {
			writeJSON(w, useRange)
			return true
		}
		return false
	}
}

func always(limit int64) func(int) int64 { return after(0, limit) }

// after accepts any size for the first k requests, then limit.
func after(k int, limit int64) func(int) int64 {
	return func(n int) int64 {
		if n < k {
			return -1
		}
		return limit
	}
}

// TestDownloadRangesHalving: a chunk refused as too large is asked for
// again from the same byte with half the size, down to the floor, and the
// download goes on with the smaller size.
func TestDownloadRangesHalving(t *testing.T) {
	const size = 10_000
	data := patterned(size)
	tests := []struct {
		name       string
		opts       transport.RangeOptions
		limit      func(n int) int64
		cut        func(n int) int
		wantRanges []string
		wantCode   int // the errcode the download fails with; 0: it succeeds
	}{
		{
			name:  "halved twice, then kept",
			opts:  transport.RangeOptions{ChunkSize: 8000, MinChunkSize: 1000, TooLarge: isUseRange},
			limit: always(2500),
			wantRanges: []string{"bytes=0-7999", "bytes=0-3999", "bytes=0-1999",
				"bytes=2000-3999", "bytes=4000-5999", "bytes=6000-7999", "bytes=8000-9999"},
		},
		{
			name:       "halving stops at the floor",
			opts:       transport.RangeOptions{ChunkSize: 4000, MinChunkSize: 1000, TooLarge: isUseRange},
			limit:      always(500),
			wantRanges: []string{"bytes=0-3999", "bytes=0-1999", "bytes=0-999"},
			wantCode:   830002,
		},
		{
			name:       "the floor is not a halving: an odd remainder is clamped to it",
			opts:       transport.RangeOptions{ChunkSize: 3000, MinChunkSize: 2000, TooLarge: isUseRange},
			limit:      always(2000),
			wantRanges: []string{"bytes=0-2999", "bytes=0-1999", "bytes=2000-3999", "bytes=4000-5999", "bytes=6000-7999", "bytes=8000-9999"},
		},
		{
			name:       "without TooLarge the refusal is the error",
			opts:       transport.RangeOptions{ChunkSize: 8000},
			limit:      always(2500),
			wantRanges: []string{"bytes=0-7999"},
			wantCode:   830002,
		},
		{
			name:       "a refusal half-way",
			opts:       transport.RangeOptions{ChunkSize: 4000, MinChunkSize: 1000, TooLarge: isUseRange},
			limit:      after(1, 2000),
			wantRanges: []string{"bytes=0-3999", "bytes=4000-7999", "bytes=4000-5999", "bytes=6000-7999", "bytes=8000-9999"},
		},
		{
			name:  "the rest of a cut chunk refused",
			opts:  transport.RangeOptions{ChunkSize: 4000, MinChunkSize: 1000, TooLarge: isUseRange},
			limit: after(2, 2000),
			cut: func(n int) int {
				if n == 1 {
					return 1234
				}
				return -1
			},
			// 4000-7999 breaks after 1234 bytes; its rest, 2766 bytes, is
			// refused and halved to 1383.
			wantRanges: []string{"bytes=0-3999", "bytes=4000-7999", "bytes=5234-7999", "bytes=5234-6616",
				"bytes=6617-7999", "bytes=8000-9382", "bytes=9383-9999"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &rangeServer{data: data, cut: tt.cut, serve: refuseOver(tt.limit)}
			c, _ := setup(t, material.WeCom, srv)
			fetch := c.RangeFetcher(&transport.Request{Path: "/file"})
			content, err := transport.DownloadRanges(t.Context(), fetch, tt.opts)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(content)
				content.Close()
			}
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("download: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Errorf("read %d bytes that differ from the %d of the file", len(got), len(data))
				}
			} else {
				var e *material.APIError
				if !errors.As(err, &e) || e.Code != tt.wantCode {
					t.Errorf("download: err = %v, want errcode %d", err, tt.wantCode)
				}
			}
			if diff := cmp.Diff(tt.wantRanges, srv.log()); diff != "" {
				t.Errorf("Range headers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResumeHalving: the Range requests that resume a broken whole-file
// reply are halved too.
func TestResumeHalving(t *testing.T) {
	data := patterned(10_000)
	srv := &rangeServer{data: data, serve: refuseOver(after(1, 3000)),
		cut: func(n int) int {
			if n == 0 {
				return 1000
			}
			return -1
		}}
	c, _ := setup(t, material.WeCom, srv)
	req := &transport.Request{Path: "/file"}
	rep, err := c.Download(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	content := transport.Resume(t.Context(), rep.Content, c.RangeFetcher(req), transport.RangeOptions{ChunkSize: 5000, MinChunkSize: 1000, TooLarge: isUseRange})
	got, err := io.ReadAll(content)
	content.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (%v), want the %d of the file", len(got), err, len(data))
	}
	want := []string{"", "bytes=1000-5999", "bytes=1000-3499", "bytes=3500-5999", "bytes=6000-8499", "bytes=8500-9999"}
	if diff := cmp.Diff(want, srv.log()); diff != "" {
		t.Errorf("Range headers (-want +got):\n%s", diff)
	}
}
