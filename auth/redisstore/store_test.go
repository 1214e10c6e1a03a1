//go:build unix

package redisstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	rdb := redistest.Shared(t).Client(t, 0)
	tests := []struct {
		name string
		opt  redisstore.Option
		want string
	}{
		{name: "empty prefix", opt: redisstore.WithPrefix(""), want: "prefix"},
		{name: "prefix with a hash tag", opt: redisstore.WithPrefix("a{b}:"), want: "prefix"},
		{name: "prefix with an opening brace", opt: redisstore.WithPrefix("a{:"), want: "prefix"},
		{name: "prefix with a closing brace", opt: redisstore.WithPrefix("}a:"), want: "prefix"},
		{name: "zero timeout", opt: redisstore.WithTimeout(0), want: "timeout"},
		{name: "nil clock", opt: redisstore.WithClock(nil), want: "clock"},
		{name: "nil logger", opt: redisstore.WithLogger(nil), want: "logger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redisstore.New(rdb, tt.opt)
			if !errors.Is(err, material.ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v; want an ErrInvalidInput naming the %s", err, tt.want)
			}
		})
	}
	if _, err := redisstore.New(nil); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("New(nil) = %v; want ErrInvalidInput", err)
	}
}

func TestSaveLoadCompareAndDelete(t *testing.T) {
	t.Parallel()
	testSaveLoadCompareAndDelete(t, onServer(redistest.Shared(t)))
}

func testSaveLoadCompareAndDelete(t *testing.T, newStore stores) {
	s, rdb := newStore(t)
	ctx := t.Context()
	const key = "officialaccount:token:wx1"
	exp := time.Now().Add(2 * time.Hour).Truncate(time.Millisecond)
	if err := s.Save(ctx, key, auth.Token{Value: "TOKEN-1", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}

	// The key, its value and its TTL, as another program sees them.
	tk := s.TokenKey(key)
	if want := prefix(t) + "{" + key + "}:token"; tk != want {
		t.Errorf("token key %q, want %q", tk, want)
	}
	raw, err := rdb.Get(ctx, tk).Result()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("value %q is not JSON: %v", raw, err)
	}
	if diff := cmp.Diff(map[string]any{"token": "TOKEN-1", "expires_at": exp.UTC().Format(time.RFC3339Nano)}, v); diff != "" {
		t.Errorf("value (-want +got):\n%s", diff)
	}
	if ttl := rdb.PTTL(ctx, tk).Val(); ttl <= 2*time.Hour-time.Minute || ttl > 2*time.Hour {
		t.Errorf("TTL %v, want the token's remaining life, 2h", ttl)
	}

	got, ok, err := s.Load(ctx, key)
	if err != nil || !ok || got.Value != "TOKEN-1" {
		t.Fatalf("Load = %v, %v, %v", got, ok, err)
	}
	// Off by the round trips at most.
	if d := got.ExpiresAt.Sub(exp); d > time.Second || d < -time.Second {
		t.Errorf("Load's expiry is %v off the saved one", d)
	}

	if dropped, err := s.CompareAndDelete(ctx, key, "OTHER"); err != nil || dropped {
		t.Errorf("CompareAndDelete(another token) = %v, %v; want false", dropped, err)
	}
	if dropped, err := s.CompareAndDelete(ctx, key, "TOKEN-1"); err != nil || !dropped {
		t.Errorf("CompareAndDelete(the token) = %v, %v; want true", dropped, err)
	}
	if _, ok, err := s.Load(ctx, key); ok || err != nil {
		t.Errorf("Load after the delete = %v, %v; want nothing", ok, err)
	}
	if dropped, err := s.CompareAndDelete(ctx, key, "TOKEN-1"); err != nil || dropped {
		t.Errorf("CompareAndDelete of a missing key = %v, %v; want false", dropped, err)
	}
}

func TestSaveWithoutExpiryAndExpired(t *testing.T) {
	t.Parallel()
	s, rdb := newStore(t, redistest.Shared(t))
	ctx := t.Context()
	if err := s.Save(ctx, "k", auth.Token{Value: "FOREVER"}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, "k")
	if err != nil || !ok || got != (auth.Token{Value: "FOREVER"}) {
		t.Errorf("Load = %v, %v, %v; want the token with no expiry", got, ok, err)
	}
	if ttl := rdb.PTTL(ctx, s.TokenKey("k")).Val(); ttl <= 23*time.Hour {
		t.Errorf("a token without expiry has TTL %v; want a day", ttl)
	}
	if err := s.Save(ctx, "k", auth.Token{Value: "OLD", ExpiresAt: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, s.TokenKey("k")).Val(); n != 0 {
		t.Errorf("saving an expired token left the key")
	}
}

// TestLoadExpiryFromTTL: a reader's expiry is its clock plus the key's TTL,
// so processes whose clocks disagree agree on how long a token lives.
func TestLoadExpiryFromTTL(t *testing.T) {
	t.Parallel()
	srv := redistest.Shared(t)
	ahead := func() time.Time { return time.Now().Add(3 * time.Hour) }
	w, _ := newStore(t, srv, redisstore.WithClock(ahead))
	r, _ := newStore(t, srv)
	ctx := t.Context()
	if err := w.Save(ctx, "k", auth.Token{Value: "T", ExpiresAt: ahead().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := r.Load(ctx, "k")
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	if left := time.Until(got.ExpiresAt); left < 2*time.Hour-time.Minute || left > 2*time.Hour {
		t.Errorf("a reader 3 h behind the writer sees %v left; want 2h", left)
	}
}

func TestLoadDropsWhatDoesNotDecode(t *testing.T) {
	t.Parallel()
	testLoadDropsWhatDoesNotDecode(t, onServer(redistest.Shared(t)))
}

func testLoadDropsWhatDoesNotDecode(t *testing.T, newStore stores) {
	logger, logs := newLogger()
	s, rdb := newStore(t, redisstore.WithLogger(logger))
	ctx := t.Context()
	values := []struct {
		name string
		put  func(key string) error
	}{
		{name: "not JSON", put: func(k string) error { return rdb.Set(ctx, k, "garbage", time.Hour).Err() }},
		{name: "empty", put: func(k string) error { return rdb.Set(ctx, k, "", time.Hour).Err() }},
		{name: "JSON of something else", put: func(k string) error { return rdb.Set(ctx, k, `{"access_token":"T"}`, time.Hour).Err() }},
		{name: "no token", put: func(k string) error { return rdb.Set(ctx, k, `{"token":""}`, time.Hour).Err() }},
		{name: "trailing data", put: func(k string) error { return rdb.Set(ctx, k, `{"token":"T"} {}`, time.Hour).Err() }},
		{name: "no TTL", put: func(k string) error {
			return rdb.Set(ctx, k, `{"token":"T","expires_at":"2030-01-01T00:00:00Z"}`, 0).Err()
		}},
		{name: "a hash", put: func(k string) error { return rdb.HSet(ctx, k, "token", "T").Err() }},
		{name: "a list", put: func(k string) error { return rdb.RPush(ctx, k, "T").Err() }},
	}
	for i, v := range values {
		key := "k" + string(rune('a'+i))
		if err := v.put(s.TokenKey(key)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Load(ctx, key)
		if err != nil || ok || got != (auth.Token{}) {
			t.Errorf("%s: Load = %v, %v, %v; want nothing", v.name, got, ok, err)
		}
		if n := rdb.Exists(ctx, s.TokenKey(key)).Val(); n != 0 {
			t.Errorf("%s: the value was not deleted", v.name)
		}
	}
	if n := logs.Count("dropped a token value"); n != len(values) {
		t.Errorf("%d warnings about dropped values, want %d:\n%s", n, len(values), logs)
	}
	if strings.Contains(logs.String(), "garbage") {
		t.Errorf("the log holds the value:\n%s", logs)
	}
}
