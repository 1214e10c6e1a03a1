package auth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestCacheColdManyGoroutinesOneFetch(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	c := auth.NewCache(newPlain(t, srv), auth.WithClock(clock.Now))

	const n = 1000
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = c.Token(t.Context())
		})
	}
	close(start)
	wg.Wait()

	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if got[i] != "PLAIN-TOKEN-1" {
			t.Fatalf("goroutine %d got %q, want PLAIN-TOKEN-1", i, got[i])
		}
	}
	if plain, _, _, _ := srv.counts(); plain != 1 {
		t.Errorf("server saw %d token fetches, want 1", plain)
	}
}

func TestCacheInvalidateSameTokenRefetchesOnce(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	c := auth.NewCache(newPlain(t, srv), auth.WithClock(clock.Now))
	first := mustToken(t, c)

	const n = 100
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			if err := c.Invalidate(t.Context(), first); err != nil {
				errs[i] = err
				return
			}
			got[i], errs[i] = c.Token(t.Context())
		})
	}
	close(start)
	wg.Wait()

	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if got[i] != "PLAIN-TOKEN-2" {
			t.Fatalf("goroutine %d got %q, want PLAIN-TOKEN-2", i, got[i])
		}
	}
	if plain, _, _, _ := srv.counts(); plain != 2 {
		t.Errorf("server saw %d token fetches, want 2 (the first and one refetch)", plain)
	}
}

func TestCacheInvalidateOldTokenDropsNothing(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	c := auth.NewCache(newPlain(t, srv), auth.WithClock(clock.Now))

	first := mustToken(t, c)
	if err := c.Invalidate(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	second := mustToken(t, c)
	if second == first {
		t.Fatalf("no new token after Invalidate: %q", second)
	}
	// A call that failed with the first token reports late.
	if err := c.Invalidate(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, c); got != second {
		t.Errorf("Token after a late Invalidate = %q, want %q", got, second)
	}
	if plain, _, _, _ := srv.counts(); plain != 2 {
		t.Errorf("server saw %d token fetches, want 2", plain)
	}
}

func TestCacheInvalidatePassesRejectedToFetch(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var mu sync.Mutex
	var calls []string
	f := auth.FetcherFunc{StoreKey: "test:rejected", FetchFunc: func(ctx context.Context, rejected string) (auth.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, rejected)
		return auth.Token{Value: "T" + string(rune('0'+len(calls))), ExpiresAt: clock.Now().Add(2 * time.Hour)}, nil
	}}
	c := auth.NewCache(f, auth.WithClock(clock.Now))

	mustToken(t, c) // T1
	if err := c.Invalidate(t.Context(), "T1"); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, c); got != "T2" {
		t.Fatalf("Token = %q, want T2", got)
	}
	if err := c.Invalidate(t.Context(), "T2"); err != nil {
		t.Fatal(err)
	}
	mustToken(t, c) // T3
	clock.Advance(2 * time.Hour)
	mustToken(t, c) // T4: expiry, not a rejection

	want := []string{"", "T1", "T2", ""}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("rejected passed to Fetch (-want +got):\n%s", diff)
	}
}

func TestCacheInvalidateEmptyToken(t *testing.T) {
	t.Parallel()
	c := auth.NewCache(auth.FetcherFunc{StoreKey: "k", FetchFunc: func(context.Context, string) (auth.Token, error) {
		return auth.Token{Value: "T"}, nil
	}})
	if err := c.Invalidate(t.Context(), ""); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("Invalidate(\"\") = %v, want an error matching material.ErrInvalidInput", err)
	}
}

func TestCacheRefreshesMarginBeforeExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		margin    time.Duration // 0: default
		expiresIn int
		noFetchAt time.Duration // clock offset where the first token is still served
		fetchAt   time.Duration // clock offset where a new token is fetched
	}{
		{name: "default margin", expiresIn: 7200, noFetchAt: 7200*time.Second - 5*time.Minute - time.Second, fetchAt: 7200*time.Second - 5*time.Minute},
		{name: "custom margin", margin: 20 * time.Minute, expiresIn: 7200, noFetchAt: 100*time.Minute - time.Second, fetchAt: 100 * time.Minute},
		{name: "margin capped at half a short lifetime", expiresIn: 400, noFetchAt: 199 * time.Second, fetchAt: 200 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			srv := newTokenServer(t, clock)
			srv.expiresIn = tt.expiresIn
			opts := []auth.CacheOption{auth.WithClock(clock.Now)}
			if tt.margin != 0 {
				opts = append(opts, auth.WithRefreshMargin(tt.margin))
			}
			c := auth.NewCache(newPlain(t, srv), opts...)

			if got := mustToken(t, c); got != "PLAIN-TOKEN-1" {
				t.Fatalf("first Token = %q", got)
			}
			clock.Advance(tt.noFetchAt)
			if got := mustToken(t, c); got != "PLAIN-TOKEN-1" {
				t.Errorf("at +%v Token = %q, want the first token", tt.noFetchAt, got)
			}
			clock.Advance(tt.fetchAt - tt.noFetchAt)
			if got := mustToken(t, c); got != "PLAIN-TOKEN-2" {
				t.Errorf("at +%v Token = %q, want a new token", tt.fetchAt, got)
			}
			if plain, _, _, _ := srv.counts(); plain != 2 {
				t.Errorf("server saw %d fetches, want 2", plain)
			}
		})
	}
}

func TestCacheFallsBackWhenEarlyRefreshFails(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	logger, logs := newLogger()
	c := auth.NewCache(newPlain(t, srv), auth.WithClock(clock.Now), auth.WithLogger(logger))
	first := mustToken(t, c)

	srv.setFault(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"errcode": 45009, "errmsg": "reach max api daily quota limit rid: 1-2-3"})
	})
	// Inside the 5-minute margin: the refresh fails, the old token is served.
	clock.Advance(2*time.Hour - 4*time.Minute)
	if got := mustToken(t, c); got != first {
		t.Fatalf("Token = %q, want the old token %q", got, first)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "token refresh failed") {
		t.Errorf("no warning logged:\n%s", logs)
	}
	// Within the next 10 s it does not try again.
	clock.Advance(9 * time.Second)
	if got := mustToken(t, c); got != first {
		t.Fatalf("Token = %q, want the old token", got)
	}
	if plain, _, _, _ := srv.counts(); plain != 2 {
		t.Errorf("server saw %d fetches, want 2 (no retry within 10 s)", plain)
	}
	// Then it does.
	clock.Advance(time.Second)
	if got := mustToken(t, c); got != first {
		t.Fatalf("Token = %q, want the old token", got)
	}
	if plain, _, _, _ := srv.counts(); plain != 3 {
		t.Errorf("server saw %d fetches, want 3", plain)
	}
	// Once it has expired, the failure is the caller's.
	clock.Advance(4 * time.Minute)
	_, err := c.Token(t.Context())
	var ae *material.APIError
	if !errors.As(err, &ae) || ae.Code != 45009 || !errors.Is(err, material.ErrQuota) {
		t.Fatalf("Token after expiry = %v, want the 45009 APIError", err)
	}
	// And when the platform recovers, a new token.
	srv.setFault(nil)
	if got := mustToken(t, c); got == first {
		t.Errorf("Token = %q after recovery, want a new token", got)
	}
}

func TestCacheRejectedTokenIsNotAFallback(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	c := auth.NewCache(newPlain(t, srv), auth.WithClock(clock.Now))
	first := mustToken(t, c)
	clock.Advance(2*time.Hour - time.Minute) // stale but not expired
	srv.setFault(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	if err := c.Invalidate(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if tok, err := c.Token(t.Context()); err == nil {
		t.Fatalf("Token = %q, nil; want the fetch error, not the rejected token", tok)
	}
}

func TestCacheTokenRejectedDuringFailedRefreshIsNotAFallback(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var c *auth.Cache
	n := 0
	c = auth.NewCache(auth.FetcherFunc{StoreKey: "k", FetchFunc: func(ctx context.Context, _ string) (auth.Token, error) {
		n++
		if n == 1 {
			return auth.Token{Value: "T1", ExpiresAt: clock.Now().Add(time.Hour)}, nil
		}
		// While the refresh runs, a call reports T1 rejected; then the refresh fails.
		if err := c.Invalidate(ctx, "T1"); err != nil {
			t.Error(err)
		}
		return auth.Token{}, errors.New("platform down")
	}}, auth.WithClock(clock.Now))
	mustToken(t, c)
	clock.Advance(time.Hour - time.Minute) // stale, not expired
	if tok, err := c.Token(t.Context()); err == nil {
		t.Errorf("Token = %q, nil; want the fetch error, not the rejected token", tok)
	}
}

func TestCacheSharedStoreOneFetchAcrossCaches(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	store := auth.NewMemoryStore()
	// Two "processes", each with its own fetcher and Cache, share a Store.
	a := auth.NewCache(newPlain(t, srv), auth.WithStore(store), auth.WithClock(clock.Now))
	b := auth.NewCache(newPlain(t, srv), auth.WithStore(store), auth.WithClock(clock.Now))

	ta, tb := mustToken(t, a), mustToken(t, b)
	if ta != tb {
		t.Errorf("caches sharing a store got %q and %q", ta, tb)
	}
	if err := b.Invalidate(t.Context(), tb); err != nil {
		t.Fatal(err)
	}
	ta2, tb2 := mustToken(t, a), mustToken(t, b)
	if ta2 != tb2 || ta2 == ta {
		t.Errorf("after Invalidate: %q and %q (old %q)", ta2, tb2, ta)
	}
	if plain, _, _, _ := srv.counts(); plain != 2 {
		t.Errorf("server saw %d fetches, want 2", plain)
	}
}

// failingStore fails what its flags say, and otherwise is a MemoryStore.
type failingStore struct {
	*auth.MemoryStore
	load, save, cad bool
}

var errStore = errors.New("store down")

func (s *failingStore) Load(ctx context.Context, key string) (auth.Token, bool, error) {
	if s.load {
		return auth.Token{}, false, errStore
	}
	return s.MemoryStore.Load(ctx, key)
}

func (s *failingStore) Save(ctx context.Context, key string, t auth.Token) error {
	if s.save {
		return errStore
	}
	return s.MemoryStore.Save(ctx, key, t)
}

func (s *failingStore) CompareAndDelete(ctx context.Context, key, value string) (bool, error) {
	if s.cad {
		return false, errStore
	}
	return s.MemoryStore.CompareAndDelete(ctx, key, value)
}

func TestCacheStoreFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		store       *failingStore
		wantToken   bool // Token succeeds
		wantFetches int
		wantInvErr  bool // Invalidate fails
		wantLog     string
	}{
		{name: "load fails: no fetch", store: &failingStore{load: true}, wantFetches: 0},
		{name: "save fails: token served, warned", store: &failingStore{save: true}, wantToken: true, wantFetches: 1, wantLog: "could not save the token"},
		{name: "compare-and-delete fails", store: &failingStore{cad: true}, wantToken: true, wantFetches: 1, wantInvErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			srv := newTokenServer(t, clock)
			tt.store.MemoryStore = auth.NewMemoryStore()
			logger, logs := newLogger()
			c := auth.NewCache(newPlain(t, srv), auth.WithStore(tt.store), auth.WithClock(clock.Now), auth.WithLogger(logger))

			tok, err := c.Token(t.Context())
			if gotOK := err == nil; gotOK != tt.wantToken {
				t.Errorf("Token = %q, %v; want success %v", tok, err, tt.wantToken)
			}
			if err != nil && !errors.Is(err, errStore) {
				t.Errorf("Token error %v does not wrap the store's", err)
			}
			if plain, _, _, _ := srv.counts(); plain != tt.wantFetches {
				t.Errorf("server saw %d fetches, want %d", plain, tt.wantFetches)
			}
			if err := c.Invalidate(t.Context(), "whatever"); (err != nil) != tt.wantInvErr {
				t.Errorf("Invalidate = %v, want error %v", err, tt.wantInvErr)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs)
			}
		})
	}
}

func TestCacheRefusesBadFetcherResults(t *testing.T) {
	t.Parallel()
	clock := newClock()
	tests := []struct {
		name string
		tok  auth.Token
		want string
	}{
		{name: "empty token", tok: auth.Token{ExpiresAt: t0.Add(time.Hour)}, want: "empty token"},
		{name: "expired token", tok: auth.Token{Value: "T", ExpiresAt: t0.Add(-time.Second)}, want: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := auth.NewCache(auth.FetcherFunc{StoreKey: "k", FetchFunc: func(context.Context, string) (auth.Token, error) {
				return tt.tok, nil
			}}, auth.WithClock(clock.Now))
			_, err := c.Token(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Token error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestCacheTokenWithoutExpiryKeptUntilInvalidated(t *testing.T) {
	t.Parallel()
	clock := newClock()
	n := 0
	c := auth.NewCache(auth.FetcherFunc{StoreKey: "central:wx1", FetchFunc: func(context.Context, string) (auth.Token, error) {
		n++
		return auth.Token{Value: "C" + string(rune('0'+n))}, nil
	}}, auth.WithClock(clock.Now))
	mustToken(t, c)
	clock.Advance(1000 * time.Hour)
	if got := mustToken(t, c); got != "C1" {
		t.Errorf("Token = %q, want C1 kept", got)
	}
	if err := c.Invalidate(t.Context(), "C1"); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, c); got != "C2" {
		t.Errorf("Token after Invalidate = %q, want C2", got)
	}
}

func TestCacheCancelledContext(t *testing.T) {
	t.Parallel()
	c := auth.NewCache(auth.FetcherFunc{StoreKey: "k", FetchFunc: func(context.Context, string) (auth.Token, error) {
		t.Error("fetch with a cancelled context")
		return auth.Token{}, nil
	}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token = %v, want context.Canceled", err)
	}
}

func TestNewCachePanicsOnMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    auth.Fetcher
	}{
		{name: "nil fetcher", f: nil},
		{name: "empty key", f: auth.FetcherFunc{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewCache did not panic")
				}
			}()
			auth.NewCache(tt.f)
		})
	}
}

func TestFetcherFuncWithoutFunc(t *testing.T) {
	t.Parallel()
	_, err := auth.FetcherFunc{StoreKey: "k"}.Fetch(t.Context(), "")
	if !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("Fetch = %v, want material.ErrInvalidInput", err)
	}
}
