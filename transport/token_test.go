package transport_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// rejecting answers 40001 to a token in rejected and 0 otherwise.
func rejecting(t *testing.T, seen *counter, rejected func(string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		seen.add(tok)
		if tok == "" {
			writeJSON(w, `{"errcode":41001,"errmsg":"access_token missing"}`)
			return
		}
		if rejected(tok) {
			writeJSON(w, `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 1-2-3"}`)
			return
		}
		writeJSON(w, `{"errcode":0,"errmsg":"ok","media_id":"M"}`)
	})
}

func TestTokenRejectedIsRefreshedAndReplayedOnce(t *testing.T) {
	for _, code := range []int{40001, 40014, 42001} {
		seen := &counter{}
		c, ts := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := r.URL.Query().Get("access_token")
			seen.add(tok)
			if tok == "TOKEN-1" {
				w.Write([]byte(`{"errcode":` + strconv.Itoa(code) + `,"errmsg":"bad token"}`))
				return
			}
			writeJSON(w, `{"errcode":0,"errmsg":"ok"}`)
		}))
		if err := c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/media/get"}, nil); err != nil {
			t.Fatalf("errcode %d: Do: %v", code, err)
		}
		if seen.get("TOKEN-1") != 1 || seen.get("TOKEN-2") != 1 || ts.fetches.Load() != 2 {
			t.Errorf("errcode %d: requests %v, fetches %d; want one with each token and 2 fetches", code, seen.n, ts.fetches.Load())
		}
	}
}

func TestTokenRejectedTwiceFails(t *testing.T) {
	seen := &counter{}
	c, ts := setup(t, material.OfficialAccount, rejecting(t, seen, func(string) bool { return true }))
	err := c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/media/get"}, nil)
	var apiErr *material.APIError
	if !errors.As(err, &apiErr) || !apiErr.TokenRejected() || !errors.Is(err, material.ErrUnauthorized) {
		t.Fatalf("err = %v, want a rejected-token APIError", err)
	}
	if ts.fetches.Load() != 2 || seen.get("TOKEN-1")+seen.get("TOKEN-2") != 2 {
		t.Errorf("fetches %d, requests %v: want exactly one replay", ts.fetches.Load(), seen.n)
	}
}

func TestHundredConcurrentRejectionsOneRefresh(t *testing.T) {
	const n = 100
	seen := &counter{}
	// Hold every request carrying the first token until all n have
	// arrived, so each call is rejected on that same token.
	all := make(chan struct{})
	var arrived sync.WaitGroup
	arrived.Add(n)
	go func() { arrived.Wait(); close(all) }()
	inner := rejecting(t, seen, func(tok string) bool { return tok == "TOKEN-1" })
	c, ts := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("access_token") == "TOKEN-1" {
			arrived.Done()
			select {
			case <-all:
			case <-r.Context().Done():
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	// Warm the source so every call starts with the same token.
	if _, err := ts.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/media/get"}, nil)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a call failed: %v", err)
		}
	}
	if got := ts.fetches.Load(); got != 2 {
		t.Errorf("token fetches = %d, want 2 (the first and exactly one refresh)", got)
	}
	if seen.get("TOKEN-1") != n || seen.get("TOKEN-2") != n {
		t.Errorf("requests per token = %v, want %d rejected and %d replayed", seen.n, n, n)
	}
}

// staticTokens is a token managed elsewhere: it cannot be refreshed.
type staticTokens string

func (s staticTokens) Token(context.Context) (string, error) { return string(s), nil }

func (s staticTokens) Invalidate(context.Context, string) error {
	return errors.New("static token cannot be refreshed")
}
