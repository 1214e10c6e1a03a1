//go:build unix

package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/deduptest"
	"github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestConformance runs the Store suite: the Stores of one subtest share a
// prefix, each with a Redis client of its own, as the processes of a fleet
// would.
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	deduptest.RunStore(t, func(t testing.TB) dedup.Store {
		s, _ := newStore(t, srv)
		return s
	})
}

// TestNewRefusesBadOptions: internal/redisbase checks the values; the
// store passes its errors on.
func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	rdb := redistest.Shared(t).Client(t, 0)
	for i, newStore := range []func() (*redisstore.Store, error){
		func() (*redisstore.Store, error) { return redisstore.New(nil) },
		func() (*redisstore.Store, error) { return redisstore.New(rdb, redisstore.WithPrefix("")) },
		func() (*redisstore.Store, error) { return redisstore.New(rdb, redisstore.WithPrefix("a{b}:")) },
		func() (*redisstore.Store, error) { return redisstore.New(rdb, redisstore.WithTimeout(0)) },
		func() (*redisstore.Store, error) { return redisstore.New(rdb, redisstore.WithLogger(nil)) },
	} {
		if s, err := newStore(); !errors.Is(err, material.ErrInvalidInput) || s != nil {
			t.Errorf("New %d = %v, %v; want ErrInvalidInput", i, s, err)
		}
	}
}

// TestKeysAndValues: the keys, values and TTLs as another program (or a
// person with redis-cli) sees them.
func TestKeysAndValues(t *testing.T) {
	t.Parallel()
	const key = "officialaccount:wx0123456789abcdef:image:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	s, rdb := newStore(t, redistest.Shared(t))
	ek := s.EntryKey(key)
	for got, want := range map[string]string{ek: "entry", s.LockKey(key): "lock"} {
		if want = redistest.Prefix(t) + "{" + key + "}:" + want; got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
	ctx := t.Context()
	created := time.Date(2025, 6, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	e := dedup.Entry{Value: "MEDIA-1", CreatedAt: created, ExpiresAt: created.Add(material.TemporaryLifetime)}
	if err := s.Save(ctx, key, e, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	raw, err := rdb.Get(ctx, ek).Result()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("value %q is not JSON: %v", raw, err)
	}
	want := map[string]any{"value": "MEDIA-1", "created_at": "2025-06-02T01:00:00Z", "expires_at": "2025-06-05T01:00:00Z"}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("value (-want +got):\n%s", diff)
	}
	if ttl := rdb.PTTL(ctx, ek).Val(); ttl <= 2*time.Hour-time.Minute || ttl > 2*time.Hour {
		t.Errorf("TTL %v, want the one given, 2h", ttl)
	}
	got, ok, err := s.Load(ctx, key)
	if err != nil || !ok || got.Value != e.Value || !got.CreatedAt.Equal(e.CreatedAt) || !got.ExpiresAt.Equal(e.ExpiresAt) {
		t.Errorf("Load = %+v, %v, %v; want %+v", got, ok, err, e)
	}

	// A lock: the random owner of each, its TTL the hold plus three times
	// the store's timeout (300 ms).
	l, err := s.TryLock(ctx, key, 10*time.Second)
	if err != nil || l == nil {
		t.Fatalf("TryLock = %v, %v", l, err)
	}
	owner := rdb.Get(ctx, s.LockKey(key)).Val()
	if len(owner) != 32 {
		t.Errorf("lock owner %q, want 32 hex digits", owner)
	}
	if ttl := rdb.PTTL(ctx, s.LockKey(key)).Val(); ttl <= 10*time.Second || ttl > 10900*time.Millisecond {
		t.Errorf("lock TTL %v, want 10.9s", ttl)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	l2, err := s.TryLock(ctx, key, time.Second)
	if err != nil || l2 == nil {
		t.Fatalf("TryLock after Unlock = %v, %v", l2, err)
	}
	if other := rdb.Get(ctx, s.LockKey(key)).Val(); other == owner {
		t.Error("two locks have the same owner")
	}
}

// TestSaveShortTTL: a TTL under Redis's millisecond stores nothing, as a
// non-positive one does.
func TestSaveShortTTL(t *testing.T) {
	t.Parallel()
	s, rdb := newStore(t, redistest.Shared(t))
	ctx := t.Context()
	for _, ttl := range []time.Duration{-time.Second, 0, time.Microsecond} {
		if err := s.Save(ctx, "k", dedup.Entry{Value: "M"}, ttl); err != nil {
			t.Fatalf("Save with TTL %v: %v", ttl, err)
		}
		if n := rdb.Exists(ctx, s.EntryKey("k")).Val(); n != 0 {
			t.Errorf("Save with TTL %v stored the entry", ttl)
		}
	}
}

// TestLoadDropsWhatDoesNotDecode: a value that is not an entry (another
// program's, a token's, a damaged one) or a key of another type is read as
// absent and deleted, so the Service uploads and replaces it; the warning
// names the problem, never the value.
func TestLoadDropsWhatDoesNotDecode(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	tests := []struct {
		name, value string // set with a TTL of an hour, unless noTTL
		noTTL       bool
		hash        bool // a hash instead of a string
		problem     string
	}{
		{name: "not JSON", value: "garbage", problem: "not the JSON of an entry"},
		{name: "empty", value: "", problem: "empty value"},
		{name: "another program's JSON", value: `{"media_id":"M"}`, problem: "not the JSON of an entry"},
		{name: "a token's JSON", value: `{"token":"T","expires_at":"2030-01-01T00:00:00Z"}`, problem: "not the JSON of an entry"},
		{name: "no media id", value: `{"value":"","expires_at":"2030-01-01T00:00:00Z"}`, problem: "no media id"},
		{name: "a bad time", value: `{"value":"M","expires_at":"soon"}`, problem: "not the JSON of an entry"},
		{name: "two values", value: `{"value":"M"} {"value":"N"}`, problem: "not the JSON of an entry"},
		{name: "no TTL", value: `{"value":"M","expires_at":"2030-01-01T00:00:00Z"}`, noTTL: true, problem: "no TTL"},
		{name: "a hash", hash: true, problem: "a key of another type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := fleettest.NewLogger()
			s, rdb := newStore(t, srv, redisstore.WithLogger(logger))
			ctx := t.Context()
			k := s.EntryKey("k")
			var err error
			switch {
			case tt.hash:
				err = rdb.HSet(ctx, k, "value", "M").Err()
			case tt.noTTL:
				err = rdb.Set(ctx, k, tt.value, 0).Err()
			default:
				err = rdb.Set(ctx, k, tt.value, time.Hour).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Load(ctx, "k"); err != nil || ok || got != (dedup.Entry{}) {
				t.Errorf("Load = %+v, %v, %v; want nothing", got, ok, err)
			}
			if rdb.Exists(ctx, k).Val() != 0 {
				t.Error("the value was not deleted")
			}
			log := logs.String()
			if logs.Count("dropped an entry that does not decode") != 1 || !strings.Contains(log, tt.problem) {
				t.Errorf("the log does not warn once of %q:\n%s", tt.problem, log)
			}
			if tt.value != "" && strings.Contains(log, tt.value) {
				t.Errorf("the log holds the value:\n%s", log)
			}
		})
	}
}

// TestCompareAndDeleteKeepsOthers: only an entry whose media id is the one
// given goes; a value that is not an entry, or a key of another type,
// stays.
func TestCompareAndDeleteKeepsOthers(t *testing.T) {
	t.Parallel()
	s, rdb := newStore(t, redistest.Shared(t))
	ctx := t.Context()
	tests := []struct {
		name    string
		put     func(k string) error
		value   string
		deleted bool
	}{
		{name: "its id", put: func(k string) error { return s.Save(ctx, "x", dedup.Entry{Value: "M"}, time.Hour) }, value: "M", deleted: true},
		{name: "another id", put: func(k string) error { return s.Save(ctx, "x", dedup.Entry{Value: "N"}, time.Hour) }, value: "M"},
		{name: "a token's JSON with that value", put: func(k string) error { return rdb.Set(ctx, k, `{"token":"M"}`, time.Hour).Err() }, value: "M"},
		{name: "not JSON", put: func(k string) error { return rdb.Set(ctx, k, "M", time.Hour).Err() }, value: "M"},
		{name: "a hash", put: func(k string) error { return rdb.HSet(ctx, k, "value", "M").Err() }, value: "M"},
	}
	for _, tt := range tests {
		k := s.EntryKey("x")
		rdb.Del(ctx, k)
		if err := tt.put(k); err != nil {
			t.Fatal(err)
		}
		deleted, err := s.CompareAndDelete(ctx, "x", tt.value)
		if err != nil || deleted != tt.deleted {
			t.Errorf("%s: CompareAndDelete = %v, %v; want %v", tt.name, deleted, err, tt.deleted)
		}
		if n := rdb.Exists(ctx, k).Val(); (n == 0) != tt.deleted {
			t.Errorf("%s: the key exists: %v", tt.name, n == 1)
		}
	}
}

// TestRedisDownCallsFail: with Redis stopped every call fails at once,
// naming the key, and with Redis hung (paused) within the store's timeout
// or the caller's deadline, whichever comes first.
func TestRedisDownCallsFail(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t) // its own: the test stops it
	s, _ := newStore(t, srv, redisstore.WithTimeout(100*time.Millisecond))
	slow, _ := newStore(t, srv, redisstore.WithTimeout(time.Minute))
	calls := []struct {
		name string
		call func(ctx context.Context, s *redisstore.Store) error
	}{
		{name: "load", call: func(ctx context.Context, s *redisstore.Store) error { _, _, err := s.Load(ctx, "k"); return err }},
		{name: "save", call: func(ctx context.Context, s *redisstore.Store) error {
			return s.Save(ctx, "k", dedup.Entry{Value: "M"}, time.Hour)
		}},
		{name: "compare-and-delete", call: func(ctx context.Context, s *redisstore.Store) error {
			_, err := s.CompareAndDelete(ctx, "k", "M")
			return err
		}},
		{name: "lock", call: func(ctx context.Context, s *redisstore.Store) error {
			_, err := s.TryLock(ctx, "k", time.Second)
			return err
		}},
		{name: "wait", call: func(ctx context.Context, s *redisstore.Store) error { return s.WaitUnlock(ctx, "k") }},
	}
	check := func(state string, s *redisstore.Store, ctx context.Context, want error) {
		t.Helper()
		for _, c := range calls {
			err := c.call(ctx, s)
			if err == nil || !strings.Contains(err.Error(), "redisstore: "+c.name+" ") || !strings.Contains(err.Error(), "{k}") {
				t.Errorf("%s: %s = %v; want an error naming the call and the key", state, c.name, err)
			}
			if want != nil && !errors.Is(err, want) {
				t.Errorf("%s: %s = %v; want %v", state, c.name, err, want)
			}
		}
	}

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	check("paused", s, t.Context(), context.DeadlineExceeded) // the store's 100 ms
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	check("paused, a caller's deadline shorter than the store's timeout", slow, ctx, context.DeadlineExceeded)
	cancel()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	check("stopped", s, t.Context(), nil)
}
