package auth_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

// leakToken is what the misbehaving servers below hand out as a token.
const leakToken = "LEAK-TOKEN-0123456789"

// echo is everything a request carried: its URL (with the secret of the
// GET endpoints) and its body (with the secret of stable_token).
func echo(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return r.URL.String() + " " + string(b)
}

// failureModes are the ways a token endpoint can fail. Each returns the
// base URL of a server that fails so.
var failureModes = []struct {
	name    string
	timeout bool // the fetch must time out
	ok      bool // the fetch succeeds (logs are still checked)
	serve   func(t *testing.T, secret string) string
}{
	{name: "success", ok: true, serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": leakToken, "expires_in": 7200})
		})
	}},
	{name: "connection refused", serve: func(t *testing.T, secret string) string {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		return srv.URL
	}},
	{name: "timeout", timeout: true, serve: func(t *testing.T, secret string) string {
		done := make(chan struct{})
		u := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-done:
			}
		})
		t.Cleanup(func() { close(done) }) // runs before the server's Close
		return u
	}},
	{name: "HTTP 500 echoing the request", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream failed for "+echo(r)+" token "+leakToken, http.StatusInternalServerError)
		})
	}},
	{name: "HTTP 502 errcode echoing the secret", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			writeJSON(w, map[string]any{"errcode": -1, "errmsg": "busy " + secret + " " + url.QueryEscape(secret), "access_token": leakToken})
		})
	}},
	{name: "errcode echoing the secret", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret " + secret + ", hint: [" + url.QueryEscape(secret) + "] rid: " + secret})
		})
	}},
	{name: "errcode with a token", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"errcode": 45009, "errmsg": "quota for access_token=" + leakToken + " and " + leakToken, "access_token": leakToken})
		})
	}},
	{name: "malformed JSON", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"access_token":"`+leakToken+`","secret":"`+secret+`","expires_in":`)
		})
	}},
	{name: "token without expiry", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"access_token": leakToken, "expires_in": "n/a " + secret})
		})
	}},
	{name: "TLS failure", serve: func(t *testing.T, secret string) string {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"access_token": leakToken, "expires_in": 7200})
		}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are the point
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}},
	{name: "redirect carrying the secret", serve: func(t *testing.T, secret string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/steal?"+url.Values{"secret": {secret}, "s": {secret}}.Encode(), http.StatusTemporaryRedirect)
		})
	}},
}

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// leakFetchers build each fetcher on a base URL, with a logger.
var leakFetchers = []struct {
	name   string
	secret string
	build  func(base string, opts ...auth.FetcherOption) (auth.Fetcher, error)
}{
	{name: "OfficialAccount", secret: testSecret, build: func(base string, opts ...auth.FetcherOption) (auth.Fetcher, error) {
		return auth.NewOfficialAccount(testAppID, testSecret, append(opts, auth.WithBaseURL(base))...)
	}},
	{name: "Stable", secret: testSecret, build: func(base string, opts ...auth.FetcherOption) (auth.Fetcher, error) {
		return auth.NewStable(testAppID, testSecret, append(opts, auth.WithBaseURL(base))...)
	}},
	{name: "Work", secret: testCorpSecret, build: func(base string, opts ...auth.FetcherOption) (auth.Fetcher, error) {
		return auth.NewWeCom(testCorpID, testCorpSecret, append(opts, auth.WithBaseURL(base))...)
	}},
}

func TestNoSecretOrTokenInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	for _, ft := range leakFetchers {
		for _, mode := range failureModes {
			t.Run(ft.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				logger, logs := newLogger()
				f, err := ft.build(mode.serve(t, ft.secret), auth.WithFetcherLogger(logger))
				if err != nil {
					t.Fatal(err)
				}
				c := auth.NewCache(f, auth.WithLogger(logger), auth.WithFetchTimeout(200*time.Millisecond))

				tok, err := c.Token(t.Context())
				switch {
				case mode.ok && err != nil:
					t.Fatalf("Token: %v", err)
				case !mode.ok && err == nil:
					t.Fatalf("Token = %q, nil; want an error", tok)
				case mode.timeout && !strings.Contains(fmt.Sprint(err), "no answer within"):
					t.Errorf("Token = %v, want the fetch timeout", err)
				}

				var texts []string
				if err != nil {
					texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
					var ue *url.Error
					if errors.As(err, &ue) {
						texts = append(texts, ue.URL, ue.Error())
					}
					// A caller that unwraps the platform's error must not find it either.
					var ae *material.APIError
					if errors.As(err, &ae) {
						texts = append(texts, ae.Error(), ae.Message, ae.RequestID)
					}
				}
				texts = append(texts, logs.String())
				forbidden := []string{ft.secret, url.QueryEscape(ft.secret), url.PathEscape(ft.secret), leakToken}
				for _, text := range texts {
					for _, s := range forbidden {
						if strings.Contains(text, s) {
							t.Errorf("%q leaked into:\n%s", s, text)
						}
					}
				}
				if logs.String() == "" {
					t.Error("nothing was logged at debug level")
				}
			})
		}
	}
}
