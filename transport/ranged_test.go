package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// rangeServer serves data at /api/file with Range support and records the
// Range header of every request. Its hooks break chosen replies.
type rangeServer struct {
	data []byte

	mu     sync.Mutex
	ranges []string // the Range header of every request, "" for none
	// cut, if set, says after how many body bytes the reply to request n
	// (from 0) is cut off; -1 means not cut.
	cut func(n int) int
	// serve, if set, replaces the handler for request n when it returns
	// true.
	serve func(n int, w http.ResponseWriter, r *http.Request) bool
}

func (s *rangeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.ranges)
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	if s.serve != nil && s.serve(n, w, r) {
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="big.bin"`)
	w.Header().Set("Content-Type", "application/octet-stream")
	if s.cut != nil {
		if c := s.cut(n); c >= 0 {
			w = &abortWriter{ResponseWriter: w, left: c}
		}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.data))
}

func (s *rangeServer) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

// abortWriter sends left bytes of the body, then drops the connection.
type abortWriter struct {
	http.ResponseWriter
	left int
}

func (a *abortWriter) Write(p []byte) (int, error) {
	if len(p) > a.left {
		a.ResponseWriter.Write(p[:a.left])
		a.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	a.left -= len(p)
	return a.ResponseWriter.Write(p)
}

func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>8)
	}
	return b
}

func TestDownloadRanges(t *testing.T) {
	const size = 10_000
	data := patterned(size)
	tests := []struct {
		name       string
		chunk      int64
		cut        func(n int) int
		serve      func(n int, w http.ResponseWriter, r *http.Request) bool
		wantRanges []string
		wantErr    []error // nil: the download succeeds
	}{
		{
			name:       "chunks",
			chunk:      3000,
			wantRanges: []string{"bytes=0-2999", "bytes=3000-5999", "bytes=6000-8999", "bytes=9000-9999"},
		},
		{
			name:       "one chunk holds it all",
			chunk:      20 << 20,
			wantRanges: []string{"bytes=0-20971519"},
		},
		{
			name:  "a chunk cut off mid-way resumes where it broke",
			chunk: 4000,
			cut: func(n int) int {
				if n == 1 {
					return 1234
				}
				return -1
			},
			wantRanges: []string{"bytes=0-3999", "bytes=4000-7999", "bytes=5234-7999", "bytes=8000-9999"},
		},
		{
			name:  "cut twice in one chunk",
			chunk: 6000,
			cut: func(n int) int {
				switch n {
				case 0:
					return 100
				case 1:
					return 200
				}
				return -1
			},
			wantRanges: []string{"bytes=0-5999", "bytes=100-5999", "bytes=300-5999", "bytes=6000-9999"},
		},
		{
			name:  "no progress: fails after MaxResumes",
			chunk: 6000,
			cut: func(n int) int {
				if n == 0 {
					return 10
				}
				return 0
			},
			wantRanges: []string{"bytes=0-5999", "bytes=10-5999", "bytes=10-5999", "bytes=10-5999"},
			wantErr:    []error{transport.ErrLength, io.ErrUnexpectedEOF},
		},
		{
			name:  "the size changes",
			chunk: 6000,
			serve: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 1 {
					return false
				}
				w.Header().Set("Content-Disposition", `attachment; filename="big.bin"`)
				http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data[:size-1]))
				return true
			},
			wantRanges: []string{"bytes=0-5999", "bytes=6000-9999"},
			wantErr:    []error{transport.ErrLength},
		},
		{
			name:  "more bytes than the range",
			chunk: 6000,
			serve: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 1 {
					return false
				}
				w.Header().Set("Content-Disposition", `attachment; filename="big.bin"`)
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 6000-9999/%d", size))
				w.WriteHeader(http.StatusPartialContent)
				w.(http.Flusher).Flush() // no Content-Length: chunked
				w.Write(data[6000:])
				w.Write([]byte("extra"))
				return true
			},
			wantRanges: []string{"bytes=0-5999", "bytes=6000-9999"},
			wantErr:    []error{transport.ErrLength},
		},
		{
			name:  "Range ignored after the first chunk",
			chunk: 6000,
			serve: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 1 {
					return false
				}
				w.Header().Set("Content-Disposition", `attachment; filename="big.bin"`)
				w.Write(data)
				return true
			},
			wantRanges: []string{"bytes=0-5999", "bytes=6000-9999"},
			wantErr:    []error{}, // an error, no sentinel
		},
		{
			name:  "an errcode on a later chunk",
			chunk: 6000,
			serve: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 1 {
					return false
				}
				writeJSON(w, `{"errcode":40007,"errmsg":"invalid media_id"}`)
				return true
			},
			wantRanges: []string{"bytes=0-5999", "bytes=6000-9999"},
			wantErr:    []error{material.ErrNotFound},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &rangeServer{data: data, cut: tt.cut, serve: tt.serve}
			c, _ := setup(t, material.WeCom, srv)
			fetch := c.RangeFetcher(&transport.Request{Path: "/file"})
			content, err := transport.DownloadRanges(t.Context(), fetch, transport.RangeOptions{ChunkSize: tt.chunk})
			if err != nil {
				t.Fatalf("DownloadRanges: %v", err)
			}
			if content.Size != size || content.Name != "big.bin" {
				t.Errorf("Content = {Name %q, Size %d}, want big.bin and %d", content.Name, content.Size, size)
			}
			got, err := io.ReadAll(content)
			content.Close()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("reading: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Errorf("read %d bytes that differ from the %d of the file", len(got), len(data))
				}
			} else {
				if err == nil {
					t.Fatalf("reading: no error, want one matching %v", tt.wantErr)
				}
				for _, target := range tt.wantErr {
					if !errors.Is(err, target) {
						t.Errorf("reading: err = %v, want it to match %v", err, target)
					}
				}
				if !bytes.Equal(got, data[:len(got)]) {
					t.Errorf("the %d bytes read before the error differ from the file", len(got))
				}
			}
			if diff := cmp.Diff(tt.wantRanges, srv.log()); diff != "" {
				t.Errorf("Range headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResume(t *testing.T) {
	const size = 10_000
	data := patterned(size)
	tests := []struct {
		name       string
		cut        func(n int) int
		wantRanges []string
	}{
		{name: "whole", wantRanges: []string{""}},
		{
			name: "cut off, resumed from the byte where it broke",
			cut: func(n int) int {
				switch n {
				case 0:
					return 2500
				case 1:
					return 1000
				}
				return -1
			},
			wantRanges: []string{"", "bytes=2500-6499", "bytes=3500-6499", "bytes=6500-9999"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &rangeServer{data: data, cut: tt.cut}
			c, _ := setup(t, material.WeCom, srv)
			req := &transport.Request{Path: "/file"}
			rep, err := c.Download(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			content := transport.Resume(t.Context(), rep.Content, c.RangeFetcher(req), transport.RangeOptions{ChunkSize: 4000})
			got, err := io.ReadAll(content)
			content.Close()
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("read %d bytes that differ from the file", len(got))
			}
			if diff := cmp.Diff(tt.wantRanges, srv.log()); diff != "" {
				t.Errorf("Range headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRangedCancelAndClose(t *testing.T) {
	data := patterned(10_000)
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	srv := &rangeServer{data: data, serve: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.Header.Get("Range"), "bytes=5000-") {
			return false
		}
		select { // the second chunk never comes
		case <-block:
		case <-r.Context().Done():
		}
		return true
	}}
	c, _ := setup(t, material.WeCom, srv)
	fetch := c.RangeFetcher(&transport.Request{Path: "/file"})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		content, err := transport.DownloadRanges(ctx, fetch, transport.RangeOptions{ChunkSize: 5000})
		if err != nil {
			t.Fatal(err)
		}
		defer content.Close()
		buf := make([]byte, 5000)
		if _, err := io.ReadFull(content, buf); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			_, err := content.Read(buf)
			done <- err
		}()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Read after cancel: err = %v, want context.Canceled", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		content, err := transport.DownloadRanges(t.Context(), fetch, transport.RangeOptions{ChunkSize: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if err := content.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := content.Read(make([]byte, 10)); !errors.Is(err, http.ErrBodyReadAfterClose) {
			t.Errorf("Read after Close: err = %v, want http.ErrBodyReadAfterClose", err)
		}
	})
}

func TestDownloadRangesFirstChunkError(t *testing.T) {
	srv := &rangeServer{serve: func(n int, w http.ResponseWriter, r *http.Request) bool {
		writeJSON(w, `{"errcode":40007,"errmsg":"invalid media_id"}`)
		return true
	}}
	c, _ := setup(t, material.WeCom, srv)
	_, err := transport.DownloadRanges(t.Context(), c.RangeFetcher(&transport.Request{Path: "/file"}), transport.RangeOptions{})
	if !errors.Is(err, material.ErrNotFound) || !strings.Contains(err.Error(), "40007") {
		t.Errorf("DownloadRanges: err = %v, want 40007 matching material.ErrNotFound", err)
	}
}

// TestResumeStopsOnAContextError: a transfer whose read fails with a
// context's error ends with that error, never resumed, even when the
// context handed to the reader is not cancelled yet (a deadline cuts the
// read off a moment before the reader's own context learns of it).
func TestResumeStopsOnAContextError(t *testing.T) {
	for _, cause := range []error{context.DeadlineExceeded, context.Canceled} {
		t.Run(cause.Error(), func(t *testing.T) {
			fetched := 0
			fetch := func(ctx context.Context, first, last int64) (*transport.Reply, error) {
				fetched++
				return nil, errors.New("a resumption was attempted")
			}
			body := io.NopCloser(io.MultiReader(strings.NewReader("abcd"), errorReader{cause}))
			content := transport.Resume(t.Context(), &material.Content{Size: 1000, Body: body}, fetch, transport.RangeOptions{})
			got, err := io.ReadAll(content)
			content.Close()
			if !errors.Is(err, cause) || string(got) != "abcd" || fetched != 0 {
				t.Errorf("read %q, err %v after %d fetches; want abcd, %v and no fetch", got, err, fetched, cause)
			}
		})
	}
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }
