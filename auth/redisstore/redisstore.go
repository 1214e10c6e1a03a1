// Package redisstore is an auth.SharedStore on Redis: the processes of a
// fleet that use one account share one access token, and one of them
// fetches it when it nears expiry or is rejected while the others wait for
// it.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	store, err := redisstore.New(rdb)
//	if err != nil { ... }
//	f, err := auth.NewOfficialAccount(appID, secret)
//	if err != nil { ... }
//	oa, err := officialaccount.New(appID, "", officialaccount.WithTokenSource(auth.NewCache(f, auth.WithStore(store))))
//
// It takes a redis.UniversalClient: a single node (redis.NewClient),
// Sentinel (redis.NewFailoverClient) and Cluster (redis.NewClusterClient)
// all work, and its tests run on each (one master with one sentinel, a
// Cluster of three nodes); failover and resharding are not tested. What auth.Cache does over it is told at auth.SharedStore: no
// round trip while the token in memory is fresh, one fetch per expiry for
// the whole fleet, and a fetch of its own, never a hang, when Redis is down
// or slow.
//
// # Keys
//
// Under a prefix (DefaultPrefix, or WithPrefix), each Cache key (the
// Fetcher's Key: "officialaccount:token:<appid>",
// "officialaccount:stable_token:<appid>", "work:<corpid>:<hash of the
// agent's secret>") has three Redis keys and a hash tag, so that they live
// in one Cluster slot:
//
//	<prefix>{<key>}:token   the token: JSON {"token":..., "expires_at":...}, with a TTL at its expiry
//	<prefix>{<key>}:lock    the refresh lock: an owner value, with a TTL
//	<prefix>{<key>}:holder  the owner of the last lock taken, so that a holder whose lock lapsed saves nothing
//
// No key holds a secret: a WeCom key holds 16 hex digits of the SHA-256 of
// the agent's secret, one key per agent. The token key's value is an
// access token: protect the Redis like the secrets that mint it.
//
// The expiry a process reads is its own clock plus the key's remaining TTL,
// which Redis counts: the processes' clocks need not agree (the expiry is
// off by the round trips, milliseconds against a margin of minutes). The
// expires_at in the value is the writer's view, for people reading it. A
// value that does not decode, or a key of another type, is deleted and
// reported as absent, so the Cache fetches and replaces it.
//
// # The lock
//
// TryLock is SET lock owner NX PX ttl, with a random owner per lock; the
// TTL is the holder's fetch timeout plus three times this store's timeout
// (its own round trips under the lock), at most an hour. Unlock deletes the lock only if it
// still holds the owner, and a Lock's Save stores the token only if no
// other lock was taken since (the holder key), both in Lua scripts run with
// EVALSHA, falling back to EVAL. WaitUnlock polls the lock's TTL, every
// few milliseconds at first and then every 50 ms, and never past the lock's
// lapse.
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

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/internal/redisbase"
	"github.com/wxmaterial/wxmaterial/material"
)

// Defaults of a Store.
const (
	// DefaultPrefix starts every key the store writes.
	DefaultPrefix = "wxmaterial:auth:"
	// DefaultTimeout bounds each call to Redis.
	DefaultTimeout = time.Second
)

const (
	// noExpiryTTL is the TTL of a token without a known expiry: every key
	// gets one.
	noExpiryTTL = 24 * time.Hour
	// holderTTL is how long the owner of the last lock is remembered:
	// much longer than any holder may work.
	holderTTL = 24 * time.Hour
)

// Store is an auth.SharedStore on Redis. It is safe for concurrent use;
// give every Cache of a process the same one, or one each.
type Store struct {
	c   redisbase.Base
	now func() time.Time
}

var _ auth.SharedStore = (*Store)(nil)

// Option configures a Store.
type Option func(*Store) error

// WithPrefix sets the prefix of every key the store writes (default
// DefaultPrefix), e.g. to keep two environments apart on one Redis. It must
// not be empty nor contain '{' or '}', which would change the keys' Cluster
// hash tag.
func WithPrefix(p string) Option {
	return func(s *Store) error {
		return s.c.SetPrefix(p)
	}
}

// WithTimeout bounds each call to Redis (default DefaultTimeout). Keep it
// well under the Cache's fetch timeout: a refresh makes a few calls.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		return s.c.SetTimeout(d)
	}
}

// WithClock sets the clock that turns a key's TTL into an expiry and back
// (default time.Now). Give the Cache the same clock (auth.WithClock).
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now == nil {
			return fmt.Errorf("redisstore: nil clock: %w", material.ErrInvalidInput)
		}
		s.now = now
		return nil
	}
}

// WithLogger makes the store log (warn) the values it drops because they do
// not decode. The default discards. No line holds a token.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) error {
		return s.c.SetLogger(l)
	}
}

// New returns a Store on rdb. It does not contact Redis.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	b, err := redisbase.NewBase("redisstore", rdb, DefaultPrefix, DefaultTimeout)
	if err != nil {
		return nil, err
	}
	s := &Store{c: b, now: time.Now}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// keys are the Redis keys of one Cache key.
type keys struct{ token, lock, holder string }

func (s *Store) keys(key string) keys {
	return keys{token: s.c.Key(key, "token"), lock: s.c.Key(key, "lock"), holder: s.c.Key(key, "holder")}
}

// TokenKey returns the Redis key that holds the token of the Cache key key,
// for tools and tests.
func (s *Store) TokenKey(key string) string { return s.keys(key).token }

// LockKey returns the Redis key of the refresh lock of the Cache key key,
// for tools and tests.
func (s *Store) LockKey(key string) string { return s.keys(key).lock }

// value is what the token key holds.
type value struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

func encode(t auth.Token) (string, error) {
	b, err := json.Marshal(value{Token: t.Value, ExpiresAt: t.ExpiresAt.UTC()})
	return string(b), err
}

// ttl returns the TTL of t's key at now: its remaining life, or noExpiryTTL
// when its expiry is unknown; ok is false when it has expired.
func ttl(t auth.Token, now time.Time) (time.Duration, bool) {
	if t.ExpiresAt.IsZero() {
		return noExpiryTTL, true
	}
	d := t.ExpiresAt.Sub(now)
	return d, d >= time.Millisecond
}

// Load returns the token saved under key, its expiry on the store's clock
// from the key's TTL. A value that does not decode is deleted and reported
// as absent.
func (s *Store) Load(ctx context.Context, key string) (auth.Token, bool, error) {
	k := s.keys(key)
	// The TTL is measured after now, which errs on the early side.
	now := s.now()
	var t auth.Token
	_, _, ok, err := s.c.Load(ctx, k.token, "a token value", func(raw string, pttl int64) (problem string) {
		t, problem = decode(raw, pttl, now)
		return problem
	})
	if !ok {
		return auth.Token{}, false, err
	}
	return t, true, nil
}

// decode reads a token key's value and TTL (ms), or says what is wrong.
func decode(raw string, pttl int64, now time.Time) (auth.Token, string) {
	v, problem := redisbase.Strict[value](raw, pttl, "a token")
	switch {
	case problem != "":
		return auth.Token{}, problem
	case v.Token == "":
		return auth.Token{}, "no token"
	}
	t := auth.Token{Value: v.Token}
	if !v.ExpiresAt.IsZero() {
		t.ExpiresAt = now.Add(time.Duration(pttl) * time.Millisecond)
	}
	return t, ""
}

// Save stores t under key with a TTL at its expiry, replacing whatever was
// there; an expired t deletes the key.
func (s *Store) Save(ctx context.Context, key string, t auth.Token) error {
	k := s.keys(key)
	raw, err := encode(t)
	if err != nil {
		return fmt.Errorf("redisstore: save %s: %w", k.token, err)
	}
	d, live := ttl(t, s.now())
	_, err = redisbase.Call(ctx, &s.c.Conn, "save", k.token, func(ctx context.Context) (any, error) {
		if !live {
			return nil, s.c.RDB.Del(ctx, k.token).Err()
		}
		return nil, s.c.RDB.Set(ctx, k.token, raw, d).Err()
	})
	return err
}

// CompareAndDelete deletes key's token if it is value, in one script, and
// reports whether it did.
func (s *Store) CompareAndDelete(ctx context.Context, key, value string) (bool, error) {
	return s.c.CompareAndDelete(ctx, s.keys(key).token, "token", value)
}

// TryLock takes the refresh lock of key for hold plus three times the
// store's timeout (at most an hour), or returns nil, nil when another holds
// it. A lock key it never makes (no TTL, a longer TTL, another type) is
// repaired on the way: see the package documentation.
func (s *Store) TryLock(ctx context.Context, key string, hold time.Duration) (auth.Lock, error) {
	k := s.keys(key)
	owner, err := redisbase.NewOwner()
	if err != nil {
		return nil, fmt.Errorf("redisstore: lock %s: %w", k.lock, err)
	}
	took, err := s.c.TryLock(ctx, k.lock, k.holder, owner, s.c.LockTTL(hold), holderTTL)
	if err != nil || !took {
		return nil, err
	}
	return &lock{s: s, k: k, owner: owner}, nil
}

// WaitUnlock polls the lock of key until it is gone, every few ms at
// first, then every 50 ms, never past the lock's TTL.
func (s *Store) WaitUnlock(ctx context.Context, key string) error {
	return s.c.WaitUnlock(ctx, s.keys(key).lock)
}

// lock is a refresh lock held by owner.
type lock struct {
	s     *Store
	k     keys
	owner string
}

// saveScript sets the token (KEYS[1]) to ARGV[2] for ARGV[3] ms if ARGV[1]
// took the last lock (KEYS[2]).
var saveScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// Save stores t if no other lock was taken since this one.
func (l *lock) Save(ctx context.Context, t auth.Token) (bool, error) {
	raw, err := encode(t)
	if err != nil {
		return false, fmt.Errorf("redisstore: save %s: %w", l.k.token, err)
	}
	d, live := ttl(t, l.s.now())
	if !live {
		return false, nil
	}
	n, err := redisbase.Call(ctx, &l.s.c.Conn, "save", l.k.token, func(ctx context.Context) (int64, error) {
		return saveScript.Run(ctx, l.s.c.RDB, []string{l.k.token, l.k.holder}, l.owner, raw, d.Milliseconds()).Int64()
	})
	return n == 1, err
}

// Unlock releases the lock if it is still this one.
func (l *lock) Unlock(ctx context.Context) error {
	return l.s.c.Unlock(ctx, l.k.lock, l.owner)
}
