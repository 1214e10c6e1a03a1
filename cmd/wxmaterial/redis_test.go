//go:build unix

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// TestRedisSharesTheFleetToken: with --redis (or $WXMATERIAL_REDIS_URL)
// a run takes the token that the account's servers keep in Redis instead
// of fetching one, and a token a run fetched is there for the servers. With
// the plain token, this is what keeps a run from rotating the token the
// servers use: every fetch of a plain token replaces the one before.
func TestRedisSharesTheFleetToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		flag    string // the tool's token flag
		fetcher func(appID, secret string, opts ...auth.FetcherOption) (auth.Fetcher, error)
		fetches func(emulator.TokenStats) int
	}{
		{name: "stable token", flag: "--stable-token",
			fetcher: func(appID, secret string, opts ...auth.FetcherOption) (auth.Fetcher, error) {
				return auth.NewStable(appID, secret, opts...)
			},
			fetches: func(s emulator.TokenStats) int { return s.Stable }},
		{name: "plain token", flag: "--plain-token",
			fetcher: func(appID, secret string, opts ...auth.FetcherOption) (auth.Fetcher, error) {
				return auth.NewOfficialAccount(appID, secret, opts...)
			},
			fetches: func(s emulator.TokenStats) int { return s.Plain }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			rs := redistest.Start(t, redistest.WithTCP())
			env, flags := s.oa("", "")
			flags = append(flags, tt.flag)
			// A server of the fleet: a Cache over the same Redis, with the
			// default key prefix the tool uses too.
			store, err := redisstore.New(rs.Client(t, 0))
			if err != nil {
				t.Fatal(err)
			}
			f, err := tt.fetcher(emulator.DemoAppID, emulator.DemoAppSecret, auth.WithBaseURL(s.url+emulator.OfficialAccountPrefix))
			if err != nil {
				t.Fatal(err)
			}
			server := auth.NewCache(f, auth.WithStore(store))
			fetches := func() int {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := s.Settle(ctx); err != nil {
					t.Fatal(err)
				}
				return tt.fetches(s.TokenFetches(emulator.DemoAppID))
			}

			// The tool runs first, cold: it fetches and saves.
			cli(t, env, append(flags, "--redis", rs.URL(0), "count")...).ok(t)
			if n := fetches(); n != 1 {
				t.Fatalf("%d token fetches after the first run, want 1", n)
			}
			// The server takes that token from Redis.
			if _, err := server.Token(t.Context()); err != nil {
				t.Fatal(err)
			}
			// More runs, by flag and by environment: no fetch.
			cli(t, env, append(flags, "--redis", rs.URL(0), "count")...).ok(t)
			cli(t, append(env, "WXMATERIAL_REDIS_URL="+rs.URL(0)), append(flags, "count")...).ok(t)
			if n := fetches(); n != 1 {
				t.Errorf("%d token fetches after three runs and a server, want 1", n)
			}
			// Without --redis a run fetches its own.
			cli(t, env, append(flags, "count")...).ok(t)
			if n := fetches(); n != 2 {
				t.Errorf("%d token fetches after a run without Redis, want 2", n)
			}
		})
	}
}

// TestRedisDown: with Redis gone the run still works, fetching its own
// token, and says on stderr that it could not use Redis.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rs := redistest.Start(t)
	url := rs.URL(0)
	if err := rs.Stop(); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, "--redis", url, "count")
	if out := r.ok(t); !strings.Contains(out, "image") {
		t.Errorf("count printed:\n%s", out)
	}
	if !strings.Contains(r.stderr, "shared token store failed") || strings.Contains(r.stderr, emulator.DemoAppSecret) {
		t.Errorf("stderr does not warn about Redis, or holds the secret:\n%s", r.stderr)
	}
}

func TestRedisBadURL(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		name string
		url  string
		want string
	}{
		{name: "another scheme", url: "http://127.0.0.1:6379", want: "--redis"},
		{name: "bad database", url: "redis://user:pa55word-secret@127.0.0.1:6379/x", want: "--redis redis://user:xxxxx@127.0.0.1:6379/x"},
		{name: "not a URL", url: "redis://user:pa55word-secret@[::1", want: "--redis: not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := s.run(t, "--redis", tt.url, "count")
			r.fails(t, exitUsage, tt.want)
			if strings.Contains(r.stderr, "pa55word") {
				t.Errorf("the error holds the password:\n%s", r.stderr)
			}
		})
	}
}
