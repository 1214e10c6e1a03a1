//go:build unix

package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// A fleet test re-runs this test binary as child processes; TestMain sees
// envChild and runs runChild instead of the tests. The other variables
// configure the child.
const (
	envChild        = "WXMATERIAL_TEST_FLEET_CHILD" // the role: "serve" or "hold"
	envRedis        = "WXMATERIAL_TEST_FLEET_REDIS" // the Redis URL
	envBase         = "WXMATERIAL_TEST_FLEET_BASE"  // the emulator's Official Account base URL
	envPrefix       = "WXMATERIAL_TEST_FLEET_PREFIX"
	envSkew         = "WXMATERIAL_TEST_FLEET_SKEW"          // added to the child's clock
	envFetchTimeout = "WXMATERIAL_TEST_FLEET_FETCH_TIMEOUT" // the Cache's
)

// childStoreTimeout is the children's store timeout: short, so that a
// stopped Redis costs little.
const childStoreTimeout = 200 * time.Millisecond

// runChild is a process of the fleet. A "serve" child builds a Cache of the
// plain token over Redis, says "ready", then answers each line of stdin
// with one line: "call" makes a business call as a client does
// (invalidating and replaying once on a rejected token), "ping" pings
// Redis. A "hold" child takes the refresh lock with a fetch that never
// ends, says "fetching", and waits to be killed.
func runChild() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	opt, err := redis.ParseURL(os.Getenv(envRedis))
	if err != nil {
		return fail(err)
	}
	opt.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	skew, err := time.ParseDuration(os.Getenv(envSkew))
	if err != nil {
		return fail(err)
	}
	fetchTimeout, err := time.ParseDuration(os.Getenv(envFetchTimeout))
	if err != nil {
		return fail(err)
	}
	now := func() time.Time { return time.Now().Add(skew) }
	store, err := redisstore.New(rdb, redisstore.WithPrefix(os.Getenv(envPrefix)), redisstore.WithTimeout(childStoreTimeout), redisstore.WithClock(now))
	if err != nil {
		return fail(err)
	}
	base := os.Getenv(envBase)
	f, err := auth.NewOfficialAccount(testAppID, testSecret, auth.WithBaseURL(base), auth.WithFetcherClock(now))
	if err != nil {
		return fail(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := []auth.CacheOption{auth.WithStore(store), auth.WithClock(now), auth.WithFetchTimeout(fetchTimeout), auth.WithLogger(logger)}
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}

	if os.Getenv(envChild) == "hold" {
		hung := auth.FetcherFunc{StoreKey: f.Key(), FetchFunc: func(context.Context, string) (auth.Token, error) {
			say("fetching")
			io.Copy(io.Discard, os.Stdin) // hang: the test kills the process
			return auth.Token{}, errors.New("stdin closed before the kill")
		}}
		_, err := auth.NewCache(hung, opts...).Token(context.Background())
		return fail(err)
	}

	c := auth.NewCache(f, opts...)
	say("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		switch in.Text() {
		case "call":
			if err := clientCall(ctx, c, base); err != nil {
				say("err %v", err)
			} else {
				say("ok")
			}
		case "ping":
			if err := rdb.Ping(ctx).Err(); err != nil {
				say("err %v", err)
			} else {
				say("ok")
			}
		default:
			say("err unknown command %q", in.Text())
		}
		cancel()
	}
	return 0
}

// clientCall makes a business call as the clients do: on a rejected token
// it invalidates it and replays once.
func clientCall(ctx context.Context, ts auth.TokenSource, base string) error {
	for attempt := 0; ; attempt++ {
		tok, err := ts.Token(ctx)
		if err != nil {
			return err
		}
		code, err := businessCall(ctx, base, tok)
		switch {
		case err != nil:
			return err
		case code == 0:
			return nil
		case attempt == 0 && (code == emulator.CodeOAInvalidToken || code == 40014 || code == emulator.CodeRevokedToken):
			if err := ts.Invalidate(ctx, tok); err != nil {
				return err
			}
		default:
			return fmt.Errorf("errcode %d (attempt %d)", code, attempt+1)
		}
	}
}

// child is a running child process.
type child = fleettest.Proc

// startChild starts a child of role with the fleet's environment.
func startChild(t *testing.T, role string, env ...string) *child {
	t.Helper()
	return fleettest.Start(t, 1, append([]string{envChild + "=" + role}, env...)...)[0]
}

// fleet is the serving children of a test.
type fleet []*child

// startFleet starts one serving child per skew and waits until each is
// ready.
func startFleet(t *testing.T, srv *redistest.Server, p *platform, skews []time.Duration) fleet {
	t.Helper()
	fl := make(fleet, len(skews))
	for i, skew := range skews {
		fl[i] = startChild(t, "serve",
			envRedis+"="+srv.URL(0), envBase+"="+p.base, envPrefix+"="+prefix(t),
			envSkew+"="+skew.String(), envFetchTimeout+"=10s")
	}
	for _, c := range fl {
		if line := c.Next(t); line != "ready" {
			t.Fatalf("child said %q, want ready", line)
		}
	}
	return fl
}

// all sends cmd to every child at once and checks that each answers ok.
func (fl fleet) all(t *testing.T, cmd string) {
	t.Helper()
	for _, c := range fl {
		c.Send(t, cmd)
	}
	for i, c := range fl {
		if line := c.Next(t); line != "ok" {
			t.Errorf("child %d answered %s: %q", i, cmd, line)
		}
	}
}

// oneByOne sends cmd to each child in turn, waiting for its answer.
func (fl fleet) oneByOne(t *testing.T, cmd string) {
	t.Helper()
	for i, c := range fl {
		c.Send(t, cmd)
		if line := c.Next(t); line != "ok" {
			t.Errorf("child %d answered %s: %q", i, cmd, line)
		}
	}
}

func (fl fleet) stderr() string {
	var b strings.Builder
	for _, c := range fl {
		b.WriteString(c.Stderr.String())
	}
	return b.String()
}

// TestFleetEightProcesses: eight processes, each with its own Cache of the
// plain token over one Redis, against one emulator.
func TestFleetEightProcesses(t *testing.T) {
	t.Parallel()
	p := newPlatform(t)
	srv := redistest.Start(t) // its own: the test stops it
	fl := startFleet(t, srv, p, make([]time.Duration, 8))
	want := func(n int, when string) {
		t.Helper()
		if got := p.fetches(t); got != n {
			t.Fatalf("%s: %d token fetches in all, want %d", when, got, n)
		}
	}

	fl.all(t, "call")
	want(1, "all eight cold at once")
	fl.all(t, "call")
	want(1, "all eight again")

	if n := p.RevokeAccountTokens(testAppID); n == 0 {
		t.Fatal("no token to revoke")
	}
	fl.all(t, "call")
	want(2, "the token rejected in every process at once")

	// Redis stopped mid-run: the hot path does not need it...
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	fl.all(t, "call")
	want(2, "Redis stopped, token still fresh")
	// ...and a rejected token is replaced by each process on its own. One
	// process after another: processes fetching the plain token on their
	// own rotate it under each other's feet, which is what Redis is for.
	p.RevokeAccountTokens(testAppID)
	fl.oneByOne(t, "call")
	want(10, "Redis stopped, the token rejected")
	if n := strings.Count(fl.stderr(), "shared token store failed"); n != len(fl) {
		t.Errorf("%d warnings about the store, want one per process", n)
	}

	// Redis back: the processes share again.
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	fl.all(t, "ping")
	p.RevokeAccountTokens(testAppID)
	fl.all(t, "call")
	want(11, "Redis back, the token rejected in every process at once")
	if n := strings.Count(fl.stderr(), "store answers again"); n != len(fl) {
		t.Errorf("%d processes said the store answers again, want %d", n, len(fl))
	}
}

// TestFleetClockSkew: processes whose clocks are hours apart agree on the
// token's life, since each reads it from the key's TTL: one fetch for all,
// none of them refreshing early, and one after a rejection.
func TestFleetClockSkew(t *testing.T) {
	t.Parallel()
	p := newPlatform(t)
	srv := redistest.Shared(t)
	skews := []time.Duration{0, 3 * time.Hour, -3 * time.Hour, 118 * time.Minute, -118 * time.Minute}
	fl := startFleet(t, srv, p, skews)
	fl.all(t, "call")
	fl.all(t, "call")
	if got := p.fetches(t); got != 1 {
		t.Fatalf("%d fetches by processes with skewed clocks, want 1", got)
	}
	p.RevokeAccountTokens(testAppID)
	fl.all(t, "call")
	if got := p.fetches(t); got != 2 {
		t.Fatalf("%d fetches after a rejection, want 2", got)
	}
}

// TestFleetHolderKilled: a process killed while it holds the refresh lock
// keeps the others waiting until the lock's TTL, no longer. The killed
// holder's TTL is long (its fetch timeout is a minute); once it is dead the
// test shortens that TTL, which is what time passing would do.
func TestFleetHolderKilled(t *testing.T) {
	t.Parallel()
	p := newPlatform(t)
	srv := redistest.Shared(t)
	holder := startChild(t, "hold",
		envRedis+"="+srv.URL(0), envBase+"="+p.base, envPrefix+"="+prefix(t),
		envSkew+"=0s", envFetchTimeout+"=1m")
	if line := holder.Next(t); line != "fetching" {
		t.Fatalf("holder said %q", line)
	}
	if err := holder.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Cmd.Process.Wait()

	s, rdb := newStore(t, srv)
	f := p.fetcher(t)
	lockKey := s.LockKey(f.Key())
	if ttl := rdb.PTTL(t.Context(), lockKey).Val(); ttl < 30*time.Second {
		t.Fatalf("the dead holder's lock has TTL %v; want it held", ttl)
	}
	c := auth.NewCache(f, auth.WithStore(s))

	// While the dead holder's lock lasts, the cache waits and does not
	// fetch.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	_, err := c.Token(ctx)
	cancel()
	if err != context.DeadlineExceeded {
		t.Fatalf("Token while a dead process holds the lock = %v; want the caller's deadline", err)
	}
	if got := p.fetches(t); got != 0 {
		t.Fatalf("%d fetches while the lock was held, want 0", got)
	}

	rdb.PExpire(t.Context(), lockKey, 200*time.Millisecond)
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatalf("Token after the lock lapsed: %v", err)
	}
	if got := p.fetches(t); got != 1 {
		t.Errorf("%d fetches, want 1", got)
	}
	if n := rdb.Exists(t.Context(), lockKey).Val(); n != 0 {
		t.Error("the new holder left the lock")
	}
}
