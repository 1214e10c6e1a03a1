//go:build unix

package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

func TestLockIsExclusiveAndReleasedByItsOwnerOnly(t *testing.T) {
	t.Parallel()
	testLockIsExclusiveAndReleasedByItsOwnerOnly(t, onServer(redistest.Shared(t)))
}

func testLockIsExclusiveAndReleasedByItsOwnerOnly(t *testing.T, newStore stores) {
	a, rdb := newStore(t)
	b, _ := newStore(t)
	ctx := t.Context()

	la, err := a.TryLock(ctx, "k", 10*time.Second)
	if err != nil || la == nil {
		t.Fatalf("TryLock = %v, %v; want the lock", la, err)
	}
	// hold plus three times the store's timeout (300 ms).
	if ttl := rdb.PTTL(ctx, a.LockKey("k")).Val(); ttl <= 10*time.Second || ttl > 10900*time.Millisecond {
		t.Errorf("lock TTL %v, want 10.9s", ttl)
	}
	if lb, err := b.TryLock(ctx, "k", time.Second); err != nil || lb != nil {
		t.Fatalf("a second TryLock = %v, %v; want nil, nil", lb, err)
	}
	if err := la.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, a.LockKey("k")).Val(); n != 0 {
		t.Fatal("Unlock left the lock")
	}
	lb, err := b.TryLock(ctx, "k", time.Second)
	if err != nil || lb == nil {
		t.Fatalf("TryLock after Unlock = %v, %v; want the lock", lb, err)
	}
	// A released lock's Unlock again must not free the new holder's.
	if err := la.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, a.LockKey("k")).Val(); n != 1 {
		t.Fatal("an old holder's Unlock freed the new holder's lock")
	}
}

// TestLockLapsedWhileItsHolderWorks: a holder whose lock lapsed and was
// taken by another neither frees the other's lock nor overwrites its
// token. The lapse is a DEL of the lock key, which is what Redis does when
// its TTL runs out; waiting for a real TTL would only slow the test.
func TestLockLapsedWhileItsHolderWorks(t *testing.T) {
	t.Parallel()
	testLockLapsedWhileItsHolderWorks(t, onServer(redistest.Shared(t)))
}

func testLockLapsedWhileItsHolderWorks(t *testing.T, newStore stores) {
	a, rdb := newStore(t)
	b, _ := newStore(t)
	ctx := t.Context()
	exp := time.Now().Add(2 * time.Hour)

	la, err := a.TryLock(ctx, "k", time.Second)
	if err != nil || la == nil {
		t.Fatalf("TryLock = %v, %v", la, err)
	}
	rdb.Del(ctx, a.LockKey("k"))
	lb, err := b.TryLock(ctx, "k", time.Second)
	if err != nil || lb == nil {
		t.Fatalf("TryLock after the lapse = %v, %v; want the lock", lb, err)
	}
	if saved, err := lb.Save(ctx, auth.Token{Value: "B", ExpiresAt: exp}); err != nil || !saved {
		t.Fatalf("the new holder's Save = %v, %v", saved, err)
	}
	if saved, err := la.Save(ctx, auth.Token{Value: "A", ExpiresAt: exp}); err != nil || saved {
		t.Errorf("the lapsed holder's Save = %v, %v; want false", saved, err)
	}
	if err := la.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, a.LockKey("k")).Val(); n != 1 {
		t.Error("the lapsed holder freed the new holder's lock")
	}
	if got, _, _ := a.Load(ctx, "k"); got.Value != "B" {
		t.Errorf("the store holds the lapsed holder's token")
	}

	// A lapsed lock that nobody took: its holder's token is the newest,
	// and is saved.
	lc, err := a.TryLock(ctx, "j", time.Second)
	if err != nil || lc == nil {
		t.Fatalf("TryLock = %v, %v", lc, err)
	}
	rdb.Del(ctx, a.LockKey("j"))
	if saved, err := lc.Save(ctx, auth.Token{Value: "C", ExpiresAt: exp}); err != nil || !saved {
		t.Errorf("Save of a lapsed lock nobody took = %v, %v; want true", saved, err)
	}
}

func TestWaitUnlock(t *testing.T) {
	t.Parallel()
	testWaitUnlock(t, onServer(redistest.Shared(t)))
}

func testWaitUnlock(t *testing.T, newStore stores) {
	s, _ := newStore(t)
	ctx := t.Context()

	if err := s.WaitUnlock(ctx, "free"); err != nil {
		t.Errorf("WaitUnlock of a free lock = %v", err)
	}

	// Released by its holder.
	l, err := s.TryLock(ctx, "k", time.Minute)
	if err != nil || l == nil {
		t.Fatalf("TryLock = %v, %v", l, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.WaitUnlock(ctx, "k") }()
	select {
	case err := <-done:
		t.Fatalf("WaitUnlock returned %v while the lock is held", err)
	default:
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := receive(t, done, "return of WaitUnlock after Unlock"); err != nil {
		t.Errorf("WaitUnlock = %v", err)
	}

	// Lapsed: its holder died. A Redis TTL of 0 + 3×300 ms.
	if l, err := s.TryLock(ctx, "dead", 0); err != nil || l == nil {
		t.Fatalf("TryLock = %v, %v", l, err)
	}
	if err := s.WaitUnlock(ctx, "dead"); err != nil {
		t.Errorf("WaitUnlock of a lock that lapses = %v", err)
	}

	// The caller gives up.
	if l, err := s.TryLock(ctx, "held", time.Minute); err != nil || l == nil {
		t.Fatalf("TryLock = %v, %v", l, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- s.WaitUnlock(cctx, "held") }()
	cancel()
	if err := receive(t, done, "return of WaitUnlock after cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitUnlock after cancel = %v; want context.Canceled", err)
	}
}

// TestRedisSlowOrDown: every call returns within the store's timeout when
// Redis hangs (paused) or is gone, and works again once it is back.
func TestRedisSlowOrDown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s, _ := newStore(t, srv)
	ctx := t.Context()
	if err := s.Save(ctx, "k", auth.Token{Value: "T", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{name: "Load", call: func() error { _, _, err := s.Load(ctx, "k"); return err }},
		{name: "Save", call: func() error { return s.Save(ctx, "k", auth.Token{Value: "T"}) }},
		{name: "CompareAndDelete", call: func() error { _, err := s.CompareAndDelete(ctx, "k", "T"); return err }},
		{name: "TryLock", call: func() error { _, err := s.TryLock(ctx, "k", time.Second); return err }},
		{name: "WaitUnlock", call: func() error { return s.WaitUnlock(ctx, "k") }},
	}
	for _, state := range []struct {
		name       string
		stop, back func() error
	}{
		{name: "paused", stop: srv.Pause, back: srv.Resume},
		{name: "stopped", stop: srv.Stop, back: srv.Restart},
	} {
		if err := state.stop(); err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			// The store's timeout is what ends each call; the context
			// given is not cancelled.
			if err := c.call(); !errors.Is(err, context.DeadlineExceeded) && state.name == "paused" {
				t.Errorf("%s with Redis %s = %v; want a deadline error", c.name, state.name, err)
			} else if err == nil {
				t.Errorf("%s with Redis %s succeeded", c.name, state.name)
			}
		}
		if err := state.back(); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, "k", auth.Token{Value: "T", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Errorf("Save once Redis is back (%s): %v", state.name, err)
		}
	}
}
