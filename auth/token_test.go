package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestStatic(t *testing.T) {
	t.Parallel()
	ts := auth.Static("STATIC-TOKEN")
	for range 2 {
		if got := mustToken(t, ts); got != "STATIC-TOKEN" {
			t.Errorf("Token = %q", got)
		}
	}
	tests := []struct {
		name     string
		rejected string
		wantErr  bool
	}{
		{name: "its own token", rejected: "STATIC-TOKEN", wantErr: true},
		{name: "empty", rejected: "", wantErr: true},
		{name: "another token", rejected: "SOME-OLD-TOKEN", wantErr: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ts.Invalidate(t.Context(), tt.rejected)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Invalidate(%q) = %v, want error %v", tt.rejected, err, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, auth.ErrCannotRefresh) || !errors.Is(err, material.ErrUnauthorized)) {
				t.Errorf("Invalidate error %v does not match ErrCannotRefresh and material.ErrUnauthorized", err)
			}
			if err != nil && strings.Contains(err.Error(), "STATIC-TOKEN") {
				t.Errorf("Invalidate error %q holds the token", err)
			}
		})
	}
	// Still the same token after an Invalidate.
	if got := mustToken(t, ts); got != "STATIC-TOKEN" {
		t.Errorf("Token after Invalidate = %q", got)
	}
}

func TestStaticEmpty(t *testing.T) {
	t.Parallel()
	if _, err := auth.Static("").Token(t.Context()); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("Token = %v, want material.ErrInvalidInput", err)
	}
}

func TestStaticCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := auth.Static("T").Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token = %v, want context.Canceled", err)
	}
}

func TestTokenFormattingHidesValue(t *testing.T) {
	t.Parallel()
	tok := auth.Token{Value: "VERY-SECRET-TOKEN", ExpiresAt: t0}
	logger, logs := newLogger()
	logger.Info("token", "t", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), logs.String()} {
		if strings.Contains(s, "VERY-SECRET-TOKEN") {
			t.Errorf("the token value was printed: %s", s)
		}
	}
	if got, want := tok.String(), "auth.Token{Value: REDACTED, ExpiresAt: 2025-03-01T08:00:00Z}"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := auth.NewMemoryStore()
	tok := auth.Token{Value: "A", ExpiresAt: t0}

	if _, ok, err := s.Load(ctx, "k"); ok || err != nil {
		t.Fatalf("Load of an empty store = %v, %v", ok, err)
	}
	if err := s.Save(ctx, "k", tok); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, "k")
	if !ok || err != nil {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}

	tests := []struct {
		name        string
		key, value  string
		wantDeleted bool
	}{
		{name: "other value", key: "k", value: "B", wantDeleted: false},
		{name: "other key", key: "j", value: "A", wantDeleted: false},
		{name: "same value", key: "k", value: "A", wantDeleted: true},
		{name: "already deleted", key: "k", value: "A", wantDeleted: false},
	}
	for _, tt := range tests { // in order: each step depends on the last
		deleted, err := s.CompareAndDelete(ctx, tt.key, tt.value)
		if err != nil || deleted != tt.wantDeleted {
			t.Errorf("%s: CompareAndDelete = %v, %v; want %v", tt.name, deleted, err, tt.wantDeleted)
		}
	}
	if _, ok, _ := s.Load(ctx, "k"); ok {
		t.Error("the token is still there after CompareAndDelete")
	}

	var zero auth.MemoryStore // the zero value works too
	if err := zero.Save(ctx, "k", tok); err != nil {
		t.Fatal(err)
	}
}

func TestConstructorsRejectEmptyCredentials(t *testing.T) {
	t.Parallel()
	constructors := map[string]func(id, secret string) error{
		"NewOfficialAccount": func(id, secret string) error { _, err := auth.NewOfficialAccount(id, secret); return err },
		"NewStable":          func(id, secret string) error { _, err := auth.NewStable(id, secret); return err },
		"NewWeCom":           func(id, secret string) error { _, err := auth.NewWeCom(id, secret); return err },
	}
	tests := []struct {
		name       string
		id, secret string
		wantErr    bool
	}{
		{name: "both empty", wantErr: true},
		{name: "empty id", secret: "SECRET-x", wantErr: true},
		{name: "empty secret", id: "wx1", wantErr: true},
		{name: "both set", id: "wx1", secret: "SECRET-x"},
	}
	for fn, construct := range constructors {
		for _, tt := range tests {
			t.Run(fn+"/"+tt.name, func(t *testing.T) {
				err := construct(tt.id, tt.secret)
				if (err != nil) != tt.wantErr {
					t.Fatalf("%s(%q, secret) = %v, want error %v", fn, tt.id, err, tt.wantErr)
				}
				if err == nil {
					return
				}
				if !errors.Is(err, material.ErrInvalidInput) {
					t.Errorf("%v does not match material.ErrInvalidInput", err)
				}
				if strings.Contains(err.Error(), "SECRET-x") {
					t.Errorf("%q holds the secret", err)
				}
			})
		}
	}
}

func TestFetcherOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  auth.FetcherOption
	}{
		{name: "relative base URL", opt: auth.WithBaseURL("/oa")},
		{name: "base URL with another scheme", opt: auth.WithBaseURL("ftp://example.com")},
		{name: "base URL with a query", opt: auth.WithBaseURL("http://127.0.0.1/oa?secret=SECRET-x")},
		{name: "base URL with user info", opt: auth.WithBaseURL("http://u:SECRET-x@127.0.0.1/")},
		{name: "unparsable base URL", opt: auth.WithBaseURL("http://[::1/SECRET-x")},
		{name: "nil HTTP client", opt: auth.WithHTTPClient(nil)},
		{name: "nil clock", opt: auth.WithFetcherClock(nil)},
		{name: "nil logger", opt: auth.WithFetcherLogger(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.NewOfficialAccount(testAppID, testSecret, tt.opt)
			if !errors.Is(err, material.ErrInvalidInput) {
				t.Fatalf("NewOfficialAccount = %v, want material.ErrInvalidInput", err)
			}
			if strings.Contains(err.Error(), "SECRET-x") {
				t.Errorf("%q holds the secret", err)
			}
		})
	}
}

func TestWithHTTPClientIsUsed(t *testing.T) {
	t.Parallel()
	var used bool
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return nil, errors.New("no network here")
	})}
	f, err := auth.NewWeCom(testCorpID, testCorpSecret, auth.WithHTTPClient(client), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(t.Context(), ""); err == nil || !used {
		t.Errorf("Fetch = %v, client used %v", err, used)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWithRefreshMarginNegativeIsZero(t *testing.T) {
	t.Parallel()
	clock := newClock()
	n := 0
	c := auth.NewCache(auth.FetcherFunc{StoreKey: "k", FetchFunc: func(context.Context, string) (auth.Token, error) {
		n++
		return auth.Token{Value: fmt.Sprint("T", n), ExpiresAt: clock.Now().Add(time.Hour)}, nil
	}}, auth.WithClock(clock.Now), auth.WithRefreshMargin(-time.Hour))
	mustToken(t, c)
	clock.Advance(time.Hour - time.Nanosecond)
	if got := mustToken(t, c); got != "T1" {
		t.Errorf("Token = %q just before expiry with no margin, want T1", got)
	}
}
