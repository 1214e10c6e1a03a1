//go:build unix

package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// Credentials of the test account on the emulator.
const (
	testAppID  = "wxfleet0123456789"
	testSecret = "SECRET-fleet/9f8e+7d6c=5b4a"
)

// TestMain runs a child of a fleet test when the environment says so (see
// fleet_test.go), and otherwise the tests, with one redis-server shared by
// those that do not stop theirs.
func TestMain(m *testing.M) {
	redistest.QuietClient()
	if os.Getenv(envChild) != "" {
		os.Exit(runChild())
	}
	os.Exit(redistest.Main(m))
}

// prefix returns a key prefix of the test's own.
func prefix(t testing.TB) string { return redistest.Prefix(t) }

// newStore returns a store on srv under the test's prefix, with a short
// timeout.
func newStore(t testing.TB, srv *redistest.Server, opts ...redisstore.Option) (*redisstore.Store, *redis.Client) {
	t.Helper()
	rdb := srv.Client(t, 0)
	return storeOn(t, rdb, opts...), rdb
}

// storeOn returns a store on rdb under the test's prefix, with a 300 ms
// timeout, unless opts say otherwise.
func storeOn(t testing.TB, rdb redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(rdb, append([]redisstore.Option{redisstore.WithPrefix(prefix(t)), redisstore.WithTimeout(300 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stores makes the stores of a test on one Redis deployment: each call
// returns a store with a Redis client of its own (as another process would
// have) and that client, under the test's prefix with a 300 ms timeout
// unless opts say otherwise.
type stores func(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient)

// onServer makes stores on the single server srv.
func onServer(srv *redistest.Server) stores {
	return func(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient) {
		t.Helper()
		return newStore(t, srv, opts...)
	}
}

// onCluster makes stores on the Cluster c, each with a redis.ClusterClient
// of its own.
func onCluster(c *redistest.Cluster) stores {
	return func(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient) {
		t.Helper()
		rdb := c.Client(t)
		return storeOn(t, rdb, opts...), rdb
	}
}

// onSentinel makes stores on the master of s, each with a failover client
// of its own that finds the master through the sentinel.
func onSentinel(s *redistest.Sentinel) stores {
	return func(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient) {
		t.Helper()
		rdb := s.Client(t, 0)
		return storeOn(t, rdb, opts...), rdb
	}
}

// under makes the stores of newStore under prefix p.
func (newStore stores) under(p string) stores {
	return func(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient) {
		t.Helper()
		return newStore(t, append([]redisstore.Option{redisstore.WithPrefix(p)}, opts...)...)
	}
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// platform is the emulator serving an account over HTTP.
type platform struct {
	*emulator.Emulator
	base          string // the Official Account base URL
	appID, secret string // the account's
}

// newPlatform serves the test account.
func newPlatform(t testing.TB, opts ...emulator.Option) *platform {
	t.Helper()
	return newPlatformOf(t, testAppID, testSecret, opts...)
}

// newPlatformOf serves the account appID.
func newPlatformOf(t testing.TB, appID, secret string, opts ...emulator.Option) *platform {
	t.Helper()
	em := emulator.New(opts...)
	if err := em.AddOfficialAccount(appID, secret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(func() {
		srv.Close()
		em.Close()
	})
	return &platform{em, srv.URL + emulator.OfficialAccountPrefix, appID, secret}
}

// fetches returns how many plain tokens the emulator handed out, after
// every request in service has been answered; it also checks that the
// request log agrees.
func (p *platform) fetches(t testing.TB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	n := p.TokenFetches(p.appID).Plain
	logged := 0
	for _, r := range p.Requests() {
		if r.Path == "/cgi-bin/token" && r.Status == 200 && r.Errcode == 0 {
			logged++
		}
	}
	if logged != n {
		t.Errorf("the emulator counts %d token fetches and logs %d", n, logged)
	}
	return n
}

// call makes a business call with tok and returns its errcode.
func (p *platform) call(t testing.TB, tok string) int {
	t.Helper()
	code, err := businessCall(t.Context(), p.base, tok)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// businessCall counts the permanent library with tok and returns the
// errcode.
func businessCall(ctx context.Context, base, tok string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/cgi-bin/material/get_materialcount?access_token="+url.QueryEscape(tok), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		ErrCode int `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, fmt.Errorf("get_materialcount: %w", err)
	}
	return r.ErrCode, nil
}

// fetcher returns a fetcher of the account's plain token from the platform.
func (p *platform) fetcher(t testing.TB, opts ...auth.FetcherOption) auth.Fetcher {
	t.Helper()
	f, err := auth.NewOfficialAccount(p.appID, p.secret, append([]auth.FetcherOption{auth.WithBaseURL(p.base)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// logBuffer collects a test logger's lines.
type logBuffer = fleettest.LogBuffer

func newLogger() (*slog.Logger, *logBuffer) { return fleettest.NewLogger() }

// blockingFetcher hands out the tokens it is given on its channel, one per
// fetch, after saying on started that a fetch began.
type blockingFetcher struct {
	key     string
	started chan struct{}
	tokens  chan auth.Token
	calls   atomic.Int32
}

func newBlockingFetcher(key string) *blockingFetcher {
	return &blockingFetcher{key: key, started: make(chan struct{}, 10), tokens: make(chan auth.Token)}
}

func (f *blockingFetcher) Key() string { return f.key }

func (f *blockingFetcher) Fetch(ctx context.Context, _ string) (auth.Token, error) {
	f.calls.Add(1)
	f.started <- struct{}{}
	select {
	case t := <-f.tokens:
		return t, nil
	case <-ctx.Done():
		return auth.Token{}, ctx.Err()
	}
}

// receive waits for a value on ch, failing the test after a generous
// deadline rather than hanging.
func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	return fleettest.Receive(t, ch, what)
}

type result struct {
	tok string
	err error
}

// tokenAsync calls c.Token in a goroutine.
func tokenAsync(ctx context.Context, c *auth.Cache) <-chan result {
	ch := make(chan result, 1)
	go func() {
		tok, err := c.Token(ctx)
		ch <- result{tok, err}
	}()
	return ch
}
