package auth

import (
	"context"
	"sync"
)

// Store shares tokens between goroutines and, with a shared backend,
// processes. A Store keeps what it is given: deciding whether a token is
// still good is the Cache's job. Keys never hold a secret (see
// Fetcher.Key); values are access tokens, so a shared backend must be
// protected like the secrets that mint them.
//
// A Cache reads a plain Store on every Token call, so a remote one should
// be fast; a remote Store should rather be a SharedStore (as
// auth/redisstore is), which a Cache reads only to refresh.
type Store interface {
	// Load returns the token saved under key; ok is false when there is none.
	Load(ctx context.Context, key string) (t Token, ok bool, err error)
	// Save stores t under key, replacing whatever was there.
	Save(ctx context.Context, key string, t Token) error
	// CompareAndDelete deletes key only if it still holds a token with this
	// value, and reports whether it did.
	CompareAndDelete(ctx context.Context, key, value string) (bool, error)
}

// MemoryStore is a Store in process memory, safe for concurrent use. It is
// the default Store of a Cache; share one between Caches only to give them
// a common place, since each Cache already has its own.
type MemoryStore struct {
	mu     sync.Mutex
	tokens map[string]Token
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{tokens: make(map[string]Token)}
}

// Load returns the token saved under key. It never fails.
func (s *MemoryStore) Load(_ context.Context, key string) (Token, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	return t, ok, nil
}

// Save stores t under key. It never fails.
func (s *MemoryStore) Save(_ context.Context, key string, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]Token)
	}
	s.tokens[key] = t
	return nil
}

// CompareAndDelete deletes key if it holds a token whose value is value. It
// never fails.
func (s *MemoryStore) CompareAndDelete(_ context.Context, key, value string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[key]; ok && t.Value == value {
		delete(s.tokens, key)
		return true, nil
	}
	return false, nil
}
