package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestWorkFetchRequest(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var method, path string
	var query map[string][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path, query = r.Method, r.URL.Path, r.URL.Query()
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "WORK-TOKEN", "expires_in": 7200})
	}))
	t.Cleanup(srv.Close)
	f, err := auth.NewWeCom(testCorpID, testCorpSecret, auth.WithBaseURL(srv.URL+"/wecom"), auth.WithFetcherClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth.Token{Value: "WORK-TOKEN", ExpiresAt: t0.Add(2 * time.Hour)}, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if method != http.MethodGet || path != "/wecom/cgi-bin/gettoken" {
		t.Errorf("request %s %s, want GET /wecom/cgi-bin/gettoken", method, path)
	}
	if diff := cmp.Diff(map[string][]string{"corpid": {testCorpID}, "corpsecret": {testCorpSecret}}, query); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestWorkKeyPerAppWithoutSecret(t *testing.T) {
	t.Parallel()
	a, err := auth.NewWeCom(testCorpID, testCorpSecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.NewWeCom(testCorpID, "another-app-secret")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(testCorpSecret))
	if want := "work:" + testCorpID + ":" + hex.EncodeToString(sum[:])[:16]; a.Key() != want {
		t.Errorf("Key = %q, want %q", a.Key(), want)
	}
	if a.Key() == b.Key() {
		t.Errorf("two apps share the key %q", a.Key())
	}
	for _, f := range []*auth.WeComFetcher{a, b} {
		if strings.Contains(f.Key(), testCorpSecret) || strings.Contains(f.Key(), "another-app-secret") {
			t.Errorf("Key %q holds the secret", f.Key())
		}
	}
}

func TestWorkThroughCache(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	c := auth.NewCache(newWork(t, srv), auth.WithClock(clock.Now))
	if got := mustToken(t, c); got != "WORK-TOKEN-1" {
		t.Fatalf("Token = %q", got)
	}
	mustToken(t, c)
	if _, _, _, work := srv.counts(); work != 1 {
		t.Errorf("server saw %d fetches, want 1", work)
	}
	clock.Advance(2*time.Hour - 5*time.Minute)
	// WeCom answers the same token until it expires: the Cache takes it
	// with its remaining lifetime and does not ask again at every call.
	if got := mustToken(t, c); got != "WORK-TOKEN-1" {
		t.Errorf("Token = %q", got)
	}
	mustToken(t, c)
	if _, _, _, work := srv.counts(); work != 2 {
		t.Errorf("server saw %d fetches, want 2", work)
	}
	clock.Advance(5 * time.Minute)
	if got := mustToken(t, c); got != "WORK-TOKEN-2" {
		t.Errorf("Token after expiry = %q, want WORK-TOKEN-2", got)
	}
}

func TestWorkInvalidSecret(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, newClock())
	f, err := auth.NewWeCom(testCorpID, "not-the-secret", auth.WithBaseURL(srv.URL+"/work"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = auth.NewCache(f).Token(t.Context())
	want := &material.APIError{Platform: material.WeCom, Op: "cgi-bin/gettoken", Code: 40001, Message: "invalid secret", RequestID: "1740816000_1_abc", HTTPStatus: 200}
	var ae *material.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Token = %v, want an APIError", err)
	}
	if diff := cmp.Diff(want, ae); diff != "" {
		t.Errorf("APIError (-want +got):\n%s", diff)
	}
}
