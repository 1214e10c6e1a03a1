package transport_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// TestPartialReplies: a 206 is a file only as the answer to the Range a
// request asked for. To a request for the whole file, or with a
// Content-Range or Content-Length that does not answer the Range asked, it
// is a *material.APIError with status 206 that matches transport.ErrLength,
// on Download, DownloadFile and DownloadLink alike; it is not retried, and
// the fragment is not read.
func TestPartialReplies(t *testing.T) {
	fragment := strings.Repeat("x", 120)
	tests := []struct {
		name         string
		asked        string // the Range the request carries
		contentRange string
		length       int // Content-Length; -1 for none (chunked)
		wantMessage  string
	}{
		{name: "a fragment to a request for the whole file", contentRange: "bytes 0-119/100000", length: 120,
			wantMessage: "bytes 0-119 of 100000, in answer to a request for the whole file"},
		{name: "the whole file as a 206 to a request for it", contentRange: "bytes 0-119/120", length: 120,
			wantMessage: "bytes 0-119 of 120, in answer to a request for the whole file"},
		{name: "a 206 without Content-Range to a request for the whole file", length: 120,
			wantMessage: "a fragment, in answer to a request for the whole file"},
		{name: "a fragment from another first byte", asked: "bytes=100-219", contentRange: "bytes 0-119/100000", length: 120,
			wantMessage: "bytes 0-119 of 100000, in answer to a request for bytes 100-219"},
		{name: "a fragment past the last byte asked", asked: "bytes=0-59", contentRange: "bytes 0-119/100000", length: 120,
			wantMessage: "bytes 0-119 of 100000, in answer to a request for bytes 0-59"},
		{name: "a Content-Length that is not the range's", asked: "bytes=0-199", contentRange: "bytes 0-199/100000", length: 120,
			wantMessage: "bytes 0-199 of 100000 with a Content-Length of 120"},
		{name: "no Content-Range", asked: "bytes=0-119", length: -1,
			wantMessage: `no Content-Range "bytes first-last/total" with the bytes 0-119 asked for`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if got := r.Header.Get("Range"); got != tt.asked {
					t.Errorf("Range = %q, want %q", got, tt.asked)
				}
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Disposition", `attachment; filename="a.jpg"`)
				if tt.contentRange != "" {
					w.Header().Set("Content-Range", tt.contentRange)
				}
				if tt.length >= 0 {
					w.Header().Set("Content-Length", strconv.Itoa(tt.length))
				}
				w.WriteHeader(http.StatusPartialContent)
				io.WriteString(w, fragment)
			})
			check := func(what string, err error) {
				t.Helper()
				var apiErr *material.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusPartialContent || !errors.Is(err, transport.ErrLength) {
					t.Errorf("%s: err = %v, want an APIError with HTTP 206 matching ErrLength", what, err)
					return
				}
				if diff := cmp.Diff(tt.wantMessage, apiErr.Message); diff != "" {
					t.Errorf("%s: message (-want +got):\n%s", what, diff)
				}
			}
			c, _ := setup(t, material.WeCom, handler)
			req := &transport.Request{Path: "/cgi-bin/media/get"}
			if tt.asked != "" {
				req.Header = http.Header{"Range": {tt.asked}}
			}
			rep, err := c.Download(t.Context(), req)
			if err == nil {
				got, _ := io.ReadAll(rep.Content)
				rep.Content.Close()
				t.Fatalf("Download returned %d bytes as a file, want an error", len(got))
			}
			check("Download", err)
			if n := requests.Load(); n != 1 {
				t.Errorf("Download sent %d requests, want 1: the reply is not retried", n)
			}
			if tt.asked == "" {
				content, err := c.DownloadFile(t.Context(), req, transport.RangeOptions{})
				if err == nil {
					content.Close()
					t.Fatal("DownloadFile returned a Content, want an error")
				}
				check("DownloadFile", err)
				srv := httptest.NewServer(handler)
				defer srv.Close()
				content, err = c.DownloadLink(t.Context(), nil, srv.URL+"/v.mp4")
				if err == nil {
					content.Close()
					t.Fatal("DownloadLink returned a Content, want an error")
				}
				check("DownloadLink", err)
			}
		})
	}
}
