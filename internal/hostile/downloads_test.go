package hostile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// wrongReplies are error replies dressed as files, and pages that are not
// media: no download path may return one as a file.
var wrongReplies = []struct {
	name                     string
	contentType, disposition string
	body                     string
}{
	{name: "errcode as text/html", contentType: "text/html", body: `{"errcode":40007,"errmsg":"invalid media_id"}`},
	{name: "errcode as octet-stream", contentType: "application/octet-stream", body: `{"errcode":40007,"errmsg":"invalid media_id"}`},
	{name: "errcode with a file name", contentType: "image/jpeg", disposition: `attachment; filename="a.jpg"`, body: `{"errcode":40007,"errmsg":"invalid media_id"}`},
	{name: "errcode without a type", body: ` {"errcode":40007,"errmsg":"invalid media_id"}`},
	{name: "HTML page with status 200", contentType: "text/html", body: "<html><body>502 Bad Gateway</body></html>"},
	{name: "HTML page typed as video", contentType: "video/mp4", body: "<!DOCTYPE html><html>login</html>"},
	{name: "empty file", contentType: "image/jpeg", disposition: `attachment; filename="a.jpg"`, body: ""},
	{name: "JSON type on a string", contentType: "application/json", body: `"not found"`},
}

// downloadPaths are every download of both clients: the path the hostile
// reply is served on, and whether it carries a token.
var downloadPaths = []struct {
	name     string
	path     string
	ranged   bool // WeCom: the whole file answers 830002; the hostile reply comes to a Range chunk
	tokened  bool
	download func(ctx context.Context, c *clients, s *server) (*material.Content, error)
}{
	{name: "OA Download", path: "/cgi-bin/media/get", tokened: true, download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		return c.oa.Download(ctx, "M1")
	}},
	{name: "OA DownloadHDVoice", path: "/cgi-bin/media/get/jssdk", tokened: true, download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		return c.oa.DownloadHDVoice(ctx, "M1")
	}},
	{name: "OA Get", path: "/cgi-bin/material/get_material", tokened: true, download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		a, err := c.oa.Get(ctx, "P1")
		if err != nil {
			return nil, err
		}
		if a.Content == nil {
			return nil, errors.New("not a file")
		}
		return a.Content, nil
	}},
	{name: "OA DownloadURL", path: "/_media/v1.mp4", download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		return c.oa.DownloadURL(ctx, s.srv.URL+"/_media/v1.mp4")
	}},
	{name: "WeCom Download", path: "/cgi-bin/media/get", tokened: true, download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		return c.work.Download(ctx, "W1")
	}},
	{name: "WeCom Download, Range chunk", path: "/cgi-bin/media/get", ranged: true, tokened: true, download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		return c.work.Download(ctx, "W1")
	}},
	{name: "WeCom DownloadHDVoice", path: "/cgi-bin/media/get/jssdk", tokened: true, download: func(ctx context.Context, c *clients, s *server) (*material.Content, error) {
		return c.work.DownloadHDVoice(ctx, "W1")
	}},
}

// TestNoErrorReplyAsMedia: every wrong reply on every download path ends in
// an error, never in a Content that reads the reply as file bytes.
func TestNoErrorReplyAsMedia(t *testing.T) {
	for _, dp := range downloadPaths {
		for _, wr := range wrongReplies {
			t.Run(dp.name+"/"+wr.name, func(t *testing.T) {
				s := newServer(t)
				s.api = func(w http.ResponseWriter, r *http.Request) {
					if dp.ranged && r.Header.Get("Range") == "" {
						io.WriteString(w, `{"errcode":830002,"errmsg":"media too large, use Range"}`)
						return
					}
					w.Header()["Content-Type"] = nil
					if wr.contentType != "" {
						w.Header().Set("Content-Type", wr.contentType)
					}
					if wr.disposition != "" {
						w.Header().Set("Content-Disposition", wr.disposition)
					}
					status := http.StatusOK
					if dp.ranged {
						w.Header().Set("Content-Range", "bytes 0-99/30000000")
						status = http.StatusPartialContent
					}
					w.WriteHeader(status)
					io.WriteString(w, wr.body)
				}
				c := newClients(t, s, clientOptions{retry: fastRetry})
				content, err := dp.download(t.Context(), c, s)
				if err == nil {
					got, rerr := io.ReadAll(content)
					content.Close()
					t.Fatalf("a Content came back reading %q (read err %v), want an error", got, rerr)
				}
				if wr.body != "" && wr.body[0] != '<' && wr.body[0] != '"' && !errors.Is(err, material.ErrNotFound) {
					t.Errorf("err = %v, want the errcode's ErrNotFound", err)
				}
			})
		}
	}
}

// TestRejectedTokenAsFileIsReplayed: a 42001 sent as a file on any tokened
// download path is a rejected token: the download is replayed with a new
// token and returns the real file.
func TestRejectedTokenAsFileIsReplayed(t *testing.T) {
	for _, dp := range downloadPaths {
		if !dp.tokened || dp.ranged {
			continue
		}
		t.Run(dp.name, func(t *testing.T) {
			s := newServer(t)
			first := true
			s.api = func(w http.ResponseWriter, r *http.Request) {
				if first {
					first = false
					w.Header().Set("Content-Type", "application/octet-stream")
					w.Header().Set("Content-Disposition", `attachment; filename="a.amr"`)
					io.WriteString(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
					return
				}
				w.Header().Set("Content-Type", "image/png")
				w.Header().Set("Content-Disposition", `attachment; filename="a.png"`)
				io.WriteString(w, "\x89PNG\r\n\x1a\nfile")
			}
			c := newClients(t, s, clientOptions{})
			content, err := dp.download(t.Context(), c, s)
			if err != nil {
				t.Fatalf("err = %v, want the file after a replay", err)
			}
			got, _ := io.ReadAll(content)
			content.Close()
			if string(got) != "\x89PNG\r\n\x1a\nfile" {
				t.Errorf("file = %q", got)
			}
			if n := s.count(dp.path); n != 2 {
				t.Errorf("%s received %d requests, want 2", dp.path, n)
			}
			if n := s.tokens.Load(); n != 2 {
				t.Errorf("%d tokens fetched, want 2", n)
			}
		})
	}
}

// TestPartialReplyIsNotTheFile: a 206 Partial Content to a request that
// asked for no Range is refused on every download path, whatever its
// Content-Range says: the fragment never comes back as the file. The
// error is a *material.APIError with status 206 that matches
// transport.ErrLength, and it is not retried.
func TestPartialReplyIsNotTheFile(t *testing.T) {
	replies := []struct {
		name, contentRange string
	}{
		{name: "a fragment of a much bigger file", contentRange: "bytes 0-119/100000"},
		{name: "all of a file of that size", contentRange: "bytes 0-119/120"},
		{name: "a fragment from its middle", contentRange: "bytes 500-619/100000"},
		{name: "no Content-Range"},
		{name: "a malformed Content-Range", contentRange: "bytes */100000"},
	}
	fragment := "\xff\xd8\xff\xe0" + strings.Repeat("x", 116)
	for _, dp := range downloadPaths {
		if dp.ranged {
			continue // its requests carry a Range
		}
		for _, rp := range replies {
			t.Run(dp.name+"/"+rp.name, func(t *testing.T) {
				s := newServer(t)
				s.api = func(w http.ResponseWriter, r *http.Request) {
					if got := r.Header.Get("Range"); got != "" {
						t.Errorf("the request carries Range %q", got)
					}
					w.Header().Set("Content-Type", "image/jpeg")
					w.Header().Set("Content-Disposition", `attachment; filename="a.jpg"`)
					if rp.contentRange != "" {
						w.Header().Set("Content-Range", rp.contentRange)
					}
					w.WriteHeader(http.StatusPartialContent)
					io.WriteString(w, fragment)
				}
				c := newClients(t, s, clientOptions{})
				content, err := dp.download(t.Context(), c, s)
				if err == nil {
					got, rerr := io.ReadAll(content)
					content.Close()
					t.Fatalf("a Content came back reading %d bytes (read err %v), want an error", len(got), rerr)
				}
				var apiErr *material.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusPartialContent || !errors.Is(err, transport.ErrLength) {
					t.Errorf("err = %v, want an APIError with HTTP 206 matching transport.ErrLength", err)
				}
				if n := s.count(dp.path); n != 1 {
					t.Errorf("%s received %d requests, want 1", dp.path, n)
				}
			})
		}
	}
}

// TestShortWholeFileFails: a whole-file reply whose body ends before its
// Content-Length, again and again, never reads as a complete file on any
// download path: reading it ends in an error, not io.EOF.
func TestShortWholeFileFails(t *testing.T) {
	for _, dp := range downloadPaths {
		if dp.ranged {
			continue
		}
		t.Run(dp.name, func(t *testing.T) {
			s := newServer(t)
			s.api = func(w http.ResponseWriter, r *http.Request) {
				rawReply(w, "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"a.jpg\"\r\n"+
					"Content-Length: 1000\r\n\r\n\xff\xd8\xff\xe0"+strings.Repeat("x", 96))
			}
			c := newClients(t, s, clientOptions{})
			content, err := dp.download(t.Context(), c, s)
			if err != nil {
				t.Fatalf("err = %v; the headers announce a file", err)
			}
			defer content.Close()
			got, err := io.ReadAll(content)
			if err == nil {
				t.Errorf("read %d bytes of the 1000 announced without an error", len(got))
			}
		})
	}
}

// TestDownloadCutByDeadlineNamesTheCall: a file whose transfer the
// context's deadline cuts off fails to read with an error that names the
// client and the operation, and matches context.DeadlineExceeded, on
// every download path.
func TestDownloadCutByDeadlineNamesTheCall(t *testing.T) {
	prefixes := map[string]string{
		"OA Download": "officialaccount: download: ", "OA DownloadHDVoice": "officialaccount: download HD voice: ",
		"OA Get": "officialaccount: get material: ", "OA DownloadURL": "officialaccount: download url: ",
		"WeCom Download": "work: download: ", "WeCom DownloadHDVoice": "work: download HD voice: ",
	}
	for _, dp := range downloadPaths {
		if dp.ranged {
			continue
		}
		t.Run(dp.name, func(t *testing.T) {
			s := newServer(t)
			s.api = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/jpeg")
				w.Header().Set("Content-Disposition", `attachment; filename="a.jpg"`)
				w.Header().Set("Content-Length", "1000")
				io.WriteString(w, "\xff\xd8\xff\xe0")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}
			c := newClients(t, s, clientOptions{})
			ctx := newDeadline()
			content, err := dp.download(ctx, c, s)
			if err != nil {
				t.Fatalf("err = %v before the body", err)
			}
			defer content.Close()
			if _, err := io.ReadFull(content, make([]byte, 4)); err != nil {
				t.Fatalf("reading the first bytes: %v", err)
			}
			ctx.pass()
			_, err = io.ReadAll(content)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(fmt.Sprint(err), prefixes[dp.name]) {
				t.Errorf("err = %v, want context.DeadlineExceeded named %q", err, prefixes[dp.name])
			}
		})
	}
}

// deadline is a context whose deadline passes when the test says so: a
// transfer is cut off by it at a known point, however slow the machine.
type deadline struct {
	context.Context // Background: no value, no deadline, no cause of its own
	done            chan struct{}
	once            sync.Once
}

func newDeadline() *deadline {
	return &deadline{Context: context.Background(), done: make(chan struct{})}
}

func (d *deadline) Done() <-chan struct{} { return d.done }

func (d *deadline) Err() error {
	select {
	case <-d.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// pass makes the deadline pass.
func (d *deadline) pass() { d.once.Do(func() { close(d.done) }) }

// TestFileChangedMidDownload: a WeCom download fetched in several requests
// (Range chunks after 830002, or a resumption of a whole-file reply that
// broke off) whose parts name another version of the file (an ETag, or a
// Last-Modified without one) ends in an error matching
// transport.ErrChanged, never in bytes spliced from two files. Parts of
// one version give the exact file.
func TestFileChangedMidDownload(t *testing.T) {
	fileOf := func(seed byte) []byte {
		b := make([]byte, 3000)
		for i := range b {
			b[i] = byte(i*7) ^ seed
		}
		b[0] = 0xff // not JSON
		return b
	}
	a, b := fileOf(1), fileOf(2)
	tests := []struct {
		name string
		// header names the version of the part served by request n (from 1).
		header  string
		version func(n int) string
		resume  bool // the whole file comes first, cut off at byte 1000
		changed bool
	}{
		{name: "chunks, ETag changes", header: "ETag", version: func(n int) string { return map[bool]string{true: `"v1"`, false: `"v2"`}[n == 1] }, changed: true},
		{name: "chunks, Last-Modified changes", header: "Last-Modified",
			version: func(n int) string {
				return map[bool]string{true: "Mon, 30 Nov 2026 10:00:00 GMT", false: "Mon, 30 Nov 2026 10:05:00 GMT"}[n == 1]
			}, changed: true},
		{name: "chunks, one ETag", header: "ETag", version: func(int) string { return `"v1"` }},
		{name: "chunks, no version named", header: "ETag", version: func(int) string { return "" }},
		{name: "resumed, ETag changes", header: "ETag", resume: true, version: func(n int) string { return map[bool]string{true: `"v1"`, false: `"v2"`}[n == 1] }, changed: true},
		{name: "resumed, one ETag", header: "ETag", resume: true, version: func(int) string { return `"v1"` }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			var n atomic.Int32
			s.api = func(w http.ResponseWriter, r *http.Request) {
				rg := r.Header.Get("Range")
				if rg == "" && !tt.resume {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"errcode":830002,"errmsg":"media too large, use Range"}`)
					return
				}
				k := int(n.Add(1))
				f := a
				if tt.changed && k > 1 {
					f = b
				}
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Set("Content-Disposition", `attachment; filename="x.bin"`)
				if v := tt.version(k); v != "" {
					w.Header().Set(tt.header, v)
				}
				if rg == "" { // the whole file, cut off
					w.Header().Set("Content-Length", strconv.Itoa(len(f)))
					w.(http.Flusher).Flush()
					w.Write(f[:1000])
					panic(http.ErrAbortHandler)
				}
				var first, last int
				fmt.Sscanf(rg, "bytes=%d-%d", &first, &last)
				last = min(last, len(f)-1)
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, len(f)))
				w.Header().Set("Content-Length", strconv.Itoa(last-first+1))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(f[first : last+1])
			}
			wc, err := work.New(corpID, agentID, corpSecret, work.WithBaseURL(s.srv.URL+"/work"), work.WithRetry(fastRetry), work.WithChunkSize(1000))
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			c, err := wc.Download(t.Context(), "M1")
			if err == nil {
				got, err = io.ReadAll(c.Body)
				c.Body.Close()
			}
			if tt.changed {
				if !errors.Is(err, transport.ErrChanged) {
					t.Errorf("err = %v (%d bytes), want ErrChanged", err, len(got))
				}
				return
			}
			if err != nil || !bytes.Equal(got, a) {
				t.Errorf("Download = %d bytes, %v; want the file's %d bytes", len(got), err, len(a))
			}
		})
	}
}
