//go:build unix

package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

// foreignLocking is a Store over whose first TryLock someone with write
// access to the Redis has set the upload lock key with set.
type foreignLocking struct {
	*redisstore.Store
	rdb  redis.UniversalClient
	set  func(ctx context.Context, rdb redis.UniversalClient, key string) error
	once sync.Once
	err  error
	lock string // the lock key set
}

func (f *foreignLocking) TryLock(ctx context.Context, key string, hold time.Duration) (dedup.Lock, error) {
	f.once.Do(func() {
		f.lock = f.LockKey(key)
		f.err = f.set(ctx, f.rdb, f.lock)
	})
	if f.err != nil {
		return nil, f.err
	}
	return f.Store.TryLock(ctx, key, hold)
}

// TestForeignLockNeverHangsAnUpload: an upload lock key this package did
// not make (no TTL, a TTL of a day or of 50 minutes, another type) holds an
// upload up for at most twice its hold, and a bounded number of Redis
// commands; the upload is made once and remembered, and the fleet goes on
// taking the lock as usual afterwards. A caller whose deadline is nearer
// waits half the time it has left.
func TestForeignLockNeverHangsAnUpload(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	const hold = time.Second // the lock's TTL is 1.9 s, the wait 2 s
	for _, tt := range []struct {
		name     string
		set      func(ctx context.Context, rdb redis.UniversalClient, key string) error
		deadline time.Duration // of the caller, 0 for none
		warned   bool          // the upload went on without the lock
	}{
		{name: "no TTL", set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
			return rdb.Set(ctx, key, "someone-else", 0).Err()
		}},
		{name: "24h TTL", set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
			return rdb.Set(ctx, key, "someone-else", 24*time.Hour).Err()
		}},
		{name: "a list", set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
			return rdb.RPush(ctx, key, "someone-else").Err()
		}},
		{name: "50min TTL", warned: true, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
			return rdb.Set(ctx, key, "someone-else", 50*time.Minute).Err()
		}},
		{name: "1h TTL, a caller with a 3s deadline", deadline: 3 * time.Second, warned: true, set: func(ctx context.Context, rdb redis.UniversalClient, key string) error {
			return rdb.Set(ctx, key, "someone-else", time.Hour).Err()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPlatform(t, nil)
			st, rdb := newStore(t, srv)
			h := &commandHook{name: "-", seen: make(chan struct{}, 1)}
			rdb.AddHook(h)
			logger, logs := fleettest.NewLogger()
			opts := []dedup.Option{dedup.WithLockTTL(hold), dedup.WithLogger(logger)}
			if tt.deadline > 0 {
				opts[0] = dedup.WithLockTTL(time.Minute) // the caller's deadline is the nearer bound
			}
			fl := &foreignLocking{Store: st, rdb: rdb, set: tt.set}
			svc := newService(t, p.client(t, material.OfficialAccount), fl, opts...)
			path := sampleFile(t, 100)
			// A bound on the caller: the wait, the upload, and slack.
			bound := 4 * hold
			if tt.deadline > 0 {
				bound = tt.deadline
			}
			ctx, cancel := context.WithTimeout(t.Context(), bound)
			defer cancel()
			m, err := svc.Upload(ctx, material.KindImage, fromFile(t, path))
			if err != nil {
				t.Fatalf("Upload = %v; want an upload", err)
			}
			// The waits poll every 50 ms at most: about 40 polls in 2 s.
			if n := h.n.Load(); n > 100 {
				t.Errorf("Upload sent %d Redis commands, want at most 100", n)
			}
			// A lock key the package never makes (no TTL, over an hour,
			// another type) was repaired: it is gone, or a plain lock
			// lapsing within the lock's TTL; never left as it was.
			if !tt.warned {
				typ, _ := rdb.Type(t.Context(), fl.lock).Result()
				ttl, _ := rdb.PTTL(t.Context(), fl.lock).Result()
				if typ != "none" && (typ != "string" || ttl <= 0 || ttl > 2*hold) {
					t.Errorf("the foreign lock %s is a %s with a TTL of %v after the upload: not repaired", fl.lock, typ, ttl)
				}
			}
			if got := logs.Count("held the lock too long"); tt.warned && got != 1 {
				t.Errorf("%d warnings that the lock was held too long, want 1:\n%s", got, logs)
			}
			if tt.warned && logs.Count(fl.lock) == 0 {
				t.Errorf("the warning does not name the lock %s:\n%s", fl.lock, logs)
			}

			// Remembered: another Service of the fleet reuses the id.
			other, ordb := newStore(t, srv)
			oh := &commandHook{name: "-", seen: make(chan struct{}, 1)}
			ordb.AddHook(oh)
			svc2 := newService(t, p.client(t, material.OfficialAccount), other, dedup.WithLockTTL(hold))
			m2, err := svc2.Upload(t.Context(), material.KindImage, fromFile(t, path))
			if err != nil {
				t.Fatal(err)
			}
			if m2.ID != m.ID || p.uploads(t, material.OfficialAccount) != 1 {
				t.Errorf("another Service got %s (first %s) after %d uploads; want the first id, one upload", m2.ID, m.ID, p.uploads(t, material.OfficialAccount))
			}

			// The fleet recovers: with the id forgotten and the foreign lock
			// gone, an upload takes the lock and uploads at once.
			keys, err := keysMatching(t.Context(), rdb, redistest.Prefix(t)+"*")
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > 0 {
				rdb.Del(t.Context(), keys...)
			}
			oh.n.Store(0)
			if _, err := svc2.Upload(t.Context(), material.KindImage, fromFile(t, path)); err != nil {
				t.Fatal(err)
			}
			if n := oh.n.Load(); n > 10 {
				t.Errorf("an upload after the recovery sent %d Redis commands, want a few", n)
			}
			if got := p.uploads(t, material.OfficialAccount); got != 2 {
				t.Errorf("%d uploads, want 2", got)
			}
		})
	}
}
