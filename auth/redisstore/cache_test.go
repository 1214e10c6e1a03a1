//go:build unix

package redisstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// These tests run several Caches in one process, each with its own Redis
// client and Store, as separate processes would have; fleet_test.go runs
// real processes.

func TestCacheNoRoundTripOnTheHotPath(t *testing.T) {
	t.Parallel()
	p := newPlatform(t)
	srv := redistest.Shared(t)
	hook := &countingHook{}
	rdb := srv.Client(t, 0)
	rdb.AddHook(hook)
	s, err := redisstore.New(rdb, redisstore.WithPrefix(prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	c := auth.NewCache(p.fetcher(t), auth.WithStore(s))
	first, err := c.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	before := hook.n.Load()
	for range 1000 {
		if tok, err := c.Token(t.Context()); err != nil || tok != first {
			t.Fatalf("Token = %v; want the first token", err)
		}
	}
	if n := hook.n.Load() - before; n != 0 {
		t.Errorf("1000 calls with a fresh token sent %d Redis commands, want 0", n)
	}
	if got := p.fetches(t); got != 1 {
		t.Errorf("%d fetches, want 1", got)
	}
}

func TestCacheFleetOneFetchPerExpiryAndRejection(t *testing.T) {
	t.Parallel()
	testCacheFleetOneFetchPerExpiryAndRejection(t, newPlatform(t), onServer(redistest.Shared(t)))
}

// testCacheFleetOneFetchPerExpiryAndRejection: eight caches of p's account
// over stores of newStore, each with its own client, cold at once, make
// one fetch; told at once that the token was rejected, one more.
func testCacheFleetOneFetchPerExpiryAndRejection(t *testing.T, p *platform, newStore stores) {
	const n = 8
	caches := make([]*auth.Cache, n)
	for i := range caches {
		s, _ := newStore(t)
		caches[i] = auth.NewCache(p.fetcher(t), auth.WithStore(s))
	}
	all := func() []string {
		toks := make([]string, n)
		var wg sync.WaitGroup
		for i, c := range caches {
			wg.Go(func() {
				tok, err := c.Token(t.Context())
				if err != nil {
					t.Errorf("cache %d: %v", i, err)
				}
				toks[i] = tok
			})
		}
		wg.Wait()
		return toks
	}
	same := func(toks []string) string {
		for _, tok := range toks[1:] {
			if tok != toks[0] {
				t.Fatalf("the caches hold different tokens")
			}
		}
		return toks[0]
	}

	t1 := same(all())
	if got := p.fetches(t); got != 1 {
		t.Fatalf("cold start of %d caches: %d fetches, want 1", n, got)
	}
	// Every cache is told the token was rejected, at once.
	var wg sync.WaitGroup
	for _, c := range caches {
		wg.Go(func() {
			if err := c.Invalidate(t.Context(), t1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	t2 := same(all())
	if t2 == t1 {
		t.Fatal("the rejected token is still served")
	}
	if got := p.fetches(t); got != 2 {
		t.Fatalf("after a rejection in every cache: %d fetches, want 2", got)
	}
}

// TestCacheLockLapsedWhileItsHolderWorks: holder A's lock lapses (a DEL, as
// in TestLockLapsedWhileItsHolderWorks) while its fetch runs; B takes the
// lock and fetches. A serves its token to its callers but does not share
// it, does not free B's lock, and the fleet ends up on B's token.
func TestCacheLockLapsedWhileItsHolderWorks(t *testing.T) {
	t.Parallel()
	testCacheLockLapsedWhileItsHolderWorks(t, onServer(redistest.Shared(t)))
}

func testCacheLockLapsedWhileItsHolderWorks(t *testing.T, newStore stores) {
	sa, rdb := newStore(t)
	sb, _ := newStore(t)
	sc, _ := newStore(t)
	logger, logs := newLogger()
	fa, fb, fc := newBlockingFetcher("k"), newBlockingFetcher("k"), newBlockingFetcher("k")
	a := auth.NewCache(fa, auth.WithStore(sa), auth.WithLogger(logger))
	b := auth.NewCache(fb, auth.WithStore(sb))
	ctx := t.Context()
	exp := time.Now().Add(2 * time.Hour)

	ra := tokenAsync(ctx, a)
	receive(t, fa.started, "fetch by A")
	rdb.Del(ctx, sa.LockKey("k")) // A's lock lapses
	rb := tokenAsync(ctx, b)
	receive(t, fb.started, "fetch by B")

	fa.tokens <- auth.Token{Value: "A", ExpiresAt: exp}
	if r := receive(t, ra, "A's token"); r.err != nil || r.tok != "A" {
		t.Fatalf("A's callers got %v; want A's own token", r.err)
	}
	if owner := rdb.Get(ctx, sa.LockKey("k")).Val(); owner == "" {
		t.Fatal("A freed the lock B holds")
	}
	if got, ok, _ := sa.Load(ctx, "k"); ok {
		t.Fatalf("A shared its token although its lock lapsed (%v)", got)
	}
	if !strings.Contains(logs.String(), "lock lapsed") {
		t.Errorf("A did not warn that its lock lapsed:\n%s", logs)
	}

	fb.tokens <- auth.Token{Value: "B", ExpiresAt: exp}
	if r := receive(t, rb, "B's token"); r.err != nil || r.tok != "B" {
		t.Fatalf("B's callers got %v", r.err)
	}
	// A third process takes B's token without fetching.
	c := auth.NewCache(fc, auth.WithStore(sc))
	if tok, err := c.Token(ctx); err != nil || tok != "B" || fc.calls.Load() != 0 {
		t.Errorf("a third cache got %v after %d fetches; want B's token and no fetch", err, fc.calls.Load())
	}
}

// TestCacheWaitsForTheHolderThenTakesItsToken: a cache that finds the lock
// held waits, and takes the holder's token when it is released.
func TestCacheWaitsForTheHolderThenTakesItsToken(t *testing.T) {
	t.Parallel()
	testCacheWaitsForTheHolderThenTakesItsToken(t, onServer(redistest.Shared(t)))
}

func testCacheWaitsForTheHolderThenTakesItsToken(t *testing.T, newStore stores) {
	sa, _ := newStore(t)
	sb, _ := newStore(t)
	fa, fb := newBlockingFetcher("k"), newBlockingFetcher("k")
	a := auth.NewCache(fa, auth.WithStore(sa))
	b := auth.NewCache(fb, auth.WithStore(sb))
	ctx := t.Context()

	ra := tokenAsync(ctx, a)
	receive(t, fa.started, "fetch by A")
	rb := tokenAsync(ctx, b)
	// B's caller gives up while B waits: it gets its context's error at
	// once, and B's wait goes on.
	cctx, cancel := context.WithCancel(ctx)
	rbImpatient := tokenAsync(cctx, b)
	cancel()
	if r := receive(t, rbImpatient, "the impatient caller's return"); r.err != context.Canceled {
		t.Errorf("impatient caller got %v; want context.Canceled", r.err)
	}
	fa.tokens <- auth.Token{Value: "A", ExpiresAt: time.Now().Add(2 * time.Hour)}
	if r := receive(t, ra, "A's token"); r.tok != "A" {
		t.Fatalf("A got %v", r.err)
	}
	if r := receive(t, rb, "B's token"); r.err != nil || r.tok != "A" {
		t.Fatalf("B got %v; want A's token", r.err)
	}
	if n := fb.calls.Load(); n != 0 {
		t.Errorf("B fetched %d times, want 0", n)
	}
}

// TestCacheRedisDown: with Redis gone or hanging, Token and Invalidate
// return within their context, the Cache fetches on its own and warns once,
// and it uses Redis again when Redis answers.
func TestCacheRedisDown(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"stopped", "paused"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			p := newPlatform(t)
			srv := redistest.Start(t)
			sa, _ := newStore(t, srv)
			sb, _ := newStore(t, srv)
			logger, logs := newLogger()
			a := auth.NewCache(p.fetcher(t), auth.WithStore(sa), auth.WithLogger(logger))
			b := auth.NewCache(p.fetcher(t), auth.WithStore(sb))
			ctx := t.Context()
			t1, err := a.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if mode == "stopped" {
				err = srv.Stop()
			} else {
				err = srv.Pause()
			}
			if err != nil {
				t.Fatal(err)
			}

			// The hot path does not notice.
			if tok, err := a.Token(ctx); err != nil || tok != t1 {
				t.Fatalf("Token with Redis %s = %v", mode, err)
			}
			// A rejection: the Cache drops the token, cannot reach Redis,
			// fetches on its own; a second one within the minute is not
			// warned about again.
			for i := range 2 {
				tok, _ := a.Token(ctx)
				if err := a.Invalidate(ctx, tok); err != nil {
					t.Fatalf("Invalidate with Redis %s = %v; want nil", mode, err)
				}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				next, err := a.Token(cctx)
				cancel()
				if err != nil || next == tok {
					t.Fatalf("Token after rejection %d with Redis %s = %v", i, mode, err)
				}
			}
			if got := p.fetches(t); got != 3 {
				t.Errorf("%d fetches, want 3", got)
			}
			if n := logs.Count("shared token store failed"); n != 1 {
				t.Errorf("%d warnings, want 1 (rate-limited):\n%s", n, logs)
			}
			if strings.Contains(logs.String(), testSecret) {
				t.Error("the log holds the secret")
			}

			if mode == "stopped" {
				err = srv.Restart()
			} else {
				err = srv.Resume()
			}
			if err != nil {
				t.Fatal(err)
			}
			// Back on Redis: A saves what it fetches, B takes it. A paused
			// Redis still holds the first token, which A's own fetches
			// rotated out meanwhile: A takes it, the platform rejects it,
			// and A replaces it.
			tok, _ := a.Token(ctx)
			if err := a.Invalidate(ctx, tok); err != nil {
				t.Fatal(err)
			}
			ta, err := a.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if code := p.call(t, ta); code != 0 {
				if err := a.Invalidate(ctx, ta); err != nil {
					t.Fatal(err)
				}
				if ta, err = a.Token(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if code := p.call(t, ta); code != 0 {
				t.Fatalf("the platform rejects A's token: %d", code)
			}
			if !strings.Contains(logs.String(), "answers again") {
				t.Errorf("no word that the store answers again:\n%s", logs)
			}
			if tb, err := b.Token(ctx); err != nil || tb != ta {
				t.Errorf("B did not take A's token from Redis: %v", err)
			}
			if got := p.fetches(t); got != 4 {
				t.Errorf("%d fetches, want 4", got)
			}
		})
	}
}

// TestCacheReplacesAValueThatDoesNotDecode: garbage under the key is
// dropped, a token fetched and saved in its place.
func TestCacheReplacesAValueThatDoesNotDecode(t *testing.T) {
	t.Parallel()
	p := newPlatform(t)
	s, rdb := newStore(t, redistest.Shared(t))
	f := p.fetcher(t)
	ctx := t.Context()
	rdb.Set(ctx, s.TokenKey(f.Key()), `{"token":`, time.Hour)
	c := auth.NewCache(f, auth.WithStore(s))
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, f.Key())
	if err != nil || !ok || got.Value != tok {
		t.Errorf("Redis does not hold the new token: %v, %v", ok, err)
	}
	if got := p.fetches(t); got != 1 {
		t.Errorf("%d fetches, want 1", got)
	}
}

// TestNoSecretInKeys: the keys of a WeCom agent hold a hash of its secret,
// never the secret; two agents of one corp have their own keys.
func TestNoSecretInKeys(t *testing.T) {
	t.Parallel()
	s, rdb := newStore(t, redistest.Shared(t))
	ctx := t.Context()
	secrets := []string{"SECRET-agent-1/abc+def=", "SECRET-agent-2/abc+def="}
	for _, secret := range secrets {
		f, err := auth.NewWeCom("ww0123", secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, f.Key(), auth.Token{Value: "T-" + f.Key(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		l, err := s.TryLock(ctx, f.Key(), time.Second)
		if err != nil || l == nil {
			t.Fatal(err)
		}
	}
	keys, err := rdb.Keys(ctx, redisGlob(prefix(t))+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 6 {
		t.Errorf("keys %q, want a token, a lock and a holder per agent", keys)
	}
	for _, k := range keys {
		for _, secret := range secrets {
			if strings.Contains(k, secret) || strings.Contains(k, "SECRET") {
				t.Errorf("key %q holds a secret", k)
			}
		}
	}
}

// redisGlob escapes a literal for a KEYS pattern.
func redisGlob(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}
