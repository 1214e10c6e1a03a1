package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

const (
	secret    = "APPSECRET-9f8e7d6c"
	tokenBase = "ACCESSTOKEN-5b4a39"
)

// TestNoSecretInErrorsOrLogs runs every failure mode with a debug logger and
// checks that neither the access token nor the secret appears in the error
// (however it is printed) or in any log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	// echo answers with the request URL, query included, in the body.
	echo := func(status int, contentType, format string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			fmt.Fprintf(w, format, r.URL.String())
		})
	}
	closedURL := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u := "http://" + l.Addr().String()
		l.Close()
		return u
	}
	tests := []struct {
		name    string
		handler http.Handler            // served under /api; nil when baseURL is set
		baseURL func(*testing.T) string // a special server
		tokens  transport.TokenSource
		timeout time.Duration
	}{
		{name: "connection refused", baseURL: closedURL},
		{name: "timeout", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The server cancels r.Context on a closed connection only once
			// the body has been read.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}), timeout: 50 * time.Millisecond},
		{name: "5xx until give-up", handler: echo(503, "text/html", "<html>overloaded %s</html>")},
		{name: "errcode JSON echoing the URL", handler: echo(200, "application/json", `{"errcode":40007,"errmsg":"invalid media_id for %s rid: 1-2-3"}`)},
		{name: "token rejected twice", handler: echo(200, "application/json", `{"errcode":40001,"errmsg":"invalid credential %s"}`)},
		{name: "malformed JSON", handler: echo(200, "application/json", `{"oops": %q`)},
		{name: "TLS failure", baseURL: func(t *testing.T) string {
			s := httptest.NewTLSServer(http.NotFoundHandler())
			t.Cleanup(s.Close)
			return s.URL
		}},
		{name: "token endpoint failure", handler: echo(200, "application/json", `{}`), tokens: failingTokens{}},
		{name: "dropped connection", handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			ts := &tokens{prefix: tokenBase}
			opt := func(c *transport.Config) {
				c.Logger = logs.logger()
				if tt.tokens != nil {
					c.Tokens = tt.tokens
				}
				if tt.baseURL != nil {
					c.BaseURL = tt.baseURL(t)
				}
			}
			handler := tt.handler
			if handler == nil {
				handler = http.NotFoundHandler()
			}
			c, _ := setup(t, material.OfficialAccount, handler, func(c *transport.Config) { c.Tokens = ts; opt(c) })
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			for _, write := range []bool{false, true} {
				err := c.Do(ctx, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", JSON: map[string]string{"k": "v"}, Write: write}, nil)
				if err == nil {
					t.Fatal("the call succeeded; the failure mode did not happen")
				}
				var printed string
				for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
					printed += fmt.Sprintf(f, err) + "\n"
				}
				for e := err; e != nil; e = errors.Unwrap(e) {
					printed += fmt.Sprintf("%#v\n", e)
				}
				if leak := contains(printed, tokenBase, secret); leak != "" {
					t.Errorf("the error holds %q:\n%s", leak, printed)
				}
			}
			if leak := contains(logs.String(), tokenBase, secret, "access_token", "?"); leak != "" {
				t.Errorf("the log holds %q:\n%s", leak, logs)
			}
			if logs.String() == "" {
				t.Error("nothing was logged at debug level")
			}
		})
	}
}

// failingTokens fails as a token endpoint would, with the secret in the URL
// of its error, and a token in its message.
type failingTokens struct{}

func (failingTokens) Token(context.Context) (string, error) {
	return "", fmt.Errorf(`Get "https://api.weixin.qq.com/cgi-bin/token?appid=wx1&grant_type=client_credential&secret=%s": dial tcp: connection refused; last access_token=%s`, secret, tokenBase)
}

func (failingTokens) Invalidate(context.Context, string) error { return nil }
