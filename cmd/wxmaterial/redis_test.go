//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
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

// TestRedisDown: with Redis gone the run still works (fetching its own
// token, uploading without remembering), and warns on stderr through the
// tool's output rules: "wxmaterial: warning: ..." lines, or with --json
// {"warning": ...} objects (every line of stderr then JSON, -v logs too),
// even with -q. The warnings name the refused connection, at once: a run
// that waited for the stores' timeout would say "no answer within".
func TestRedisDown(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rs := redistest.Start(t, redistest.WithTCP())
	const password = "pa55word-redis-0123"
	url := strings.Replace(rs.URL(0), "redis://", "redis://user:"+password+"@", 1)
	if err := rs.Stop(); err != nil {
		t.Fatal(err)
	}
	name, png := sample(t, material.KindImage)
	file := writeFile(t, name, png)
	for _, cmd := range []struct {
		args  []string
		wants []string // the warnings, by their start
	}{
		{args: []string{"count"}, wants: []string{"auth: the shared token store failed"}},
		{args: []string{"upload", "--once", file}, wants: []string{"dedup: the store failed", "auth: the shared token store failed"}},
	} {
		for _, mode := range [][]string{nil, {"-q"}, {"--json"}, {"--json", "-q"}, {"--json", "-v"}} {
			args := append(append([]string{"--redis", url}, mode...), cmd.args...)
			t.Run(strings.Join(append(mode, cmd.args[0]), " "), func(t *testing.T) {
				t.Parallel()
				r := s.run(t, args...)
				r.ok(t)
				if strings.Contains(r.stderr, password) || strings.Contains(r.stderr, emulator.DemoAppSecret) {
					t.Fatalf("stderr holds the password or the secret:\n%s", r.stderr)
				}
				var warnings []string
				for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
					if slices.Contains(mode, "--json") {
						var obj map[string]any
						if err := json.Unmarshal([]byte(line), &obj); err != nil {
							t.Fatalf("with --json, a line of stderr is not a JSON object: %v\n%s", err, line)
						}
						if w, ok := obj["warning"].(string); ok {
							warnings = append(warnings, fmt.Sprintf("%s: %v", w, obj["error"]))
						} else if _, ok := obj["level"]; ok != slices.Contains(mode, "-v") {
							t.Errorf("a log line with -v %v: %s", slices.Contains(mode, "-v"), line)
						}
						continue
					}
					w, ok := strings.CutPrefix(line, "wxmaterial: warning: ")
					if ok {
						warnings = append(warnings, w)
					} else if !strings.HasPrefix(line, "wxmaterial: ") {
						t.Errorf("a line of stderr that is not the tool's: %s", line)
					}
				}
				if len(warnings) != len(cmd.wants) {
					t.Fatalf("%d warnings, want %d (%q):\n%s", len(warnings), len(cmd.wants), cmd.wants, r.stderr)
				}
				for _, want := range cmd.wants {
					i := slices.IndexFunc(warnings, func(w string) bool { return strings.HasPrefix(w, want) })
					if i < 0 || !strings.Contains(warnings[i], "connect: connection refused") || strings.Contains(warnings[i], "no answer") {
						t.Errorf("no warning %q naming the refused connection:\n%s", want, r.stderr)
					}
				}
			})
		}
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
