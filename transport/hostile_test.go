package transport_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// rawReply hijacks the connection, writes raw and closes it: a reply cut
// wherever raw ends.
func rawReply(w http.ResponseWriter, raw string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString(raw)
	buf.Flush()
	conn.Close()
}

// brokenReplies are replies that do not tell whether a write was applied.
// Each reads the whole request first.
var brokenReplies = []struct {
	name  string
	serve func(w http.ResponseWriter)
	read  bool // a read gets it again (false: a reply no retry can fix)
}{
	{name: "cut after the headers", read: true, serve: func(w http.ResponseWriter) {
		rawReply(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
	}},
	{name: "cut mid-JSON", read: true, serve: func(w http.ResponseWriter) {
		rawReply(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"media_id\":\"abc")
	}},
	{name: "cut in the status line", read: true, serve: func(w http.ResponseWriter) { rawReply(w, "HTTP/1.1 20") }},
	{name: "dropped without a reply", read: true, serve: func(w http.ResponseWriter) { rawReply(w, "") }},
	{name: "HTML page with status 200", serve: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>504 Gateway Time-out</body></html>")
	}},
	{name: "200 without media_id", serve: func(w http.ResponseWriter) { writeJSON(w, `{"errcode":0,"errmsg":"ok"}`) }},
	{name: "200 with an empty body", serve: func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/json") }},
	{name: "200 with a media_id of the wrong type", serve: func(w http.ResponseWriter) { writeJSON(w, `{"media_id":12}`) }},
	{name: "HTTP 500", read: true, serve: func(w http.ResponseWriter) { http.Error(w, "oops", 500) }},
	{name: "HTTP 502 with a busy errcode", read: true, serve: func(w http.ResponseWriter) {
		w.WriteHeader(502)
		io.WriteString(w, `{"errcode":-1,"errmsg":"system error"}`)
	}},
	{name: "HTTP 429", read: true, serve: func(w http.ResponseWriter) { w.WriteHeader(429) }},
	{name: "HTTP 307", serve: func(w http.ResponseWriter) {
		w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
		w.WriteHeader(307)
	}},
}

// mediaOut is a reply that needs a media_id.
type mediaOut struct {
	MediaID string `json:"media_id"`
}

func (m *mediaOut) Missing() string {
	if m.MediaID == "" {
		return "media_id"
	}
	return ""
}

// TestBrokenReplyToAWrite: a write answered by a broken reply is sent once
// and ends in ErrOutcomeUnknown; a read is retried when a retry may help.
func TestBrokenReplyToAWrite(t *testing.T) {
	for _, br := range brokenReplies {
		t.Run(br.name, func(t *testing.T) {
			var n atomic.Int32
			c, _ := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				io.Copy(io.Discard, r.Body)
				br.serve(w)
			}))
			body := material.FromBytes("body.bin", bytes.Repeat([]byte("m"), 64<<10))
			err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", File: &body, Write: true}, &mediaOut{})
			if !errors.Is(err, material.ErrOutcomeUnknown) {
				t.Errorf("write: err = %v, want ErrOutcomeUnknown", err)
			}
			if got := n.Load(); got != 1 {
				t.Errorf("write: the server received %d requests, want 1", got)
			}
			n.Store(0)
			err = c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/batchget_material", JSON: map[string]int{"count": 20}}, &mediaOut{})
			if err == nil || errors.Is(err, material.ErrOutcomeUnknown) {
				t.Errorf("read: err = %v, want an error without ErrOutcomeUnknown", err)
			}
			want := int32(1)
			if br.read {
				want = transport.DefaultMaxAttempts
			}
			if got := n.Load(); got != want {
				t.Errorf("read: the server received %d requests, want %d", got, want)
			}
		})
	}
}

// TestCutReplyRace is the reported bug: a reply cut after its headers made
// the client resend the write when the reply raced the end of the upload.
// 300 uploads of 256 KiB: each must reach the server exactly once.
func TestCutReplyRace(t *testing.T) {
	var n atomic.Int32
	c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		rawReply(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"media_id\":\"")
	}))
	payload := bytes.Repeat([]byte("p"), 256<<10)
	for i := range 300 {
		before := n.Load()
		body := material.FromBytes("body.bin", payload)
		err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/add_material", File: &body, Write: true}, &mediaOut{})
		if got := n.Load() - before; got != 1 {
			t.Fatalf("upload %d reached the server %d times", i, got)
		}
		if !errors.Is(err, material.ErrOutcomeUnknown) {
			t.Fatalf("upload %d: err = %v, want ErrOutcomeUnknown", i, err)
		}
	}
}

// TestTokenRejectedInAnyContentType: a rejected token is replayed with a new
// one whatever type the rejection comes in, on calls and downloads.
func TestTokenRejectedInAnyContentType(t *testing.T) {
	types := []struct{ contentType, disposition string }{
		{"application/json", ""},
		{"application/octet-stream", ""},
		{"text/html", ""},
		{"text/plain", ""},
		{"image/jpeg", `attachment; filename="a.jpg"`},
		{"", ""},
	}
	for _, ty := range types {
		for _, download := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s %s download=%v", ty.contentType, ty.disposition, download), func(t *testing.T) {
				seen := &counter{}
				c, ts := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					tok := r.URL.Query().Get("access_token")
					seen.add(tok)
					w.Header()["Content-Type"] = nil
					if tok == "TOKEN-1" {
						if ty.contentType != "" {
							w.Header().Set("Content-Type", ty.contentType)
						}
						if ty.disposition != "" {
							w.Header().Set("Content-Disposition", ty.disposition)
						}
						io.WriteString(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
						return
					}
					if download {
						w.Header().Set("Content-Type", "image/jpeg")
						io.WriteString(w, "\xff\xd8\xff\xe0")
						return
					}
					writeJSON(w, `{"errcode":0,"errmsg":"ok"}`)
				}))
				req := &transport.Request{Path: "/cgi-bin/media/get"}
				var err error
				if download {
					var rep *transport.Reply
					if rep, err = c.Download(t.Context(), req); err == nil {
						got, _ := io.ReadAll(rep.Content)
						rep.Content.Close()
						if string(got) != "\xff\xd8\xff\xe0" {
							t.Errorf("file = %q", got)
						}
					}
				} else {
					err = c.Do(t.Context(), req, nil)
				}
				if err != nil {
					t.Fatalf("err = %v, want the call replayed with a new token", err)
				}
				if seen.get("TOKEN-1") != 1 || seen.get("TOKEN-2") != 1 || ts.fetches.Load() != 2 {
					t.Errorf("requests %v, fetches %d: want one with each token", seen.n, ts.fetches.Load())
				}
			})
		}
	}
}

// TestRedirectsNotFollowed: an API endpoint that redirects, with a caller's
// plain http.Client, sends nothing to the target; the error names the
// status and the target's host, never its query or the token.
func TestRedirectsNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	defer target.Close()
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, download := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d download=%v", status, download), func(t *testing.T) {
				c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					http.Redirect(w, r, target.URL+"/steal?"+r.URL.RawQuery, status)
				}), func(cfg *transport.Config) { cfg.HTTPClient = &http.Client{} })
				req := &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/add_material", JSON: map[string]string{"k": "v"}, Write: !download}
				err := doOrDownload(t.Context(), c, req, download)
				var apiErr *material.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatus != status {
					t.Fatalf("err = %v, want an APIError with HTTP %d", err, status)
				}
				host := strings.TrimPrefix(target.URL, "http://")
				if msg := err.Error(); !strings.Contains(msg, `redirect to "`+host+`" not followed`) || strings.Contains(msg, "steal") || strings.Contains(msg, "TOKEN") {
					t.Errorf("err = %q, want the target's host and nothing more", msg)
				}
				if !download && !errors.Is(err, material.ErrOutcomeUnknown) {
					t.Errorf("a redirected write: err = %v, want ErrOutcomeUnknown", err)
				}
			})
		}
	}
	if stolen.Load() != 0 {
		t.Errorf("the redirect target received %d requests", stolen.Load())
	}
}

// TestEarlyReplyNotTrusted: a success answered before the whole request was
// sent is not taken for one.
func TestEarlyReplyNotTrusted(t *testing.T) {
	var n atomic.Int32
	c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.CopyN(io.Discard, r.Body, 1024)
		// Answer while the client's body is still on its way.
		w.Header().Set("Content-Length", "20")
		writeJSON(w, `{"media_id":"EARLY"}`)
	}))
	// A body that stalls after 1 MiB, until the reply has been seen.
	release := make(chan struct{})
	defer close(release)
	body := material.FromReader("body.bin", io.MultiReader(bytes.NewReader(make([]byte, 1<<20)), blockUntil(release), bytes.NewReader(make([]byte, 1<<20))), 2<<20)
	var out mediaOut
	err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/add_material", File: &body, Write: true}, &out)
	if !errors.Is(err, material.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("err = %v, want an untrusted reply with ErrOutcomeUnknown", err)
	}
	if out.MediaID != "" {
		t.Errorf("media_id %q was taken from an untrusted reply", out.MediaID)
	}
	if n.Load() != 1 {
		t.Errorf("requests = %d, want 1", n.Load())
	}
}

// blockUntil is a reader that yields nothing until ch is closed, then EOF.
type blockUntil chan struct{}

func (b blockUntil) Read([]byte) (int, error) {
	<-b
	return 0, io.EOF
}

// completeBodies counts requests whose whole declared body arrived.
func completeBodies(n, partial *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.Copy(io.Discard, r.Body)
		if err != nil || got != r.ContentLength {
			partial.Add(1)
			return
		}
		n.Add(1)
		writeJSON(w, `{"media_id":"M"}`)
	})
}

// TestLyingSources: a source that yields more or fewer bytes than it
// declared, or fails to be read, fails the upload before the server gets a
// whole request; it is not retried and is not an unknown outcome.
func TestLyingSources(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	failing := errors.New("disk on fire")
	tests := []struct {
		name    string
		src     material.Source
		wantErr error
		wantMsg string
	}{
		{name: "one-shot reader longer than declared", src: material.FromReader("a.jpg", io.MultiReader(bytes.NewReader(data)), int64(len(data)-1)), wantErr: material.ErrInvalidInput, wantMsg: "yields more than"},
		{name: "one-shot reader shorter than declared", src: material.FromReader("a.jpg", io.MultiReader(bytes.NewReader(data)), int64(len(data)+1)), wantErr: material.ErrInvalidInput, wantMsg: "ended after"},
		{name: "reader that fails", src: material.FromReader("a.jpg", io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(failing)), int64(len(data))), wantErr: failing, wantMsg: "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var complete, partial atomic.Int32
			c, _ := setup(t, material.OfficialAccount, completeBodies(&complete, &partial))
			err := upload(t, c, tt.src)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
			if errors.Is(err, material.ErrOutcomeUnknown) {
				t.Errorf("err = %v: a request never sent in full cannot have been applied", err)
			}
			if complete.Load() != 0 {
				t.Errorf("the server received %d complete requests", complete.Load())
			}
			if partial.Load() > 1 {
				t.Errorf("the server saw %d partial requests: a local failure was retried", partial.Load())
			}
		})
	}
}

// TestGrowingFileNotUploaded: a file that grew after FromFile fails; the
// server never receives a whole request, even a retried one.
func TestGrowingFileNotUploaded(t *testing.T) {
	path, data := testFile(t, "a.jpg", 100000)
	src, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := appendFile(path, data[:10]); err != nil {
		t.Fatal(err)
	}
	var complete, partial atomic.Int32
	c, _ := setup(t, material.WeCom, completeBodies(&complete, &partial))
	err = upload(t, c, src)
	if !errors.Is(err, material.ErrInvalidInput) || !strings.Contains(err.Error(), "grew") {
		t.Fatalf("err = %v, want a grown file", err)
	}
	if complete.Load() != 0 || partial.Load() > 1 {
		t.Errorf("server: %d complete, %d partial requests; want none complete and no retry", complete.Load(), partial.Load())
	}
}

// TestSourceThatCannotOpenIsNotRetried: a replayable Source whose file
// cannot be opened is a local error: no complete request reaches the
// server, and the call is not retried.
func TestSourceThatCannotOpenIsNotRetried(t *testing.T) {
	var complete, partial atomic.Int32
	c, _ := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			partial.Add(1)
			return
		}
		complete.Add(1)
	}))
	path := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	body, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err = c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", File: &body, Write: true}, nil)
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, material.ErrOutcomeUnknown) || transport.ClassOf(err) != transport.ClassInvalidInput {
		t.Fatalf("err = %v (class %v), want the local failure", err, transport.ClassOf(err))
	}
	if complete.Load() != 0 || partial.Load() > 1 {
		t.Errorf("server: %d complete, %d partial requests; want none complete and no retry", complete.Load(), partial.Load())
	}
}

// TestEchoedSecretsNeverShown: a server that echoes the token and the
// secret, in every content type and size, on calls and downloads, never
// gets them into an error.
func TestEchoedSecretsNeverShown(t *testing.T) {
	const appSecret = "APPSECRET-0123456789abcdef"
	types := []string{"application/json", "text/html", "text/plain", "application/octet-stream", "image/jpeg", ""}
	sizes := []int{0, 200, 70 << 10, 1 << 20} // 70 KiB: past the 64 KiB Classify peeks at
	for _, ty := range types {
		for _, size := range sizes {
			for _, status := range []int{200, 500} {
				t.Run(fmt.Sprintf("%s/%d/%d", ty, size, status), func(t *testing.T) {
					srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						io.Copy(io.Discard, r.Body)
						tok := r.URL.Query().Get("access_token")
						w.Header()["Content-Type"] = nil
						if ty != "" {
							w.Header().Set("Content-Type", ty)
						}
						w.WriteHeader(status)
						pad := strings.Repeat(" ", size)
						bw := bufio.NewWriter(w)
						fmt.Fprintf(bw, `{"errcode":40007,"errmsg":"invalid media_id %s %s rid: %s"}`, tok, appSecret, tok)
						bw.WriteString(pad)
						fmt.Fprintf(bw, "<html>%s access_token=%s %s</html>", pad, tok, appSecret)
						bw.Flush()
					})
					c, _ := setup(t, material.OfficialAccount, srv, func(cfg *transport.Config) {
						cfg.Secrets = []string{appSecret}
						cfg.Retry.MaxAttempts = 1
					})
					errs := []error{
						c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/media/get"}, nil),
						func() error {
							_, err := c.Download(t.Context(), &transport.Request{Path: "/cgi-bin/media/get"})
							return err
						}(),
					}
					for _, err := range errs {
						if err == nil {
							t.Fatal("no error")
						}
						printed := fmt.Sprintf("%v %+v %#v", err, err, err)
						if leak := contains(printed, "TOKEN-1", appSecret); leak != "" {
							t.Errorf("the error holds %q: %s", leak, printed)
						}
						if len(err.Error()) > 1024 {
							t.Errorf("the error is %d bytes long", len(err.Error()))
						}
					}
				})
			}
		}
	}
}

func appendFile(path string, b []byte) error {
	f, err := openAppend(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
}

// TestStaticTokenRejected: a write rejected for a token that cannot be
// refreshed is not sent again, and the platform did not act on it.
func TestStaticTokenRejected(t *testing.T) {
	var n atomic.Int32
	c, _ := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		writeJSON(w, `{"errcode":40014,"errmsg":"invalid access_token"}`)
	}), func(cfg *transport.Config) { cfg.Tokens = staticTokens("STATIC") })
	err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload_by_url", JSON: map[string]string{"k": "v"}, Write: true}, nil)
	if !errors.Is(err, material.ErrUnauthorized) || errors.Is(err, material.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrUnauthorized and no unknown outcome", err)
	}
	if n.Load() != 1 {
		t.Errorf("requests = %d, want 1", n.Load())
	}
}
