// Package redisstore is a dedup.Store on Redis: the processes of a fleet
// that upload for one account remember together which media id a content
// already has, and upload a given content once per three days however many
// of them send it, at the same time or not.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	store, err := redisstore.New(rdb)
//	if err != nil { ... }
//	svc, err := dedup.New(client, dedup.WithStore(store))
//
// It takes a redis.UniversalClient: a single node (redis.NewClient),
// Sentinel (redis.NewFailoverClient) and Cluster (redis.NewClusterClient)
// all work, and its tests run on each (one master with one sentinel, a
// Cluster of three nodes); failover and resharding are not tested. It
// follows the conventions of the token store
// (github.com/wxmaterial/wxmaterial/auth/redisstore): the same client, a
// key prefix with a Cluster hash tag, Lua scripts, a timeout on every
// call. What dedup.Service does over it is told in package dedup: a Store
// that fails is logged and bypassed, so Redis down or slow costs duplicate
// uploads, never a failed or hung one.
//
// # Keys
//
// Under a prefix (DefaultPrefix, or WithPrefix), each dedup key (the
// platform, the account, the kind and the content's SHA-256, see package
// dedup) has two Redis keys and a hash tag, so that they live in one
// Cluster slot:
//
//	<prefix>{<key>}:entry  the media id: JSON {"value":..., "created_at":..., "expires_at":...}, with the TTL the Service gives (until the id expires)
//	<prefix>{<key>}:lock   the upload lock: a random owner value, with a TTL
//
// for example
//
//	wxmaterial:dedup:{officialaccount:wx0123456789abcdef:image:9f86d081…}:entry
//
// No key or value holds a secret or file bytes: values are media ids and
// image URLs. A value that does not decode, or a key of another type, is
// deleted and reported as absent, so the Service uploads and replaces it.
// The times in a value are the writer's; the key's TTL, which Redis
// counts, is what makes an entry disappear.
//
// # The lock
//
// TryLock is SET lock owner NX PX ttl, with a random owner per lock; the
// TTL is the Service's hold (dedup.WithLockTTL) plus three times this
// store's timeout (its own round trips under the lock), at most an hour.
// Unlock deletes the lock only if it still holds the owner, and CompareAndDelete deletes an
// entry only if it still holds the media id, both in Lua scripts run with
// EVALSHA, falling back to EVAL. WaitUnlock polls the lock's TTL, every
// few milliseconds at first and then every 50 ms, never past the lock's
// lapse, and returns when the caller's context ends.
//
// A lock key this store never makes (one without a TTL, with a TTL over an
// hour, which no lock it takes has, or of another type) was set by someone
// else with write access to the Redis. TryLock repairs it in its script
// and logs a warning naming the key: a key without a TTL or with a longer
// one gets the lock's TTL (it lapses then), a key of another type is
// deleted and the lock taken. WaitUnlock does not wait for a lock without
// a TTL but pauses before it returns, so that no loop spins.
//
// # Timeouts
//
// Every call to Redis is bounded by the store's timeout (DefaultTimeout, or
// WithTimeout) and by the caller's context, whatever the client's own
// timeouts: a call that outlives them is abandoned to the client, which
// ends it at its read timeout. Give the client ContextTimeoutEnabled so it
// ends such calls at once.
package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/internal/redisbase"
)

// Defaults of a Store.
const (
	// DefaultPrefix starts every key the store writes.
	DefaultPrefix = "wxmaterial:dedup:"
	// DefaultTimeout bounds each call to Redis.
	DefaultTimeout = time.Second
)

// Store is a dedup.Store on Redis. It is safe for concurrent use; give
// every dedup.Service of a process the same one, or one each.
type Store struct {
	c redisbase.Base
}

var _ dedup.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store) error

// WithPrefix sets the prefix of every key the store writes (default
// DefaultPrefix), e.g. to keep two environments apart on one Redis. It must
// not be empty nor contain '{' or '}', which would change the keys' Cluster
// hash tag.
func WithPrefix(p string) Option { return func(s *Store) error { return s.c.SetPrefix(p) } }

// WithTimeout bounds each call to Redis (default DefaultTimeout). An
// upload makes a few calls; with Redis slow, each costs at most this.
func WithTimeout(d time.Duration) Option { return func(s *Store) error { return s.c.SetTimeout(d) } }

// WithLogger makes the store log (warn) the values it drops because they do
// not decode. The default discards. No line holds a value.
func WithLogger(l *slog.Logger) Option { return func(s *Store) error { return s.c.SetLogger(l) } }

// New returns a Store on rdb. It does not contact Redis.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	b, err := redisbase.NewBase("redisstore", rdb, DefaultPrefix, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	s := &Store{c: b}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// EntryKey returns the Redis key that holds the entry of the dedup key
// key, for tools and tests.
func (s *Store) EntryKey(key string) string { return s.c.Key(key, "entry") }

// LockKey returns the Redis key of the upload lock of the dedup key key,
// for tools and tests.
func (s *Store) LockKey(key string) string { return s.c.Key(key, "lock") }

// value is what an entry key holds.
type value struct {
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Load returns the entry saved under key while its TTL lasts. A value that
// does not decode is deleted and reported as absent.
func (s *Store) Load(ctx context.Context, key string) (dedup.Entry, bool, error) {
	var e dedup.Entry
	_, _, ok, err := s.c.Load(ctx, s.EntryKey(key), "an entry", func(raw string, pttl int64) (problem string) {
		e, problem = decode(raw, pttl)
		return problem
	})
	if !ok {
		return dedup.Entry{}, false, err
	}
	return e, true, nil
}

// decode reads an entry key's value and TTL (ms), or says what is wrong.
func decode(raw string, pttl int64) (dedup.Entry, string) {
	v, problem := redisbase.Strict[value](raw, pttl, "an entry")
	switch {
	case problem != "":
		return dedup.Entry{}, problem
	case v.Value == "":
		return dedup.Entry{}, "no media id"
	}
	return dedup.Entry{Value: v.Value, CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt}, ""
}

// Save stores e under key for ttl, replacing whatever was there; a ttl under
// a millisecond (Redis's unit) stores nothing.
func (s *Store) Save(ctx context.Context, key string, e dedup.Entry, ttl time.Duration) error {
	k := s.EntryKey(key)
	if ttl < time.Millisecond {
		return nil
	}
	b, err := json.Marshal(value{Value: e.Value, CreatedAt: e.CreatedAt.UTC(), ExpiresAt: e.ExpiresAt.UTC()})
	if err != nil {
		return fmt.Errorf("redisstore: save %s: %w", k, err)
	}
	_, err = redisbase.Call(ctx, &s.c.Conn, "save", k, func(ctx context.Context) (any, error) {
		return nil, s.c.RDB.Set(ctx, k, b, ttl).Err()
	})
	return err
}

// CompareAndDelete deletes key's entry if its media id is value, in one
// script, and reports whether it did.
func (s *Store) CompareAndDelete(ctx context.Context, key, value string) (bool, error) {
	return s.c.CompareAndDelete(ctx, s.EntryKey(key), "value", value)
}

// TryLock takes the upload lock of key for hold plus three times the
// store's timeout (at most an hour), or returns nil, nil when another holds
// it. A lock key it never makes (no TTL, a longer TTL, another type) is
// repaired on the way: see the package documentation.
func (s *Store) TryLock(ctx context.Context, key string, hold time.Duration) (dedup.Lock, error) {
	k := s.LockKey(key)
	owner, err := redisbase.NewOwner()
	if err != nil {
		return nil, fmt.Errorf("redisstore: lock %s: %w", k, err)
	}
	took, err := s.c.TryLock(ctx, k, "", owner, s.c.LockTTL(hold), 0)
	if err != nil || !took {
		return nil, err
	}
	return &lock{s: s, key: k, owner: owner}, nil
}

// WaitUnlock polls the upload lock of key until it is gone or ctx ends.
func (s *Store) WaitUnlock(ctx context.Context, key string) error {
	return s.c.WaitUnlock(ctx, s.LockKey(key))
}

// lock is an upload lock held by owner.
type lock struct {
	s     *Store
	key   string
	owner string
}

// Unlock releases the lock if it is still this one.
func (l *lock) Unlock(ctx context.Context) error {
	return l.s.c.Unlock(ctx, l.key, l.owner)
}
