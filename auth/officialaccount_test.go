package auth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestOfficialAccountFetchRequest(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var got struct {
		method, path string
		query        map[string][]string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.query = r.Method, r.URL.Path, r.URL.Query()
		writeJSON(w, map[string]any{"access_token": "PLAIN-TOKEN", "expires_in": 7200})
	}))
	t.Cleanup(srv.Close)
	f, err := auth.NewOfficialAccount(testAppID, testSecret, auth.WithBaseURL(srv.URL+"/mount/oa/"), auth.WithFetcherClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}

	tok, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth.Token{Value: "PLAIN-TOKEN", ExpiresAt: t0.Add(7200 * time.Second)}, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if got.method != http.MethodGet || got.path != "/mount/oa/cgi-bin/token" {
		t.Errorf("request %s %s, want GET /mount/oa/cgi-bin/token", got.method, got.path)
	}
	wantQuery := map[string][]string{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	if diff := cmp.Diff(wantQuery, got.query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if got := f.Key(); got != "officialaccount:token:"+testAppID {
		t.Errorf("Key = %q", got)
	}
}

func TestOfficialAccountFetchRotates(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, newClock())
	f := newPlain(t, srv)
	a, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Value == b.Value {
		t.Errorf("two fetches gave the same token %q", a.Value)
	}
}

// replyCase is one reply of a token endpoint and what a fetcher must make
// of it.
type replyCase struct {
	name    string
	status  int
	body    string
	wantAPI *material.APIError // nil: not an APIError
	wantIs  []error
	wantErr bool // for non-API errors
}

func replyCases(p material.Platform, op string) []replyCase {
	ipCode := 40164 // the caller's IP is not allowed
	if p == material.WeCom {
		ipCode = 60020
	}
	return []replyCase{
		{
			name: "errcode", status: 200,
			body:    fmt.Sprintf(`{"errcode":%d,"errmsg":"invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist rid: 67c2a1b3-1a2b3c4d-5e6f7a8b"}`, ipCode),
			wantAPI: &material.APIError{Platform: p, Op: op, Code: ipCode, Message: "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist", RequestID: "67c2a1b3-1a2b3c4d-5e6f7a8b", HTTPStatus: 200},
			wantIs:  []error{material.ErrForbidden},
		},
		{
			name: "quota", status: 200,
			body:    `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`,
			wantAPI: &material.APIError{Platform: p, Op: op, Code: 45009, Message: "reach max api daily quota limit", HTTPStatus: 200},
			wantIs:  []error{material.ErrQuota},
		},
		{
			name: "busy", status: 200,
			body:    `{"errcode":-1,"errmsg":"system error"}`,
			wantAPI: &material.APIError{Platform: p, Op: op, Code: -1, Message: "system error", HTTPStatus: 200},
			wantIs:  []error{material.ErrBusy},
		},
		{
			name: "HTTP 503", status: 503, body: `<html>busy</html>`,
			wantAPI: &material.APIError{Platform: p, Op: op, HTTPStatus: 503},
			wantIs:  []error{material.ErrBusy},
		},
		{
			name: "HTTP 502 with errcode", status: 502, body: `{"errcode":-1,"errmsg":"system error"}`,
			wantAPI: &material.APIError{Platform: p, Op: op, Code: -1, Message: "system error", HTTPStatus: 502},
			wantIs:  []error{material.ErrBusy},
		},
		{name: "no access_token", status: 200, body: `{"errcode":0,"errmsg":"ok","expires_in":7200}`, wantErr: true},
		{name: "no expires_in", status: 200, body: `{"access_token":"TOKEN-NO-EXPIRY"}`, wantErr: true},
		{name: "malformed JSON", status: 200, body: `{"access_token":"TOKEN-TRUNC`, wantErr: true},
		{name: "not JSON", status: 200, body: `<html>captive portal</html>`, wantErr: true},
		{name: "expires_in not a number", status: 200, body: `{"access_token":"TOKEN-X","expires_in":"soon"}`, wantErr: true},
		{name: "expires_in out of range", status: 200, body: `{"access_token":"TOKEN-X","expires_in":1e20}`, wantErr: true},
		{name: "expires_in negative", status: 200, body: `{"access_token":"TOKEN-X","expires_in":-5}`, wantErr: true},
	}
}

// testReplies runs every replyCase against a fetcher built by newFetcher on
// a server answering the case.
func testReplies(t *testing.T, p material.Platform, op string, newFetcher func(base string) (auth.Fetcher, error)) {
	t.Helper()
	for _, tt := range replyCases(p, op) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			f, err := newFetcher(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := f.Fetch(t.Context(), "")
			if err == nil {
				t.Fatalf("Fetch = %v, nil; want an error", tok)
			}
			var ae *material.APIError
			isAPI := errors.As(err, &ae)
			switch {
			case tt.wantAPI != nil && !isAPI:
				t.Fatalf("Fetch error %v is not an *material.APIError", err)
			case tt.wantAPI != nil:
				if diff := cmp.Diff(tt.wantAPI, ae); diff != "" {
					t.Errorf("APIError (-want +got):\n%s", diff)
				}
			case isAPI:
				t.Errorf("Fetch error %v is an APIError, want a plain error", err)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
		})
	}
}

func TestOfficialAccountFetchErrors(t *testing.T) {
	t.Parallel()
	testReplies(t, material.OfficialAccount, "cgi-bin/token", func(base string) (auth.Fetcher, error) {
		return auth.NewOfficialAccount(testAppID, testSecret, auth.WithBaseURL(base), fastRetry)
	})
}

func TestStableFetchErrors(t *testing.T) {
	t.Parallel()
	testReplies(t, material.OfficialAccount, "cgi-bin/stable_token", func(base string) (auth.Fetcher, error) {
		return auth.NewStable(testAppID, testSecret, auth.WithBaseURL(base), fastRetry)
	})
}

func TestWorkFetchErrors(t *testing.T) {
	t.Parallel()
	testReplies(t, material.WeCom, "cgi-bin/gettoken", func(base string) (auth.Fetcher, error) {
		return auth.NewWeCom(testCorpID, testCorpSecret, auth.WithBaseURL(base), fastRetry)
	})
}

func TestOfficialAccountWrongSecret(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, newClock())
	f, err := auth.NewOfficialAccount(testAppID, "wrong-secret", auth.WithBaseURL(srv.URL+"/oa"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Fetch(t.Context(), "")
	var ae *material.APIError
	if !errors.As(err, &ae) || ae.Code != 40125 || ae.RequestID != "67c2-1" || !errors.Is(err, material.ErrUnauthorized) {
		t.Errorf("Fetch = %v, want APIError 40125 matching ErrUnauthorized", err)
	}
}

func TestDefaultClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	f, err := auth.NewOfficialAccount(testAppID, testSecret, auth.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Fetch(t.Context(), "")
	var ae *material.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusFound {
		t.Errorf("Fetch = %v, want an APIError with HTTP 302", err)
	}
	if elsewhere != 0 {
		t.Errorf("the redirect was followed: the secret went to another server")
	}
}
