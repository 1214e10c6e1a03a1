package auth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestFetchersFollowNoRedirect: whatever client the caller gives (here a
// plain &http.Client{}, which follows redirects and would re-post the
// stable_token body on a 307), no token endpoint follows a redirect. The
// error names the status and the target's host only.
func TestFetchersFollowNoRedirect(t *testing.T) {
	var stolen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		writeJSON(w, map[string]any{"access_token": leakToken, "expires_in": 7200})
	}))
	defer target.Close()
	host := strings.TrimPrefix(target.URL, "http://")
	for _, ft := range leakFetchers {
		for _, status := range []int{301, 302, 303, 307, 308} {
			for _, client := range []struct {
				name string
				hc   *http.Client
			}{
				{"plain client", &http.Client{}},
				{"client that follows everything", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}},
				{"default client", nil},
			} {
				t.Run(fmt.Sprintf("%s/%d/%s", ft.name, status, client.name), func(t *testing.T) {
					base := serve(t, func(w http.ResponseWriter, r *http.Request) {
						io.Copy(io.Discard, r.Body)
						http.Redirect(w, r, target.URL+"/steal?"+url.Values{"secret": {ft.secret}}.Encode(), status)
					})
					var opts []auth.FetcherOption
					if client.hc != nil {
						opts = append(opts, auth.WithHTTPClient(client.hc))
					}
					f, err := ft.build(base, opts...)
					if err != nil {
						t.Fatal(err)
					}
					_, err = f.Fetch(t.Context(), "")
					var ae *material.APIError
					if !errors.As(err, &ae) || ae.HTTPStatus != status {
						t.Fatalf("err = %v, want an APIError with HTTP %d", err, status)
					}
					msg := err.Error()
					if !strings.Contains(msg, `redirect to "`+host+`" not followed`) || strings.Contains(msg, "steal") || strings.Contains(msg, ft.secret) {
						t.Errorf("err = %q, want the target's host and nothing more", msg)
					}
				})
			}
		}
	}
	if stolen.Load() != 0 {
		t.Errorf("the redirect target received %d requests", stolen.Load())
	}
}

// TestPreviousTokensNeverShown: a token endpoint that echoes a token it
// handed out earlier, in a later error, does not get it into the error.
func TestPreviousTokensNeverShown(t *testing.T) {
	const first = "FIRST-TOKEN-0123456789abcdef"
	for _, ft := range leakFetchers {
		t.Run(ft.name, func(t *testing.T) {
			var calls atomic.Int32
			base := serve(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if calls.Add(1) == 1 {
					writeJSON(w, map[string]any{"access_token": first, "expires_in": 7200})
					return
				}
				writeJSON(w, map[string]any{"errcode": 45009, "errmsg": "quota of " + first + ", hint: [" + first + "]"})
			})
			f, err := ft.build(base)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Fetch(t.Context(), ""); err != nil {
				t.Fatal(err)
			}
			_, err = f.Fetch(t.Context(), first)
			if err == nil {
				t.Fatal("the second fetch succeeded")
			}
			var ae *material.APIError
			errors.As(err, &ae)
			if text := fmt.Sprintf("%v %+v %s %s", err, err, ae.Message, ae.RequestID); strings.Contains(text, first) {
				t.Errorf("the earlier token is in the error: %s", text)
			}
		})
	}
}
