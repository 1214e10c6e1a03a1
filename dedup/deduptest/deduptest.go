// Package deduptest is the conformance suite of dedup.Store
// implementations: what dedup.Service counts on, checked through the
// interface. It runs against dedup.MemoryStore and the Store on Redis of
// github.com/wxmaterial/wxmaterial/dedup/redisstore in this module.
package deduptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/dedup"
)

// lapse is the hold and TTL of the subtests that wait for a lock to lapse
// or an entry to expire: the store's own clock runs out, no test sleeps.
const lapse = 50 * time.Millisecond

// RunStore runs the suite. newStore returns a Store with nothing in it for
// one subtest (register clean-ups with t.Cleanup); Stores of the same
// subtest may share their data, and each subtest uses keys of its own.
func RunStore(t *testing.T, newStore func(t testing.TB) dedup.Store) {
	t.Helper()
	e := dedup.Entry{Value: "media-1", CreatedAt: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2025, 6, 5, 9, 0, 0, 0, time.UTC)}

	t.Run("LoadMissing", func(t *testing.T) {
		s := newStore(t)
		if got, ok, err := s.Load(t.Context(), key(t, "a")); err != nil || ok {
			t.Errorf("Load of a key never saved = %+v, %v, %v; want nothing", got, ok, err)
		}
	})
	t.Run("SaveLoad", func(t *testing.T) {
		s, k := newStore(t), key(t, "a")
		save(t, s, k, e, time.Hour)
		got := load(t, s, k)
		if got.Value != e.Value || !got.CreatedAt.Equal(e.CreatedAt) || !got.ExpiresAt.Equal(e.ExpiresAt) {
			t.Errorf("Load = %+v, want %+v", got, e)
		}
		other := e
		other.Value = "media-2"
		save(t, s, k, other, time.Hour)
		if got := load(t, s, k); got.Value != "media-2" {
			t.Errorf("Load after a second Save = %q, want the second value", got.Value)
		}
		if _, ok, _ := s.Load(t.Context(), key(t, "b")); ok {
			t.Errorf("another key holds the entry too")
		}
	})
	t.Run("CompareAndDelete", func(t *testing.T) {
		s, k := newStore(t), key(t, "a")
		ctx := t.Context()
		if ok, err := s.CompareAndDelete(ctx, k, e.Value); err != nil || ok {
			t.Errorf("CompareAndDelete of a missing key = %v, %v; want false, nil", ok, err)
		}
		save(t, s, k, e, time.Hour)
		if ok, err := s.CompareAndDelete(ctx, k, "another id"); err != nil || ok {
			t.Errorf("CompareAndDelete with another value = %v, %v; want false, nil", ok, err)
		}
		load(t, s, k)
		if ok, err := s.CompareAndDelete(ctx, k, e.Value); err != nil || !ok {
			t.Errorf("CompareAndDelete with its value = %v, %v; want true, nil", ok, err)
		}
		if _, ok, _ := s.Load(ctx, k); ok {
			t.Errorf("the entry survived CompareAndDelete")
		}
	})
	t.Run("TTL", func(t *testing.T) {
		s, k, lk := newStore(t), key(t, "a"), key(t, "lock")
		save(t, s, k, e, lapse)
		l := tryLock(t, s, lk, lapse) // taken after the Save: lapses after the entry expires
		if l == nil {
			t.Fatal("TryLock of a free key = nil")
		}
		if err := s.WaitUnlock(t.Context(), lk); err != nil {
			t.Fatal(err)
		}
		for tryLock(t, s, lk, time.Hour) == nil { // WaitUnlock may return early
			if err := s.WaitUnlock(t.Context(), lk); err != nil {
				t.Fatal(err)
			}
		}
		if got, ok, err := s.Load(t.Context(), k); err != nil || ok {
			t.Errorf("Load after the TTL = %+v, %v, %v; want nothing", got, ok, err)
		}
	})
	t.Run("Lock", func(t *testing.T) {
		s, k := newStore(t), key(t, "a")
		l := tryLock(t, s, k, time.Hour)
		if l == nil {
			t.Fatal("TryLock of a free key = nil")
		}
		if tryLock(t, s, k, time.Hour) != nil {
			t.Fatal("a second TryLock took a held lock")
		}
		if tryLock(t, s, key(t, "b"), time.Hour) == nil {
			t.Error("the lock of one key holds another")
		}
		if err := l.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := s.WaitUnlock(t.Context(), k); err != nil {
			t.Errorf("WaitUnlock of a released lock = %v", err)
		}
		if tryLock(t, s, k, time.Hour) == nil {
			t.Error("TryLock after Unlock = nil")
		}
	})
	t.Run("WaitUnlock", func(t *testing.T) {
		s, k := newStore(t), key(t, "a")
		if err := s.WaitUnlock(t.Context(), k); err != nil {
			t.Errorf("WaitUnlock of a free key = %v", err)
		}
		l := tryLock(t, s, k, time.Hour)
		done := make(chan error, 1)
		go func() {
			for {
				if err := s.WaitUnlock(t.Context(), k); err != nil {
					done <- err
					return
				}
				l, err := s.TryLock(t.Context(), k, time.Hour)
				if err != nil || l != nil {
					done <- err
					return
				}
			}
		}()
		if err := l.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Errorf("a waiter's WaitUnlock = %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.WaitUnlock(ctx, k); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("WaitUnlock with an ended context = %v, want nil or context.Canceled", err)
		}
	})
	t.Run("LapsedLock", func(t *testing.T) {
		s, k := newStore(t), key(t, "a")
		old := tryLock(t, s, k, lapse)
		var now dedup.Lock
		for now == nil {
			if err := s.WaitUnlock(t.Context(), k); err != nil {
				t.Fatal(err)
			}
			now = tryLock(t, s, k, time.Hour)
		}
		if err := old.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if tryLock(t, s, k, time.Hour) != nil {
			t.Error("the Unlock of a lapsed lock released the lock its key was taken with since")
		}
	})
	t.Run("OneHolder", func(t *testing.T) {
		s, k := newStore(t), key(t, "a")
		const n = 16
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			taken int
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := s.TryLock(t.Context(), k, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if l != nil {
					mu.Lock()
					taken++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if taken != 1 {
			t.Errorf("%d of %d concurrent TryLocks took the lock, want 1", taken, n)
		}
	})
}

// key returns a key of the subtest t.
func key(t testing.TB, name string) string {
	return fmt.Sprintf("deduptest:%s:%s", t.Name(), name)
}

func save(t testing.TB, s dedup.Store, k string, e dedup.Entry, ttl time.Duration) {
	t.Helper()
	if err := s.Save(t.Context(), k, e, ttl); err != nil {
		t.Fatalf("Save: %v", err)
	}
}

func load(t testing.TB, s dedup.Store, k string) dedup.Entry {
	t.Helper()
	e, ok, err := s.Load(t.Context(), k)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v; want the entry saved", ok, err)
	}
	return e
}

func tryLock(t testing.TB, s dedup.Store, k string, hold time.Duration) dedup.Lock {
	t.Helper()
	l, err := s.TryLock(t.Context(), k, hold)
	if err != nil {
		t.Fatalf("TryLock: %v", err)
	}
	return l
}
