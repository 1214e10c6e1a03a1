// Package redisbase is what the project's stores on Redis share
// (auth/redisstore, dedup/redisstore): every call bounded by a timeout and
// by the caller's context, values that do not decode dropped and reported
// as absent, a compare-and-delete of a JSON value, and a lock with a random
// owner and a TTL, released by its owner only and waited for by polling its
// TTL. The stores keep their own keys, values and lock semantics.
package redisbase

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// The polling of WaitUnlock: the first interval, doubled up to the last.
const (
	pollFirst = 2 * time.Millisecond
	pollMax   = 50 * time.Millisecond
)

// Conn is a store's way to Redis.
type Conn struct {
	RDB     redis.UniversalClient
	Name    string        // the store's package, which starts its errors and log lines: "redisstore"
	Timeout time.Duration // bounds each call
	Log     *slog.Logger  // warns of the values dropped
}

// Base is what a store holds and its options set: the connection and the
// key prefix.
type Base struct {
	Conn
	Prefix string
}

// NewBase returns the Base of the store name on rdb, with its defaults.
func NewBase(name string, rdb redis.UniversalClient, prefix string, timeout time.Duration) (Base, error) {
	if rdb == nil {
		return Base{}, fmt.Errorf("%s: nil Redis client: %w", name, material.ErrInvalidInput)
	}
	return Base{Conn: Conn{RDB: rdb, Name: name, Timeout: timeout, Log: slog.New(slog.DiscardHandler)}, Prefix: prefix}, nil
}

// SetPrefix sets the key prefix: not empty, and without '{' or '}', which
// would change the keys' Cluster hash tag.
func (b *Base) SetPrefix(p string) error {
	if p == "" || strings.ContainsAny(p, "{}") {
		return fmt.Errorf("%s: prefix %q: want a non-empty prefix without '{' or '}': %w", b.Name, p, material.ErrInvalidInput)
	}
	b.Prefix = p
	return nil
}

// SetTimeout sets the timeout of each call: positive.
func (b *Base) SetTimeout(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s: timeout %v: want a positive duration: %w", b.Name, d, material.ErrInvalidInput)
	}
	b.Timeout = d
	return nil
}

// SetLogger sets the logger of the values dropped: not nil.
func (b *Base) SetLogger(l *slog.Logger) error {
	if l == nil {
		return fmt.Errorf("%s: nil logger: %w", b.Name, material.ErrInvalidInput)
	}
	b.Log = l
	return nil
}

// Key returns the Redis key of what (e.g. "lock") for the store's key:
// <prefix>{<key>}:<what>. The braces are the Cluster hash tag, which puts
// every Redis key of one store key in one slot.
func (b *Base) Key(key, what string) string {
	return b.Prefix + "{" + key + "}:" + what
}

// Call runs f on a context bounded by c's timeout and returns when f does
// or that context ends, whichever is first: a call the client does not cut
// short is left to end on its own. Its errors name c, op and key, and hold
// no secret. A call the timeout ended says "no answer within" the timeout;
// any other failure is the client's error, such as a refused connection.
//
// A go-redis client retries a call that could not connect (MaxRetries,
// DialerRetries), with backoff: against a Redis that refuses connections,
// such a client keeps trying until the timeout ends the call, which then
// says "no answer". A client with MaxRetries -1 and DialerRetries 1 fails
// at the first refusal, with the refusal.
func Call[T any](ctx context.Context, c *Conn, op, key string, f func(ctx context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	parent, start := ctx, time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	// Whether the store's timeout, not the caller's deadline, bounds the
	// call.
	own := true
	if d, ok := parent.Deadline(); ok && !d.After(start.Add(c.Timeout)) {
		own = false
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		done <- result{v, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		select {
		case r = <-done: // it ended at the same time
		default:
			r.err = ctx.Err()
		}
	}
	if r.err != nil && parent.Err() == nil && timedOut(r.err) && (ctx.Err() != nil || own && time.Since(start) >= c.Timeout) {
		// The store's timeout ended it: the client's error is the context's
		// or, with ContextTimeoutEnabled, an I/O timeout at the context's
		// deadline (which can come just before the context says it ended).
		// Any other error is the client's own, even when it came as the
		// timeout ended: a refused connection is reported as such.
		r.err = fmt.Errorf("no answer within %v: %w", c.Timeout, context.DeadlineExceeded)
	}
	if r.err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %s %s: %w", c.Name, op, key, redact.Error(r.err))
	}
	return r.v, nil
}

// timedOut reports whether err is a context's end or an I/O timeout.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &ne) && ne.Timeout()
}

// loadScript returns a key's value and TTL in ms; it deletes a key of
// another type and returns wrongType for its TTL.
var loadScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1])
t = t.ok or t
if t == 'none' then return false end
if t ~= 'string' then
	redis.call('DEL', KEYS[1])
	return {'', -3}
end
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`)

// wrongType is the TTL loadScript returns for a key of another type.
const wrongType = -3

// dropScript deletes a key if it still holds ARGV[1], a value that did not
// decode.
var dropScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Load returns the string at key and its TTL in ms (-1 when it has none),
// or ok false when there is none. problem judges what it read, and says
// what is wrong ("" when nothing is): such a value, and a key of another
// type, is deleted (unless it changed meanwhile), logged as what (e.g. "a
// token value") without its bytes, and reported as absent.
func (c *Conn) Load(ctx context.Context, key, what string, problem func(raw string, pttl int64) string) (raw string, pttl int64, ok bool, err error) {
	reply, err := Call(ctx, c, "load", key, func(ctx context.Context) ([]any, error) {
		v, err := loadScript.Run(ctx, c.RDB, []string{key}).Result()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r, ok := v.([]any)
		if !ok || len(r) != 2 {
			return nil, fmt.Errorf("unexpected reply of type %T", v)
		}
		return r, nil
	})
	if err != nil || reply == nil {
		return "", 0, false, err
	}
	raw, _ = reply[0].(string)
	pttl, _ = reply[1].(int64)
	var p string
	if pttl == wrongType {
		p = "a key of another type (deleted)"
	} else if p = problem(raw, pttl); p == "" {
		return raw, pttl, true, nil
	}
	// Never trusted: drop it (unless it changed meanwhile) so that the
	// store's user makes a new one.
	if pttl != wrongType {
		_, err = Call(ctx, c, "drop", key, func(ctx context.Context) (any, error) {
			return nil, dropScript.Run(ctx, c.RDB, []string{key}, raw).Err()
		})
	}
	c.Log.LogAttrs(ctx, slog.LevelWarn, c.Name+": dropped "+what+" that does not decode",
		slog.String("key", key), slog.String("problem", p), slog.Int("bytes", len(raw)), slog.Bool("deleted", err == nil))
	return "", 0, false, err
}

// casScript deletes KEYS[1] if it holds a JSON object whose field ARGV[2]
// is ARGV[1].
var casScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1])
t = t.ok or t
if t ~= 'string' then return 0 end
local ok, v = pcall(cjson.decode, redis.call('GET', KEYS[1]))
if ok and type(v) == 'table' and v[ARGV[2]] == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// CompareAndDelete deletes key if it holds a JSON object whose field is
// value, in one script, and reports whether it did.
func (c *Conn) CompareAndDelete(ctx context.Context, key, field, value string) (bool, error) {
	n, err := Call(ctx, c, "compare-and-delete", key, func(ctx context.Context) (int64, error) {
		return casScript.Run(ctx, c.RDB, []string{key}, value, field).Int64()
	})
	return n == 1, err
}

// MaxLockTTL is the longest TTL of a lock the stores take, whatever the
// hold asked for: a lock key with a longer TTL (or none, or of another
// type) was not made by them, and TryLock repairs it.
const MaxLockTTL = time.Hour

// LockTTL is the TTL of a lock held for hold: hold plus three times the
// timeout, the holder's own round trips under the lock, and at most
// MaxLockTTL.
func (c *Conn) LockTTL(hold time.Duration) time.Duration {
	return min(max(hold, 0)+3*c.Timeout, MaxLockTTL)
}

// lockScript takes the lock (KEYS[1]) for ARGV[1] with a TTL of ARGV[2]
// ms and, when KEYS[2] is given, records ARGV[1] there as the last holder
// for ARGV[3] ms; it returns 1. When the lock is held, it returns 0, after
// repairing a lock key the stores never make: one without a TTL, or with a
// TTL over ARGV[4] ms (MaxLockTTL), gets a TTL of ARGV[2] ms (returned as
// -1); one of another type is deleted and the lock taken (returned as 2).
var lockScript = redis.NewScript(`
local function take()
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	if #KEYS > 1 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3]) end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	if #KEYS > 1 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3]) end
	return 1
end
local t = redis.call('TYPE', KEYS[1])
t = t.ok or t
if t ~= 'string' then
	redis.call('DEL', KEYS[1])
	take()
	return 2
end
local p = redis.call('PTTL', KEYS[1])
if p == -1 or p > tonumber(ARGV[4]) then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return -1
end
return 0
`)

// TryLock takes the lock at key for owner with a TTL of ttl and, when
// holder is not empty, records owner at holder as the last holder for
// holderTTL, in one script; it reports whether it took the lock. A lock
// key the stores never make (no TTL, a TTL over MaxLockTTL, another type)
// is repaired on the way and logged (warn): given a TTL of ttl, or
// deleted and taken.
func (c *Conn) TryLock(ctx context.Context, key, holder, owner string, ttl, holderTTL time.Duration) (bool, error) {
	keys := []string{key}
	if holder != "" {
		keys = append(keys, holder)
	}
	n, err := Call(ctx, c, "lock", key, func(ctx context.Context) (int64, error) {
		return lockScript.Run(ctx, c.RDB, keys, owner, ttl.Milliseconds(), holderTTL.Milliseconds(), MaxLockTTL.Milliseconds()).Int64()
	})
	if err != nil {
		return false, err
	}
	switch n {
	case -1:
		c.Log.LogAttrs(ctx, slog.LevelWarn, c.Name+": a lock without a TTL, or with one over the longest a store takes, was not made by this store: its TTL is now the lock's",
			slog.String("key", key), slog.Duration("ttl", ttl))
	case 2:
		c.Log.LogAttrs(ctx, slog.LevelWarn, c.Name+": a lock key of another type was not made by this store: deleted, and the lock taken", slog.String("key", key))
	}
	return n == 1 || n == 2, nil
}

// NewOwner returns a random owner value for a lock.
func NewOwner() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// unlockScript deletes the lock if it still holds ARGV[1].
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Unlock deletes the lock at key if it still holds owner: a holder whose
// lock lapsed and was taken by another frees nothing.
func (c *Conn) Unlock(ctx context.Context, key, owner string) error {
	_, err := Call(ctx, c, "unlock", key, func(ctx context.Context) (any, error) {
		return nil, unlockScript.Run(ctx, c.RDB, []string{key}, owner).Err()
	})
	return err
}

// WaitUnlock polls the lock at key until it is gone, every few ms at
// first, then every 50 ms, never past the lock's TTL, and fails when ctx
// ends or a call fails. A lock without a TTL, which the stores never make
// (TryLock repairs it), is not waited for, but returns only after a pause,
// so that a caller's loop of TryLock and WaitUnlock never spins.
func (c *Conn) WaitUnlock(ctx context.Context, key string) error {
	interval := pollFirst
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		left, err := Call(ctx, c, "wait", key, func(ctx context.Context) (time.Duration, error) {
			return c.RDB.PTTL(ctx, key).Result()
		})
		if err != nil {
			return err
		}
		// PTTL is -2 (ns, as go-redis reports it) when there is no key, -1
		// when the key has no TTL.
		noTTL := left == -1
		switch {
		case noTTL:
			left, interval = pollMax, pollMax
		case left <= 0:
			return nil
		}
		timer.Reset(min(interval, left))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return fmt.Errorf("%s: wait %s: %w", c.Name, key, ctx.Err())
		}
		if noTTL {
			return nil
		}
		interval = min(2*interval, pollMax)
	}
}

// Strict decodes a stored value into a T: one JSON object of T's fields and
// no other, in a key with a TTL (pttl, in ms, as PTTL answers). Otherwise it
// returns what is wrong, for Load's warning: "empty value", "not the JSON of
// " + what, "no TTL". A value is never trusted beyond that: the stores check
// their own required fields after it.
func Strict[T any](raw string, pttl int64, what string) (T, string) {
	var v T
	if raw == "" {
		return v, "empty value"
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&v) != nil || dec.More() {
		var zero T
		return zero, "not the JSON of " + what
	}
	if pttl <= 0 {
		return v, "no TTL"
	}
	return v, ""
}
