package auth_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
)

// sharedStore is an auth.SharedStore in memory, for the Cache's side of
// the protocol; auth/redisstore tests it on Redis, across processes. A
// lock never lapses here: a test releases it.
type sharedStore struct {
	*auth.MemoryStore
	loads atomic.Int32
	down  atomic.Bool // every call fails

	mu       sync.Mutex
	owner    int // the lock's holder, 0 when free
	last     int // the last holder
	released chan struct{}
}

func newSharedStore() *sharedStore {
	return &sharedStore{MemoryStore: auth.NewMemoryStore(), released: make(chan struct{})}
}

var _ auth.SharedStore = (*sharedStore)(nil)

func (s *sharedStore) Load(ctx context.Context, key string) (auth.Token, bool, error) {
	s.loads.Add(1)
	if s.down.Load() {
		return auth.Token{}, false, errStore
	}
	return s.MemoryStore.Load(ctx, key)
}

func (s *sharedStore) CompareAndDelete(ctx context.Context, key, value string) (bool, error) {
	if s.down.Load() {
		return false, errStore
	}
	return s.MemoryStore.CompareAndDelete(ctx, key, value)
}

func (s *sharedStore) TryLock(_ context.Context, key string, _ time.Duration) (auth.Lock, error) {
	if s.down.Load() {
		return nil, errStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owner != 0 {
		return nil, nil
	}
	s.last++
	s.owner = s.last
	return &sharedLock{s: s, key: key, id: s.owner}, nil
}

// hold takes the lock for a holder that never comes back.
func (s *sharedStore) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last++
	s.owner = s.last
}

func (s *sharedStore) WaitUnlock(ctx context.Context, _ string) error {
	for {
		s.mu.Lock()
		free, ch := s.owner == 0, s.released
		s.mu.Unlock()
		if free {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type sharedLock struct {
	s   *sharedStore
	key string
	id  int
}

func (l *sharedLock) Save(ctx context.Context, t auth.Token) (bool, error) {
	l.s.mu.Lock()
	mine := l.s.last == l.id
	l.s.mu.Unlock()
	if !mine {
		return false, nil
	}
	return true, l.s.MemoryStore.Save(ctx, l.key, t)
}

func (l *sharedLock) Unlock(context.Context) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.owner == l.id {
		l.s.owner = 0
		close(l.s.released)
		l.s.released = make(chan struct{})
	}
	return nil
}

func TestSharedStoreHotPathNeedsNoStore(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	s := newSharedStore()
	c := auth.NewCache(newPlain(t, srv), auth.WithStore(s), auth.WithClock(clock.Now))
	first := mustToken(t, c)
	loads := s.loads.Load()
	s.down.Store(true) // would fail any call that reached it
	for range 100 {
		if tok := mustToken(t, c); tok != first {
			t.Fatal("the token changed")
		}
	}
	if n := s.loads.Load() - loads; n != 0 {
		t.Errorf("%d loads on the hot path, want 0", n)
	}
	// At the refresh margin the Cache goes to the store again (and, the
	// store being down, fetches on its own).
	clock.Advance(2*time.Hour - 4*time.Minute)
	if tok := mustToken(t, c); tok == first {
		t.Error("no refresh at the margin")
	}
	if n := s.loads.Load() - loads; n == 0 {
		t.Error("the refresh did not look in the store")
	}
}

func TestSharedStoreManyCachesOneFetch(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	s := newSharedStore()
	caches := make([]*auth.Cache, 8)
	for i := range caches {
		caches[i] = auth.NewCache(newPlain(t, srv), auth.WithStore(s), auth.WithClock(clock.Now))
	}
	var wg sync.WaitGroup
	toks := make([]string, len(caches))
	for i, c := range caches {
		wg.Go(func() { toks[i] = mustToken(t, c) })
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatal("the caches hold different tokens")
		}
	}
	if plain, _, _, _ := srv.counts(); plain != 1 {
		t.Errorf("%d fetches, want 1", plain)
	}
	// Each one rejects it; the first compare-and-delete drops it.
	for _, c := range caches {
		if err := c.Invalidate(t.Context(), toks[0]); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range caches {
		wg.Go(func() { toks[i] = mustToken(t, c) })
	}
	wg.Wait()
	if plain, _, _, _ := srv.counts(); plain != 2 {
		t.Errorf("%d fetches after a rejection everywhere, want 2", plain)
	}
}

func TestSharedStoreDownFallsBackAndWarnsOnce(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	s := newSharedStore()
	logger, logs := newLogger()
	c := auth.NewCache(newPlain(t, srv), auth.WithStore(s), auth.WithClock(clock.Now), auth.WithLogger(logger))
	s.down.Store(true)
	for range 3 {
		tok := mustToken(t, c)
		if err := c.Invalidate(t.Context(), tok); err != nil {
			t.Fatalf("Invalidate with the store down = %v; want nil", err)
		}
	}
	if plain, _, _, _ := srv.counts(); plain != 3 {
		t.Errorf("%d fetches, want 3", plain)
	}
	if n := strings.Count(logs.String(), "shared token store failed"); n != 1 {
		t.Errorf("%d warnings within a minute, want 1:\n%s", n, logs)
	}
	clock.Advance(time.Minute)
	mustToken(t, c)
	if n := strings.Count(logs.String(), "shared token store failed"); n != 2 {
		t.Errorf("%d warnings after a minute, want 2", n)
	}
	s.down.Store(false)
	tok := mustToken(t, c)
	if err := c.Invalidate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	mustToken(t, c)
	if !strings.Contains(logs.String(), "answers again") {
		t.Errorf("no word that the store answers again:\n%s", logs)
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Error("the log holds the secret")
	}
}

// TestSharedStoreWaitsForTheHolder: while another holds the lock the Cache
// does not fetch; callers are bounded by their contexts, and a stale token
// is served when the wait outlasts twice the fetch timeout.
func TestSharedStoreWaitsForTheHolder(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	s := newSharedStore()
	c := auth.NewCache(newPlain(t, srv), auth.WithStore(s), auth.WithClock(clock.Now), auth.WithFetchTimeout(50*time.Millisecond))
	first := mustToken(t, c)
	clock.Advance(2*time.Hour - 4*time.Minute) // stale
	s.hold()
	// The wait is bounded by twice the fetch timeout (real time: the
	// store's lock has no clock); the stale token is the fallback.
	if tok := mustToken(t, c); tok != first {
		t.Error("the stale token was not served when the wait ran out")
	}
	if plain, _, _, _ := srv.counts(); plain != 1 {
		t.Errorf("%d fetches while another held the lock, want 1", plain)
	}
	// A caller whose context ends first gets its error.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Token(ctx); err != context.Canceled {
		t.Errorf("Token with a cancelled context = %v", err)
	}
}

// TestSharedStoreLockHeldTooLongFetchesAlone: a Cache with no token to fall
// back on fetches on its own once another has held the lock for twice the
// fetch timeout, warns once a minute, shares nothing while the lock is
// held, and the fleet goes back to the lock once it is free.
func TestSharedStoreLockHeldTooLongFetchesAlone(t *testing.T) {
	t.Parallel()
	clock := newClock()
	srv := newTokenServer(t, clock)
	s := newSharedStore()
	logger, logs := newLogger()
	f := newPlain(t, srv)
	c := auth.NewCache(f, auth.WithStore(s), auth.WithClock(clock.Now), auth.WithFetchTimeout(50*time.Millisecond), auth.WithLogger(logger))
	s.hold() // a holder that never comes back, nor lapses
	tok := mustToken(t, c)
	if plain, _, _, _ := srv.counts(); plain != 1 {
		t.Errorf("%d fetches, want 1", plain)
	}
	if _, ok, _ := s.MemoryStore.Load(t.Context(), f.Key()); ok {
		t.Error("the token fetched without the lock was saved while another held it")
	}
	// Rejected: the next refresh waits again, then fetches again, but does
	// not warn again within the minute.
	if err := c.Invalidate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	second := mustToken(t, c)
	if second == tok {
		t.Error("the rejected token was served again")
	}
	if n := strings.Count(logs.String(), "held the refresh lock too long"); n != 1 {
		t.Errorf("%d warnings within a minute, want 1:\n%s", n, logs)
	}
	clock.Advance(time.Minute)
	if err := c.Invalidate(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	mustToken(t, c)
	if n := strings.Count(logs.String(), "held the refresh lock too long"); n != 2 {
		t.Errorf("%d warnings after a minute, want 2:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Error("the log holds the secret")
	}

	// Freed: a cold Cache takes the lock, fetches and shares its token.
	s.mu.Lock()
	s.owner = 0
	s.mu.Unlock()
	cold := auth.NewCache(newPlain(t, srv), auth.WithStore(s), auth.WithClock(clock.Now), auth.WithFetchTimeout(50*time.Millisecond))
	got := mustToken(t, cold)
	if saved, ok, _ := s.MemoryStore.Load(t.Context(), f.Key()); !ok || saved.Value != got {
		t.Error("a Cache that took the freed lock did not share its token")
	}
	if plain, _, _, _ := srv.counts(); plain != 4 {
		t.Errorf("%d fetches, want 4", plain)
	}
}
