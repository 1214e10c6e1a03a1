//go:build unix

package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// foreignLock is a refresh lock key this package never makes, set by
// someone with write access to the Redis (a tool, a crashed script).
type foreignLock struct {
	name string
	set  func(ctx context.Context, rdb redis.UniversalClient, key string) error
	// repaired: TryLock gives the key the lock's TTL, or deletes it; a
	// foreign lock with a TTL under an hour is left alone.
	repaired bool
}

var foreignLocks = []foreignLock{
	{name: "no TTL", repaired: true, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
		return rdb.Set(ctx, key, "someone-else", 0).Err()
	}},
	{name: "24h TTL", repaired: true, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
		return rdb.Set(ctx, key, "someone-else", 24*time.Hour).Err()
	}},
	{name: "a list", repaired: true, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
		return rdb.RPush(ctx, key, "someone-else").Err()
	}},
	{name: "a list with a TTL", repaired: true, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
		if err := rdb.RPush(ctx, key, "someone-else").Err(); err != nil {
			return err
		}
		return rdb.Expire(ctx, key, 50*time.Minute).Err()
	}},
	{name: "50min TTL", repaired: false, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
		return rdb.Set(ctx, key, "someone-else", 50*time.Minute).Err()
	}},
}

// TestTryLockRepairsForeignLocks: a lock key without a TTL or with one
// over an hour gets the lock's TTL (and stays held); one of another type
// is deleted and the lock taken; a foreign lock under an hour is left.
func TestTryLockRepairsForeignLocks(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	for _, fl := range foreignLocks {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := newLogger()
			s, rdb := newStore(t, srv, redisstore.WithLogger(logger))
			ctx := t.Context()
			key := s.LockKey("k")
			if err := fl.set(ctx, rdb, key); err != nil {
				t.Fatal(err)
			}
			wasString := rdb.Type(ctx, key).Val() == "string"
			l, err := s.TryLock(ctx, "k", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			ttl := rdb.PTTL(ctx, key).Val()
			switch {
			case !wasString:
				if l == nil {
					t.Fatal("TryLock over a key of another type did not take the lock")
				}
				if ttl <= 0 || ttl > 1900*time.Millisecond {
					t.Errorf("lock TTL %v, want 1.9s", ttl)
				}
				if err := l.Unlock(ctx); err != nil {
					t.Fatal(err)
				}
			case l != nil:
				t.Fatal("TryLock took a lock someone else holds")
			case fl.repaired:
				// hold (1 s) plus three times the store's timeout (300 ms).
				if ttl <= 0 || ttl > 1900*time.Millisecond {
					t.Errorf("repaired lock TTL %v, want at most 1.9s", ttl)
				}
				// It lapses: WaitUnlock returns by then (it may return a
				// millisecond early, as Redis counts), and the lock is free.
				var got auth.Lock
				for range 3 {
					if err := s.WaitUnlock(ctx, "k"); err != nil {
						t.Fatal(err)
					}
					if got, err = s.TryLock(ctx, "k", time.Second); err != nil || got != nil {
						break
					}
				}
				if err != nil || got == nil {
					t.Errorf("TryLock after the repaired lock lapsed = %v, %v; want the lock", got, err)
				}
			default:
				if ttl < 49*time.Minute {
					t.Errorf("a foreign lock under an hour has TTL %v, want it left at 50m", ttl)
				}
			}
			if got, want := strings.Contains(logs.String(), key), fl.repaired; got != want {
				t.Errorf("a warning naming the lock: %v, want %v:\n%s", got, want, logs)
			}
		})
	}
}

// TestWaitUnlockOfALockWithoutTTLPauses: WaitUnlock does not wait for a
// lock without a TTL, but pauses before it returns, so that a loop of
// TryLock and WaitUnlock cannot spin.
func TestWaitUnlockOfALockWithoutTTLPauses(t *testing.T) {
	t.Parallel()
	s, rdb := newStore(t, redistest.Shared(t))
	h := &countingHook{}
	rdb.AddHook(h)
	ctx := t.Context()
	if err := rdb.Set(ctx, s.LockKey("k"), "someone-else", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// A loop of WaitUnlock for half a second makes at most one call per
	// pause of 50 ms, against thousands when it spun.
	h.n.Store(0)
	wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer wcancel()
	waits := 0
	for s.WaitUnlock(wctx, "k") == nil {
		waits++
	}
	if waits > 11 || h.n.Load() > 12 {
		t.Errorf("WaitUnlock of a lock without TTL returned %d times in 500 ms, with %d commands; want at most 10 and 11", waits, h.n.Load())
	}
	if waits == 0 {
		t.Error("WaitUnlock of a lock without TTL never returned")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.WaitUnlock(cctx, "k"); err == nil {
		t.Error("WaitUnlock with an ended context = nil")
	}
}

// TestCacheForeignLock: a refresh lock this package did not make never
// stops the fleet's fetches. A Cache with no token gets one within twice
// its fetch timeout and a bounded number of Redis commands: after a
// repaired lock lapses it takes the lock and shares its token; over a
// foreign lock it cannot repair, it fetches on its own, warns naming the
// lock, and shares nothing. Either way a later cold refresh of another
// Cache takes the lock as usual once the key is gone.
func TestCacheForeignLock(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	const fetchTimeout = 2 * time.Second // the lock's TTL is 2.9 s, the wait 4 s
	for _, fl := range foreignLocks {
		t.Run(fl.name, func(t *testing.T) {
			t.Parallel()
			p := newPlatform(t)
			f := p.fetcher(t)
			store, rdb := newStore(t, srv)
			h := &countingHook{}
			rdb.AddHook(h)
			logger, logs := newLogger()
			ctx := t.Context()
			lockKey := store.LockKey(f.Key())
			if err := fl.set(ctx, rdb, lockKey); err != nil {
				t.Fatal(err)
			}
			h.n.Store(0)
			c := auth.NewCache(f, auth.WithStore(store), auth.WithFetchTimeout(fetchTimeout), auth.WithLogger(logger))
			// A bound on the caller: twice the fetch timeout, the fetch, and slack.
			cctx, cancel := context.WithTimeout(ctx, 4*fetchTimeout)
			defer cancel()
			tok, err := c.Token(cctx)
			if err != nil {
				t.Fatalf("Token = %v; want a token", err)
			}
			// The waits poll every 50 ms at most: about 80 polls in 4 s,
			// against tens of thousands when the loop spun.
			if n := h.n.Load(); n > 150 {
				t.Errorf("Token sent %d Redis commands, want at most 150", n)
			}
			if got := p.fetches(t); got != 1 {
				t.Errorf("%d fetches, want 1", got)
			}
			saved, ok, err := store.Load(ctx, f.Key())
			if err != nil {
				t.Fatal(err)
			}
			if fl.repaired {
				if !ok || saved.Value != tok {
					t.Error("the token fetched under the lock, once the repaired lock lapsed, was not shared")
				}
				if n := rdb.Exists(ctx, lockKey).Val(); n != 0 {
					t.Error("the lock was left held")
				}
			} else {
				if ok {
					t.Error("a token fetched while another held the lock was shared")
				}
				if !strings.Contains(logs.String(), "held the refresh lock too long") || !strings.Contains(logs.String(), lockKey) {
					t.Errorf("no warning naming the lock:\n%s", logs)
				}
				if v := rdb.Get(ctx, lockKey).Val(); v != "someone-else" {
					t.Errorf("the foreign lock holds %q", v)
				}
				rdb.Del(ctx, lockKey) // its owner goes away
			}
			if strings.Contains(logs.String(), p.secret) || strings.Contains(logs.String(), tok) {
				t.Error("the log holds the secret or the token")
			}

			// The fleet recovers: once the token is gone, a cold Cache of
			// another process takes the lock, fetches and shares.
			rdb.Del(ctx, store.TokenKey(f.Key()))
			other, ordb := newStore(t, srv)
			oh := &countingHook{}
			ordb.AddHook(oh)
			cold := auth.NewCache(f, auth.WithStore(other), auth.WithFetchTimeout(fetchTimeout))
			got, err := cold.Token(cctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := oh.n.Load(); n > 12 {
				t.Errorf("a cold refresh sent %d Redis commands, want a few", n)
			}
			if saved, ok, _ := store.Load(ctx, f.Key()); !ok || saved.Value != got {
				t.Error("the cold Cache did not share its token")
			}
			if n := p.fetches(t); n != 2 {
				t.Errorf("%d fetches, want 2", n)
			}
		})
	}
}
