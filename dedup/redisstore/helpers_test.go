//go:build unix

package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/work"
)

// The accounts of the tests' emulator.
const (
	testAppID       = "wxdedup0123456789"
	testAppSecret   = "SECRET-dedup/9f8e+7d6c=5b4a"
	testCorpID      = "wwdedup0123456789"
	testAgentID     = int64(1000007)
	testAgentSecret = "SECRET-dedup-agent-0123456789abcdefghijklmn"
)

// uploadPath is the endpoint of temporary uploads on both platforms.
const uploadPath = "/cgi-bin/media/upload"

// platforms are the two platforms the tests run on.
var platforms = []material.Platform{material.OfficialAccount, material.WeCom}

// TestMain runs a child of a fleet test when the environment says so (see
// fleet_test.go), and otherwise the tests, with one redis-server shared by
// those that do not stop theirs.
func TestMain(m *testing.M) {
	redistest.QuietClient()
	if cfg := os.Getenv(envChild); cfg != "" {
		os.Exit(runChild(cfg))
	}
	os.Exit(redistest.Main(m))
}

// newStore returns a store with a Redis client of its own on srv (as
// another process would have), and that client. The store's keys are
// under the test's prefix and its timeout is 300 ms, unless opts say
// otherwise.
func newStore(t testing.TB, srv *redistest.Server, opts ...redisstore.Option) (*redisstore.Store, *redis.Client) {
	t.Helper()
	c := srv.Client(t, 0)
	return storeOn(t, c, opts...), c
}

// storeOn returns a store on rdb under the test's prefix, with a 300 ms
// timeout, unless opts say otherwise.
func storeOn(t testing.TB, rdb redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	defaults := []redisstore.Option{redisstore.WithPrefix(redistest.Prefix(t)), redisstore.WithTimeout(300 * time.Millisecond)}
	s, err := redisstore.New(rdb, append(defaults, opts...)...)
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

// under makes the stores of newStore under prefix p.
func (newStore stores) under(p string) stores {
	return func(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, redis.UniversalClient) {
		t.Helper()
		return newStore(t, append([]redisstore.Option{redisstore.WithPrefix(p)}, opts...)...)
	}
}

// keysMatching returns the keys matching pattern (KEYS) on a single
// server, or on every master of a Cluster.
func keysMatching(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return rdb.Keys(ctx, pattern).Result()
	}
	var mu sync.Mutex
	var keys []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		k, err := node.Keys(ctx, pattern).Result()
		mu.Lock()
		keys = append(keys, k...)
		mu.Unlock()
		return err
	})
	return keys, err
}

// platform is the emulator serving the test accounts over HTTP, on the
// real clock (the children of the fleet tests keep time with it).
type platform struct {
	*emulator.Emulator
	url  string      // the root: /oa and /work below it
	http http.Client // of the clients made by client
}

// newPlatform starts an emulator with the test accounts; wrap, if not nil,
// sees every request before the emulator does.
func newPlatform(t testing.TB, wrap func(http.Handler) http.Handler) *platform {
	t.Helper()
	em := emulator.New()
	if err := em.AddOfficialAccount(testAppID, testAppSecret); err != nil {
		t.Fatal(err)
	}
	if err := em.AddWeComAgent(testCorpID, testAgentID, testAgentSecret); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = em
	if wrap != nil {
		h = wrap(em)
	}
	srv := httptest.NewServer(h)
	p := &platform{Emulator: em, url: srv.URL, http: http.Client{Transport: &http.Transport{}}}
	t.Cleanup(func() {
		p.http.CloseIdleConnections()
		srv.Close()
		em.Close()
	})
	return p
}

// client returns a client of the test account of pl on the platform.
func (p *platform) client(t testing.TB, pl material.Platform) material.Service {
	t.Helper()
	c, err := newClient(p.url, pl, &p.http)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newClient returns a client of the test account of pl on the emulator at
// root, for the tests and the children of the fleet tests.
func newClient(root string, pl material.Platform, hc *http.Client) (material.Service, error) {
	if pl == material.WeCom {
		return work.New(testCorpID, testAgentID, testAgentSecret, work.WithBaseURL(root+emulator.WeComPrefix), work.WithHTTPClient(hc))
	}
	// The stable token: processes that fetch it share one token without
	// rotating each other's.
	return officialaccount.New(testAppID, testAppSecret, officialaccount.WithBaseURL(root+emulator.OfficialAccountPrefix),
		officialaccount.WithStableToken(), officialaccount.WithHTTPClient(hc))
}

// emuPlatform names pl as the emulator does.
func emuPlatform(pl material.Platform) emulator.Platform {
	if pl == material.WeCom {
		return emulator.WeCom
	}
	return emulator.OfficialAccount
}

// uploads returns how many uploads of pl the emulator answered with
// success, once every request in service has been answered.
func (p *platform) uploads(t testing.TB, pl material.Platform) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range p.Requests() {
		if r.Platform == emuPlatform(pl) && r.Path == uploadPath && r.Status == http.StatusOK && r.Errcode == 0 {
			n++
		}
	}
	return n
}

// gate holds the uploads that reach it until it is opened, and says on
// arrived when each one comes.
type gate struct {
	arrived chan struct{}
	open    chan struct{}
	once    sync.Once
}

func newGate() *gate {
	return &gate{arrived: make(chan struct{}, 64), open: make(chan struct{})}
}

// wrap holds the uploads to h at the gate; an upload whose client gives up
// while held is dropped unanswered, and the emulator never sees it. (The
// gate reads the body first: the server notices a client gone only once
// the body is read.)
func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, uploadPath) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			g.arrived <- struct{}{}
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// release opens the gate for good.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// commandHook says on seen, once, when its client first sends the command
// name, and counts the commands sent.
type commandHook struct {
	name string
	seen chan<- struct{} // buffered
	once sync.Once
	n    atomic.Int64
}

func (h *commandHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *commandHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		if strings.EqualFold(cmd.Name(), h.name) {
			h.once.Do(func() { h.seen <- struct{}{} })
		}
		return next(ctx, cmd)
	}
}

func (h *commandHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	return fleettest.Receive(t, ch, what)
}

// newService wraps svc with the store st.
func newService(t testing.TB, svc material.Service, st dedup.Store, opts ...dedup.Option) *dedup.Service {
	t.Helper()
	s, err := dedup.New(svc, append([]dedup.Option{dedup.WithStore(st)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sampleFile writes an image of its own of about size bytes to the test's
// folder (its bytes differ per call, so tests never share a dedup key) and
// returns its path.
func sampleFile(t testing.TB, size int) string {
	t.Helper()
	var b bytes.Buffer
	// A PNG signature: both platforms' rules judge the format by it and
	// the name.
	b.WriteString("\x89PNG\r\n\x1a\n")
	fmt.Fprintf(&b, "%s %d %d", t.Name(), os.Getpid(), files.Add(1))
	b.Write(bytes.Repeat([]byte{0x5a}, size))
	path := t.TempDir() + "/welcome.png"
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixedFile writes an image of about 4 KiB made of content to the test's
// folder and returns its path: the same content makes the same bytes, and
// so the same dedup key, in every run.
func fixedFile(t testing.TB, content string) string {
	t.Helper()
	b := append([]byte("\x89PNG\r\n\x1a\n"+content), bytes.Repeat([]byte{0x5a}, 4096)...)
	path := t.TempDir() + "/welcome.png"
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// files numbers the files of sampleFile.
var files atomic.Int64

// fromFile opens path as a Source.
func fromFile(t testing.TB, path string) material.Source {
	t.Helper()
	src, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return src
}
