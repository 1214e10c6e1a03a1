package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/redact"
)

// SharedStore is a Store that the processes of a fleet share, with a lock
// that one of them holds while it fetches: package auth/redisstore is one,
// on Redis. A Cache given one (WithStore) changes its ways:
//
//   - It keeps the token it uses in memory, so Token makes no round trip to
//     the store until the token nears its refresh margin or is rejected.
//   - To refresh, it takes the token another process saved if that one is
//     fresh; otherwise it takes the lock, fetches, saves and releases it,
//     while the other processes wait for the lock to be released (or to
//     lapse, if its holder died) and take the token saved. One fetch serves
//     the whole fleet, however many processes ask at once.
//   - It waits for another's lock at most twice its fetch timeout (the
//     holder's fetch, then the lapse of its lock). Past that (a holder that
//     outlives its lock, or a lock someone else set), it serves the token it
//     is refreshing while that one lasts, or else fetches on its own rather
//     than fail, logs a warning naming the lock (at most once a minute), and
//     shares the token fetched only if it can take the lock by then and the
//     store holds no fresh token.
//   - Invalidate drops the rejected token from memory, then
//     compare-and-deletes it in the store; the next Token takes the token
//     the fleet has by then, or fetches one.
//   - When the store fails or is slow, the Cache fetches on its own, logs a
//     warning (at most once a minute), and uses the store again at the next
//     refresh, logging that it answers again. Calls never wait on the store
//     past their context.
//
// The in-memory default, MemoryStore, is not a SharedStore: a Cache over it
// reads it on every call.
//
// An implementation must bound each of its calls itself (a short timeout),
// since a Cache's refresh runs on a context detached from its callers'.
type SharedStore interface {
	Store

	// TryLock takes the refresh lock of key if no one holds it, and
	// returns nil, nil if someone does. hold is how long the caller may
	// work under the lock (its fetch timeout); the lock lapses a little
	// later (the store adds the time of its own round trips), so that a
	// holder that dies frees it.
	TryLock(ctx context.Context, key string, hold time.Duration) (Lock, error)

	// WaitUnlock returns nil once the refresh lock of key is free:
	// released by its holder, or lapsed. It may return nil early; the
	// caller then looks again. It fails when ctx ends or the store fails.
	WaitUnlock(ctx context.Context, key string) error
}

// Lock is a refresh lock taken with SharedStore.TryLock.
type Lock interface {
	// Save stores t under the lock's key unless another holder took the
	// lock after this one (this one lapsed meanwhile, and the other's
	// token will be newer); then it stores nothing and reports false.
	Save(ctx context.Context, t Token) (saved bool, err error)

	// Unlock releases the lock if it is still this one's, and otherwise
	// does nothing.
	Unlock(ctx context.Context) error
}

// storeWarnInterval spaces the warnings about a failing SharedStore.
const storeWarnInterval = time.Minute

// fleetState is what a Cache over a SharedStore keeps. Its fields are
// guarded by the Cache's mu.
type fleetState struct {
	local     Token     // the token in use, served without a round trip
	down      bool      // the last store call failed
	storeWarn warnLimit // the warnings that the store failed
	lockWarn  warnLimit // the warnings that the lock was held too long
}

// warnLimit spaces warnings of one kind by storeWarnInterval.
type warnLimit struct {
	at         time.Time // when the last one was logged
	suppressed int       // those not logged since
}

// allow reports whether to log a warning at now and, if so, how many were
// not logged since the last one.
func (w *warnLimit) allow(now time.Time) (ok bool, suppressed int) {
	if !w.at.IsZero() && now.Sub(w.at) < storeWarnInterval && !now.Before(w.at) {
		w.suppressed++
		return false, 0
	}
	suppressed = w.suppressed
	w.at, w.suppressed = now, 0
	return true, suppressed
}

// localToken returns the token in memory if it may be served.
func (c *Cache) localToken(now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.fleet.local
	if c.stateLocked(t, now) >= held {
		return t.Value, true
	}
	return "", false
}

// setLocal makes t the token in memory. A token adopted from the store
// ends the memory of a rejected one.
func (c *Cache) setLocal(t Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fleet.local = t
	if c.rejected != t.Value {
		c.rejected = ""
	}
}

// invalidateShared is Invalidate over a SharedStore.
func (c *Cache) invalidateShared(ctx context.Context, rejected string) {
	c.mu.Lock()
	mine := c.fleet.local.Value == rejected
	if mine {
		c.fleet.local = Token{}
		c.rejected = rejected
	}
	c.mu.Unlock()
	dropped, err := c.shared.CompareAndDelete(ctx, c.key, rejected)
	switch {
	case err != nil && ctx.Err() == nil:
		c.storeFailed(ctx, "invalidate", err)
	case err == nil:
		c.storeAnswered(ctx)
		if dropped && !mine {
			c.mu.Lock()
			c.rejected = rejected
			c.mu.Unlock()
		}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "auth: token rejected", slog.String("key", c.key), slog.Bool("dropped", mine || dropped))
}

// refreshShared runs inside the single flight when the store is shared. ctx
// has no deadline: the wait for another process's fetch is bounded by twice
// the fetch timeout (that process's fetch, then the lapse of its lock if it
// died), after which the Cache goes on without the lock (waitFailed), and
// this Cache's own fetch by the fetch timeout.
func (c *Cache) refreshShared(ctx context.Context) (Token, error) {
	s := c.shared
	c.mu.Lock()
	old := c.fleet.local
	c.mu.Unlock()
	if c.state(old, c.now()) == unusable {
		old = Token{}
	}
	wait := 2 * c.timeout
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		cur, ok, err := s.Load(wctx, c.key)
		if err != nil {
			return c.waitFailed(ctx, wctx, old, wait, "load", err)
		}
		if ok {
			switch c.state(cur, c.now()) {
			case fresh, held:
				c.storeAnswered(ctx)
				c.setLocal(cur)
				return cur, nil
			case stale:
				if old.Value == "" {
					old = cur
				}
			}
		}
		lock, err := s.TryLock(wctx, c.key, c.timeout)
		if err != nil {
			return c.waitFailed(ctx, wctx, old, wait, "lock", err)
		}
		c.storeAnswered(ctx)
		if lock != nil {
			return c.fetchLocked(ctx, lock, old)
		}
		if err := s.WaitUnlock(wctx, c.key); err != nil {
			return c.waitFailed(ctx, wctx, old, wait, "wait", err)
		}
	}
}

// waitFailed ends a shared refresh whose store call failed with err. When
// the wait for another process lasted too long, it falls back to old, or,
// if there is none, fetches on its own (waitedOut); when the store failed,
// it fetches without the store.
func (c *Cache) waitFailed(ctx, wctx context.Context, old Token, wait time.Duration, op string, err error) (Token, error) {
	if wctx.Err() != nil {
		if old.Value != "" && c.state(old, c.now()) != unusable {
			err = fmt.Errorf("auth: fetch %s: another process has held the refresh lock for more than %v", c.key, wait)
			return c.fallBack(ctx, old, c.now(), err)
		}
		return c.waitedOut(ctx, wait)
	}
	c.storeFailed(ctx, op, err)
	tok, _, err := c.fetchLocal(ctx, old)
	return tok, err
}

// fetchLocal fetches within the fetch timeout (see fetch) and makes the
// token the one in memory.
func (c *Cache) fetchLocal(ctx context.Context, old Token) (tok Token, fetched bool, err error) {
	fctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tok, fetched, err = c.fetch(fctx, old)
	if err != nil {
		return Token{}, false, err
	}
	c.setLocal(tok)
	return tok, fetched, nil
}

// waitedOut fetches without the fleet's lock, which another has held for
// more than wait (a holder slower than its fetch timeout, or a lock this
// package did not make), rather than failing. It logs a warning (at most
// once per storeWarnInterval), then shares the token only if it can take
// the lock by then and the store holds no fresh token; otherwise the next
// refresh tries again.
func (c *Cache) waitedOut(ctx context.Context, wait time.Duration) (Token, error) {
	now := c.now()
	c.mu.Lock()
	warn, suppressed := c.fleet.lockWarn.allow(now)
	c.mu.Unlock()
	if warn {
		attrs := []slog.Attr{slog.String("key", c.key), slog.Duration("waited", wait), slog.Int("warnings_not_logged", suppressed)}
		if lk, ok := c.shared.(interface{ LockKey(key string) string }); ok {
			attrs = append(attrs, slog.String("lock", lk.LockKey(c.key)))
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "auth: another process has held the refresh lock too long; fetching without it", attrs...)
	}
	tok, fetched, err := c.fetchLocal(ctx, Token{})
	if err != nil || !fetched {
		return tok, err
	}
	lock, err := c.shared.TryLock(ctx, c.key, c.timeout)
	if err != nil {
		c.storeFailed(ctx, "lock", err)
		return tok, nil
	}
	if lock == nil {
		return tok, nil // still held: the token stays this Cache's
	}
	defer func() {
		if err := lock.Unlock(ctx); err != nil {
			c.storeFailed(ctx, "unlock", err)
		}
	}()
	if cur, ok, err := c.shared.Load(ctx, c.key); err != nil {
		c.storeFailed(ctx, "load", err)
		return tok, nil
	} else if ok && c.state(cur, c.now()) >= held {
		return tok, nil // another process shared a token meanwhile: keep it
	}
	if _, err := lock.Save(ctx, tok); err != nil {
		c.storeFailed(ctx, "save", err)
	}
	return tok, nil
}

// fetchLocked fetches under the fleet's lock, saves the token and releases
// the lock.
func (c *Cache) fetchLocked(ctx context.Context, lock Lock, old Token) (Token, error) {
	defer func() {
		if err := lock.Unlock(ctx); err != nil {
			c.storeFailed(ctx, "unlock", err) // the lock lapses on its own
		}
	}()
	// Another process may have saved a token between Load and TryLock.
	cur, ok, err := c.shared.Load(ctx, c.key)
	switch {
	case err != nil:
		c.storeFailed(ctx, "load", err)
	case ok:
		switch c.state(cur, c.now()) {
		case fresh, held:
			c.setLocal(cur)
			return cur, nil
		case stale:
			if old.Value == "" {
				old = cur
			}
		}
	}
	tok, fetched, err := c.fetchLocal(ctx, old)
	if err != nil || !fetched {
		return tok, err
	}
	saved, err := lock.Save(ctx, tok)
	switch {
	case err != nil:
		c.storeFailed(ctx, "save", err)
	case !saved:
		// This process's lock lapsed and another took it: the fleet will
		// use that one's token; this one still works for now.
		c.log.LogAttrs(ctx, slog.LevelWarn, "auth: the refresh lock lapsed during the fetch; the token was not shared",
			slog.String("key", c.key), slog.Duration("fetch_timeout", c.timeout))
	}
	return tok, nil
}

// storeFailed logs, at most once per storeWarnInterval, that the shared
// store failed and the Cache goes on without it.
func (c *Cache) storeFailed(ctx context.Context, op string, err error) {
	now := c.now()
	c.mu.Lock()
	c.fleet.down = true
	warn, suppressed := c.fleet.storeWarn.allow(now)
	c.mu.Unlock()
	if warn {
		c.log.LogAttrs(ctx, slog.LevelWarn, "auth: the shared token store failed; fetching tokens without it until it answers",
			slog.String("key", c.key), slog.String("op", op), slog.String("error", redact.String(err.Error())),
			slog.Int("failures_not_logged", suppressed))
	}
}

// storeAnswered notes that the shared store answered, and logs it when it
// had failed.
func (c *Cache) storeAnswered(ctx context.Context) {
	c.mu.Lock()
	was := c.fleet.down
	c.fleet.down = false
	c.mu.Unlock()
	if was {
		c.log.LogAttrs(ctx, slog.LevelInfo, "auth: the shared token store answers again", slog.String("key", c.key))
	}
}
