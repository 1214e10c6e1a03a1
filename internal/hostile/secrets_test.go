package hostile_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// echoTypes and echoSizes are what the echoing server varies: the reply's
// Content-Type, and padding that pushes the echo past the sizes a
// redacting peek or a snippet might stop at.
var (
	echoTypes = []string{"application/json", "text/html", "text/plain", "application/octet-stream", "image/jpeg", ""}
	echoSizes = []int{0, 200, 70 << 10, 1 << 20}
	// echoStatuses: a 1 MiB echo is tried with status 200 only, to keep the
	// suite quick under the race detector.
	echoStatuses = func(size int) []int {
		if size >= 1<<20 {
			return []int{200}
		}
		return []int{200, 500}
	}
)

// echo writes a reply that repeats every token and secret it has seen (in
// the request and on the token endpoints), raw and escaped, in an errcode
// JSON and in an HTML tail after size bytes of padding.
func echo(s *server, w http.ResponseWriter, r *http.Request, contentType string, status, size int) {
	tok := r.URL.Query().Get("access_token")
	w.Header()["Content-Type"] = nil
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	seen := append([]string{tok, appSecret, corpSecret, url.QueryEscape(appSecret), url.QueryEscape(corpSecret)}, s.mintedTokens()...)
	all := strings.Join(seen, " ")
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `{"errcode":40007,"errmsg":"invalid media_id %s, hint: [%s], rid: %s","media_id":"%s"}`, all, tok, tok, tok)
	bw.WriteString(strings.Repeat(" ", size))
	fmt.Fprintf(bw, "<html>access_token=%s&secret=%s %s</html>", tok, appSecret, all)
	bw.Flush()
}

// held is what each client holds or held: its secret and its tokens.
var held = map[material.Platform][]string{
	material.OfficialAccount: {appSecret, url.QueryEscape(appSecret), tokenPrefix + "-OA"},
	material.WeCom:           {corpSecret, url.QueryEscape(corpSecret), tokenPrefix + "-WC"},
}

// TestEchoedSecretsNeverShown: a server that echoes the tokens and secrets
// a client holds or held, in every content type and size, with status 200
// or 500, on every call of both clients and on the token endpoints, never
// gets one into an error, a log line or an observer's event of that
// client; no event holds a query string.
func TestEchoedSecretsNeverShown(t *testing.T) {
	calls := everyCall()
	for _, ct := range echoTypes {
		for _, size := range echoSizes {
			for _, status := range echoStatuses(size) {
				t.Run(fmt.Sprintf("%q/%d/%d", ct, size, status), func(t *testing.T) {
					for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
						logs := &logBuffer{}
						s := newServer(t)
						s.api = func(w http.ResponseWriter, r *http.Request) { echo(s, w, r, ct, status, size) }
						// One attempt per call: what is echoed matters, not how often.
						once := transport.RetryPolicy{MaxAttempts: 1}
						var events eventTexts
						c := newClients(t, s, clientOptions{logger: logs.logger(), retry: once, observer: &events})
						var texts []string
						for _, call := range calls {
							if call.platform != p {
								continue
							}
							err := call.call(t.Context(), c)
							if err == nil {
								t.Errorf("%s: no error", call.name)
							}
							texts = append(texts, errorTexts(err)...)
						}
						// The token endpoints echo too, after a first honest token.
						ts := newServer(t)
						var n atomic.Int32 // the handlers of two connections may run it
						ts.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
							if n.Add(1) == 1 {
								first := tokenPrefix + "-" + map[material.Platform]string{material.OfficialAccount: "OA", material.WeCom: "WC"}[p] + "-first"
								ts.mu.Lock()
								ts.minted = append(ts.minted, first)
								ts.mu.Unlock()
								io.WriteString(w, `{"access_token":"`+first+`","expires_in":7200}`)
								return
							}
							// A JSON reply the fetcher can read, echoing everything in errmsg.
							w.WriteHeader(status)
							all := strings.Join(append([]string{appSecret, corpSecret, url.QueryEscape(appSecret), url.QueryEscape(corpSecret)}, ts.mintedTokens()...), " ")
							fmt.Fprintf(w, `{"errcode":40013,"errmsg":"invalid appid %s%s, hint: [%s] rid: %s"}`, all, strings.Repeat(" ", min(size, 1000)), all, all)
						}
						// Reject the first token, so that the next fetch echoes it.
						ts.api = func(w http.ResponseWriter, r *http.Request) {
							io.WriteString(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
						}
						tc := newClients(t, ts, clientOptions{logger: logs.logger(), stable: status == 500, retry: once, observer: &events})
						for _, call := range calls {
							if call.platform == p {
								err := call.call(t.Context(), tc)
								if err == nil || (status == 200 && !strings.Contains(err.Error(), "40013")) {
									t.Errorf("%s: err = %v, want the token endpoint's echoed errcode", call.name, err)
								}
								texts = append(texts, errorTexts(err)...)
								break
							}
						}
						texts = append(texts, logs.String())
						seen := events.all()
						if len(seen) == 0 {
							t.Errorf("%s: the observer saw no event", p)
						}
						for _, e := range seen {
							if strings.ContainsAny(e, "?&=") {
								t.Errorf("%s: an event holds a query: %s", p, e)
							}
						}
						texts = append(texts, seen...)
						for _, text := range texts {
							for _, secret := range held[p] {
								if strings.Contains(text, secret) {
									t.Errorf("%s: %q leaked into:\n%.600s", p, secret, text)
								}
							}
						}
					}
				})
			}
		}
	}
}

// anyCall is one call of one client, a read or a write.
type anyCall struct {
	name     string
	platform material.Platform
	call     func(ctx context.Context, c *clients) error
}

// everyCall is every write and every read of both clients.
func everyCall() []anyCall {
	var calls []anyCall
	for _, op := range writeOps {
		calls = append(calls, anyCall{op.name, op.platform, op.call})
	}
	for _, op := range readOps {
		calls = append(calls, anyCall{op.name, op.platform, op.call})
	}
	return calls
}

// eventTexts is an Observer that keeps every event as %+v and %#v print it.
type eventTexts struct {
	mu    sync.Mutex
	texts []string
}

func (o *eventTexts) Observe(_ context.Context, e transport.Event) {
	o.mu.Lock()
	o.texts = append(o.texts, fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
	o.mu.Unlock()
}

func (o *eventTexts) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.texts...)
}

// errorTexts is every way err may be printed, link by link.
func errorTexts(err error) []string {
	if err == nil {
		return nil
	}
	texts := []string{fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%q", err)}
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		texts = append(texts, apiErr.Message, apiErr.RequestID, fmt.Sprintf("%#v", apiErr))
	}
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		texts = append(texts, fmt.Sprintf("%v", e), fmt.Sprintf("%#v", e))
	}
	return texts
}

// TestJobErrorEchoNeverShown: the detail errmsg of a failed upload-by-URL
// job is reply text too.
func TestJobErrorEchoNeverShown(t *testing.T) {
	s := newServer(t)
	s.api = func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","status":3,"detail":{"errcode":830003,"errmsg":"download failed for %s with %s"}}`, tok, corpSecret)
	}
	c := newClients(t, s, clientOptions{})
	job, err := c.work.UploadByURLResult(t.Context(), "J1")
	if err != nil || job.Err == nil {
		t.Fatalf("job %+v, err %v: want a failed job", job, err)
	}
	for _, text := range errorTexts(job.Err) {
		for _, secret := range held[material.WeCom] {
			if strings.Contains(text, secret) {
				t.Errorf("%q leaked into %s", secret, text)
			}
		}
	}
}

// escapedForms are the ways a hostile server writes back a value it saw:
// escaped so that a literal search misses it, or in part.
var escapedForms = []struct {
	name   string
	escape func(v string) string
}{
	{name: "JSON \\u escapes", escape: func(v string) string {
		var b strings.Builder
		for _, r := range v {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	}},
	{name: "one \\u escape", escape: func(v string) string { return strings.Replace(v, "-", `\u002d`, 1) }},
	{name: "HTML decimal references", escape: func(v string) string { return strings.ReplaceAll(v, "-", "&#45;") }},
	{name: "HTML hex references", escape: func(v string) string {
		var b strings.Builder
		for _, r := range v {
			fmt.Fprintf(&b, "&#x%x;", r)
		}
		return b.String()
	}},
	{name: "URL escapes", escape: func(v string) string { return strings.ReplaceAll(v, "-", "%2D") }},
	{name: "a \\u escape of a reference", escape: func(v string) string { return strings.ReplaceAll(v, "-", `\u0026#45;`) }},
	{name: "a 13-byte prefix", escape: func(v string) string { return v[:13] }},
	{name: "a 13-byte suffix", escape: func(v string) string { return v[len(v)-13:] }},
	{name: "upper case", escape: strings.ToUpper},
}

// TestEscapedEchoesNeverShown: a server that echoes the token and the
// secret a client holds, escaped or in part, in a success without the
// fields the call needs, in an errmsg, or in a 500 page, never gets a run
// of 12 bytes of either into an error or a log line, read as it is or
// decoded.
func TestEscapedEchoesNeverShown(t *testing.T) {
	calls := everyCall()
	secrets := map[material.Platform]string{material.OfficialAccount: appSecret, material.WeCom: corpSecret}
	shapes := []struct {
		name   string
		status int
		body   string // %s is the echo
	}{
		{name: "a success without the fields", status: 200, body: `{"errcode":0,"echo":"%s"}`},
		{name: "an errmsg", status: 200, body: `{"errcode":40007,"errmsg":"invalid media_id %s"}`},
		{name: "a 500 page", status: 500, body: `<html><body>%s</body></html>`},
	}
	for _, form := range escapedForms {
		for _, shape := range shapes {
			t.Run(form.name+"/"+shape.name, func(t *testing.T) {
				logs := &logBuffer{}
				s := newServer(t)
				var mu sync.Mutex
				seen := map[material.Platform][]string{}
				s.api = func(w http.ResponseWriter, r *http.Request) {
					tok := r.URL.Query().Get("access_token")
					p := material.OfficialAccount
					if strings.HasPrefix(r.URL.Path, "/work") {
						p = material.WeCom
					}
					mu.Lock()
					seen[p] = append(seen[p], tok)
					mu.Unlock()
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(shape.status)
					fmt.Fprintf(w, shape.body, form.escape(tok)+" "+form.escape(secrets[p]))
				}
				c := newClients(t, s, clientOptions{logger: logs.logger(), retry: transport.RetryPolicy{MaxAttempts: 1}})
				for _, call := range calls {
					err := call.call(t.Context(), c)
					if err == nil {
						continue // Delete succeeds on {"errcode":0}: nothing to show
					}
					mu.Lock()
					values := append([]string{secrets[call.platform]}, seen[call.platform]...)
					mu.Unlock()
					for _, text := range append(errorTexts(err), logs.String()) {
						if run := heldRun(text, values); run != "" {
							t.Errorf("%s: %q, part of a held value, shows in:\n%.600s", call.name, run, text)
						}
					}
				}
			})
		}
	}
}

// heldRun returns a run of 12 bytes of one of values that text holds, in
// any case, as it is or once its escapes are decoded; "" when there is
// none.
func heldRun(text string, values []string) string {
	for _, t := range []string{text, decodeEscapes(text)} {
		lower := strings.ToLower(t)
		for _, v := range values {
			lv := strings.ToLower(v)
			for i := 0; i+12 <= len(lv); i++ {
				if strings.Contains(lower, lv[i:i+12]) {
					return v[i : i+12]
				}
			}
		}
	}
	return ""
}

var (
	jsonEscapeRE = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)
	urlEscapeRE  = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
)

// decodeEscapes reads through JSON \u escapes, HTML references and URL
// escapes, a few times over.
func decodeEscapes(s string) string {
	for range 4 {
		s = jsonEscapeRE.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.ParseUint(m[2:], 16, 32)
			return string(rune(n))
		})
		s = html.UnescapeString(s)
		s = urlEscapeRE.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := url.PathUnescape(m)
			return v
		})
	}
	return s
}

// TestEchoedSecretsInFileHeaders: a download whose headers echo the token
// (the file name of its Content-Disposition, a parameter of its
// Content-Type) returns a Content whose Name and ContentType hide it, and a
// link that carries the token in its path is not named with it in an
// error. Callers show and save both.
func TestEchoedSecretsInFileHeaders(t *testing.T) {
	for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
		t.Run(string(p), func(t *testing.T) {
			s := newServer(t)
			s.api = func(w http.ResponseWriter, r *http.Request) {
				tok := r.URL.Query().Get("access_token")
				w.Header().Set("Content-Type", "image/jpeg; x="+tok)
				w.Header().Set("Content-Disposition", `attachment; filename="`+tok+`.jpg"`)
				io.WriteString(w, "\xff\xd8\xff\xe0 a jpeg")
			}
			c := newClients(t, s, clientOptions{})
			var svc material.Service = c.oa
			if p == material.WeCom {
				svc = c.work
			}
			content, err := svc.Download(t.Context(), "M1")
			if err != nil {
				t.Fatal(err)
			}
			content.Body.Close()
			for _, tok := range s.mintedTokens() {
				if strings.Contains(content.Name, tok) || strings.Contains(content.ContentType, tok) {
					t.Errorf("Content name %q, type %q: the token shows", content.Name, content.ContentType)
				}
			}
			if !strings.HasSuffix(content.Name, ".jpg") || !strings.HasPrefix(content.ContentType, "image/jpeg") {
				t.Errorf("Content name %q, type %q: want what is not secret kept", content.Name, content.ContentType)
			}
		})
	}
	t.Run("link", func(t *testing.T) {
		s := newServer(t)
		s.api = func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/_media/") {
				http.Error(w, "gone", http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"video_url":"%s/_media/%s.mp4"}`, s.srv.URL, r.URL.Query().Get("access_token"))
		}
		c := newClients(t, s, clientOptions{})
		content, err := c.oa.Download(t.Context(), "M1")
		if err != nil || content.URL == "" {
			t.Fatalf("Download = %+v, %v; want a video link", content, err)
		}
		_, err = c.oa.DownloadURL(t.Context(), content.URL)
		if err == nil {
			t.Fatal("DownloadURL of a link answering 404: no error")
		}
		for _, tok := range s.mintedTokens() {
			if strings.Contains(err.Error(), tok) {
				t.Errorf("err = %v: the token in the link's path shows", err)
			}
		}
	})
}
