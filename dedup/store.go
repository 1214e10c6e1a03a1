package dedup

import (
	"context"
	"sync"
	"time"
)

// Entry is what a Store remembers of one upload.
type Entry struct {
	// Value is the media id of an Upload, or the URL of an UploadImage.
	Value string `json:"value"`
	// CreatedAt is when the platform made the media.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the media id stops working (three days after
	// CreatedAt), or when an image URL is no longer trusted (see
	// WithImageLifetime).
	ExpiresAt time.Time `json:"expires_at"`
}

// Store remembers which media id a content already has, for a Service, and
// lets the processes that share it upload a given content one at a time.
// MemoryStore keeps it in process memory; the Store of package
// github.com/wxmaterial/wxmaterial/dedup/redisstore gives a fleet the same
// semantics on Redis. Keys are built by the Service (see the package
// documentation) and never hold a secret; values are media ids and URLs.
//
// A Store is on the path of every hashed upload. When it fails, the Service
// logs a warning and uploads without it: a Store down costs duplicate
// uploads, never a failed or hung one.
type Store interface {
	// Load returns the entry saved under key, if any and its TTL has not
	// run out.
	Load(ctx context.Context, key string) (e Entry, ok bool, err error)

	// Save stores e under key for ttl (positive), replacing whatever was
	// there.
	Save(ctx context.Context, key string, e Entry, ttl time.Duration) error

	// CompareAndDelete deletes key only if it still holds an entry whose
	// Value is value, and reports whether it did: forgetting a media id the
	// platform rejected never drops a newer one another process saved.
	CompareAndDelete(ctx context.Context, key, value string) (bool, error)

	// TryLock takes the upload lock of key if no one holds it, and returns
	// nil, nil if someone does. hold is how long the caller may upload
	// under the lock; the lock lapses after it (a Store may add the time of
	// its own round trips), so that a holder that dies frees it.
	TryLock(ctx context.Context, key string, hold time.Duration) (Lock, error)

	// WaitUnlock returns nil once the upload lock of key is free: released
	// by its holder, or lapsed. It may return nil early; the caller then
	// looks again. It fails when ctx ends or the Store fails.
	WaitUnlock(ctx context.Context, key string) error
}

// Lock is an upload lock taken with Store.TryLock.
type Lock interface {
	// Unlock releases the lock if it is still this one's (it has not lapsed
	// and been taken by another), and otherwise does nothing.
	Unlock(ctx context.Context) error
}

// MemoryStore is a Store in process memory, safe for concurrent use. It is
// the default Store of a Service; give several Services the same one when
// they may upload for the same account (two wrappers of one client, say),
// so that they share what they remember and their locks.
//
// Entries live until their TTL runs out, on the system clock; a sweep on
// Save drops those that have. Locks lapse after their hold, on the same
// clock.
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]memEntry
	locks   map[string]*memLock
	sweepAt int // sweep when entries grows past this
}

var _ Store = (*MemoryStore)(nil)

type memEntry struct {
	e        Entry
	deadline time.Time
}

type memLock struct {
	s        *MemoryStore
	key      string
	deadline time.Time
	once     sync.Once
	released chan struct{} // closed by Unlock
}

// minSweep is the least number of entries a MemoryStore holds before it
// sweeps.
const minSweep = 64

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{entries: map[string]memEntry{}, locks: map[string]*memLock{}, sweepAt: minSweep}
}

// Load returns the entry under key while its TTL lasts. It never fails.
func (s *MemoryStore) Load(_ context.Context, key string) (Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.entries[key]
	if !ok {
		return Entry{}, false, nil
	}
	if !time.Now().Before(m.deadline) {
		delete(s.entries, key)
		return Entry{}, false, nil
	}
	return m.e, true, nil
}

// Save stores e under key for ttl; a ttl that is not positive stores
// nothing. It never fails.
func (s *MemoryStore) Save(_ context.Context, key string, e Entry, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[key] = memEntry{e: e, deadline: now.Add(ttl)}
	if len(s.entries) > s.sweepAt {
		for k, m := range s.entries {
			if !now.Before(m.deadline) {
				delete(s.entries, k)
			}
		}
		s.sweepAt = max(minSweep, 2*len(s.entries))
	}
	return nil
}

// CompareAndDelete deletes key if its entry's Value is value. It never
// fails.
func (s *MemoryStore) CompareAndDelete(_ context.Context, key, value string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.entries[key]; ok && m.e.Value == value {
		delete(s.entries, key)
		return true, nil
	}
	return false, nil
}

// TryLock takes the lock of key for hold unless another holds it. It never
// fails.
func (s *MemoryStore) TryLock(_ context.Context, key string, hold time.Duration) (Lock, error) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.locks[key]; l != nil && now.Before(l.deadline) {
		return nil, nil
	}
	l := &memLock{s: s, key: key, deadline: now.Add(hold), released: make(chan struct{})}
	s.locks[key] = l
	return l, nil
}

// WaitUnlock waits until the lock of key is released or lapses, or ctx
// ends.
func (s *MemoryStore) WaitUnlock(ctx context.Context, key string) error {
	s.mu.Lock()
	l := s.locks[key]
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	wait := time.Until(l.deadline)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-l.released:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlock releases the lock if it is still the one held for its key.
func (l *memLock) Unlock(context.Context) error {
	l.s.mu.Lock()
	if l.s.locks[l.key] == l {
		delete(l.s.locks, l.key)
	}
	l.s.mu.Unlock()
	l.once.Do(func() { close(l.released) })
	return nil
}
