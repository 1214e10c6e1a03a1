package auth_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestStableFetchRequest(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var method, path, contentType string
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path, contentType = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		writeJSON(w, map[string]any{"access_token": "STABLE", "expires_in": 345})
	}))
	t.Cleanup(srv.Close)
	f, err := auth.NewStable(testAppID, testSecret, auth.WithBaseURL(srv.URL+"/oa"), auth.WithFetcherClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth.Token{Value: "STABLE", ExpiresAt: t0.Add(345 * time.Second)}, tok); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if method != http.MethodPost || path != "/oa/cgi-bin/stable_token" || contentType != "application/json" {
		t.Errorf("request %s %s (%s), want POST /oa/cgi-bin/stable_token (application/json)", method, path, contentType)
	}
	want := map[string]any{"grant_type": "client_credential", "appid": testAppID, "secret": testSecret, "force_refresh": false}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if got := f.Key(); got != "officialaccount:stable_token:"+testAppID {
		t.Errorf("Key = %q", got)
	}
}

func TestStableNormalFetchDoesNotForce(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	f := newStable(t, srv)

	a, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	b, err := f.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	// A rejection of some other token does not force either.
	c, err := f.Fetch(t.Context(), "SOME-OLDER-TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if a.Value != b.Value || b.Value != c.Value {
		t.Errorf("normal fetches gave %q, %q, %q; want the same token", a.Value, b.Value, c.Value)
	}
	if !b.ExpiresAt.Equal(a.ExpiresAt) {
		t.Errorf("ExpiresAt moved from %v to %v: the remaining expires_in was not used", a.ExpiresAt, b.ExpiresAt)
	}
	if _, stable, forced, _ := srv.counts(); stable != 3 || forced != 0 {
		t.Errorf("server saw %d fetches, %d forced; want 3, 0", stable, forced)
	}
}

func TestStableForceRefreshRules(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	f := newStable(t, srv)
	fetch := func(rejected string) (auth.Token, error) {
		t.Helper()
		return f.Fetch(t.Context(), rejected)
	}

	t1, err := fetch("")
	if err != nil {
		t.Fatal(err)
	}
	// The stable token itself was rejected and a normal fetch returns it:
	// forced once.
	t2, err := fetch(t1.Value)
	if err != nil {
		t.Fatal(err)
	}
	if t2.Value == t1.Value {
		t.Fatalf("forced fetch returned the rejected token %q", t2.Value)
	}
	if _, stable, forced, _ := srv.counts(); stable != 3 || forced != 1 {
		t.Errorf("server saw %d fetches, %d forced; want 3 (normal, normal, forced), 1", stable, forced)
	}

	// A second rejection 10 s later: no force, an error saying when.
	clock.Advance(10 * time.Second)
	_, err = fetch(t2.Value)
	var fe *auth.ForceRefreshError
	if !errors.As(err, &fe) {
		t.Fatalf("Fetch = %v, want a *ForceRefreshError", err)
	}
	if !errors.Is(err, material.ErrUnauthorized) {
		t.Errorf("%v does not match material.ErrUnauthorized", err)
	}
	if want := t0.Add(auth.ForceRefreshInterval); !fe.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want %v", fe.RetryAt, want)
	}
	if !strings.Contains(err.Error(), fe.RetryAt.Format(time.RFC3339)) {
		t.Errorf("error %q does not say when", err)
	}
	if _, _, forced, _ := srv.counts(); forced != 1 {
		t.Errorf("server saw %d forced fetches, want still 1", forced)
	}

	// 30 s after the first force: forced again.
	clock.Advance(20 * time.Second)
	t3, err := fetch(t2.Value)
	if err != nil {
		t.Fatal(err)
	}
	if t3.Value == t2.Value {
		t.Errorf("second forced fetch returned the rejected token")
	}
	if _, _, forced, _ := srv.counts(); forced != 2 {
		t.Errorf("server saw %d forced fetches, want 2", forced)
	}
}

func TestStableThroughCache(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	c := auth.NewCache(newStable(t, srv), auth.WithClock(clock.Now))

	t1 := mustToken(t, c)
	// Many callers fail with the stable token; one forced refresh.
	for range 10 {
		if err := c.Invalidate(t.Context(), t1); err != nil {
			t.Fatal(err)
		}
	}
	t2 := mustToken(t, c)
	if t2 == t1 {
		t.Fatalf("Token after Invalidate = %q, the rejected token", t2)
	}
	if got := mustToken(t, c); got != t2 {
		t.Errorf("Token = %q, want %q cached", got, t2)
	}
	if _, stable, forced, _ := srv.counts(); stable != 3 || forced != 1 {
		t.Errorf("server saw %d fetches, %d forced; want 3, 1", stable, forced)
	}
	// The new token is rejected too, 5 s later: the error says when to retry.
	clock.Advance(5 * time.Second)
	if err := c.Invalidate(t.Context(), t2); err != nil {
		t.Fatal(err)
	}
	_, err := c.Token(t.Context())
	var fe *auth.ForceRefreshError
	if !errors.As(err, &fe) {
		t.Fatalf("Token = %v, want a *ForceRefreshError", err)
	}
	clock.Advance(25 * time.Second)
	if got := mustToken(t, c); got == t2 || got == t1 {
		t.Errorf("Token = %q 30 s later, want a new token", got)
	}
}

func TestPlainAndStableKeysIndependent(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	store := auth.NewMemoryStore()
	plainFetcher, stableFetcher := newPlain(t, srv), newStable(t, srv)
	if plainFetcher.Key() == stableFetcher.Key() {
		t.Fatalf("plain and stable tokens share the key %q", plainFetcher.Key())
	}
	plain := auth.NewCache(plainFetcher, auth.WithStore(store), auth.WithClock(clock.Now))
	stable := auth.NewCache(stableFetcher, auth.WithStore(store), auth.WithClock(clock.Now))

	p1, s1 := mustToken(t, plain), mustToken(t, stable)
	if !strings.HasPrefix(p1, "PLAIN-") || !strings.HasPrefix(s1, "STABLE-") {
		t.Fatalf("plain %q, stable %q", p1, s1)
	}
	// Dropping the plain token leaves the stable one alone, and the reverse.
	if err := plain.Invalidate(t.Context(), p1); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, stable); got != s1 {
		t.Errorf("stable token %q changed to %q when the plain one was invalidated", s1, got)
	}
	p2 := mustToken(t, plain)
	if err := stable.Invalidate(t.Context(), s1); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, plain); got != p2 {
		t.Errorf("plain token %q changed to %q when the stable one was invalidated", p2, got)
	}
	// Each store entry holds its own token.
	for key, want := range map[string]string{plainFetcher.Key(): p2, stableFetcher.Key(): ""} {
		got, ok, _ := store.Load(t.Context(), key)
		if want != "" && (!ok || got.Value != want) {
			t.Errorf("store[%s] = %q, want %q", key, got.Value, want)
		}
		if want == "" && ok {
			t.Errorf("store[%s] = %q, want it dropped", key, got.Value)
		}
	}
}
