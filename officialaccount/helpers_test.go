package officialaccount_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
)

const (
	testAppID  = "wx00000000000test"
	testSecret = "test-secret-0123456789abcdef0000"
)

// start is the emulator's clock at the beginning of every test.
var start = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// fastRetry retries quickly, so tests of retries take milliseconds.
var fastRetry = transport.RetryPolicy{MaxAttempts: 4, MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

// env is a client on a fresh emulator over real HTTP.
type env struct {
	emu   *emulator.Emulator
	clock *emulator.FakeClock
	srv   *httptest.Server
	tr    *http.Transport // the client's transport, to close idle connections
	c     *officialaccount.Client
	// serving counts the emulator's handlers running: a client may have
	// read a whole reply before the handler returns and logs the call.
	serving *running
	// intercept, when set, sees every request before the emulator; when it
	// returns true it has handled the request and the emulator never sees it.
	intercept atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
}

// setup configures newEnv.
type setup struct {
	emu    []emulator.Option
	client []officialaccount.Option
}

// newEnv starts an emulator with the test account on a fake clock, and a
// client pointed at it with fast retries.
func newEnv(t testing.TB, s setup) *env {
	t.Helper()
	clock := emulator.NewFakeClock(start)
	emu := emulator.New(append([]emulator.Option{emulator.WithClock(clock)}, s.emu...)...)
	if err := emu.AddOfficialAccount(testAppID, testSecret); err != nil {
		t.Fatal(err)
	}
	e := &env{emu: emu, clock: clock, serving: newRunning()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.serving.add(1)
		defer e.serving.add(-1)
		if f := e.intercept.Load(); f != nil && (*f)(w, r) {
			return
		}
		emu.ServeHTTP(w, r)
	}))
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
		emu.Close()
	})
	opts := append([]officialaccount.Option{
		officialaccount.WithBaseURL(srv.URL + "/oa"),
		officialaccount.WithHTTPClient(&http.Client{Transport: tr}),
		officialaccount.WithClock(clock.Now),
		officialaccount.WithRetry(fastRetry),
	}, s.client...)
	c, err := officialaccount.New(testAppID, testSecret, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv, e.tr, e.c = srv, tr, c
	return e
}

// setIntercept installs f (see env.intercept).
func (e *env) setIntercept(f func(http.ResponseWriter, *http.Request) bool) { e.intercept.Store(&f) }

// requests returns the request log once every handler has returned, in
// the order the requests arrived (the log itself is in the order they
// ended, which a retried or replayed request can swap).
func (e *env) requests() []emulator.Request {
	e.serving.wait()
	reqs := e.emu.Requests()
	slices.SortFunc(reqs, func(a, b emulator.Request) int { return int(a.Seq) - int(b.Seq) })
	return reqs
}

// resetLog empties the request log once every handler has returned, so that
// no request answered before is logged after the reset.
func (e *env) resetLog() {
	e.serving.wait()
	e.emu.ResetRequests()
}

// calls returns the request log's entries for the endpoint path.
func (e *env) calls(path string) []emulator.Request {
	var out []emulator.Request
	for _, r := range e.requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// business returns the request log without token fetches.
func (e *env) business() []emulator.Request {
	var out []emulator.Request
	for _, r := range e.requests() {
		if r.Path != "/cgi-bin/token" && r.Path != "/cgi-bin/stable_token" {
			out = append(out, r)
		}
	}
	return out
}

// wire is what a test asserts of one request on the wire.
type wire struct {
	Method  string
	Path    string
	Query   string // the query without access_token
	Errcode int
}

func wireOf(rs []emulator.Request) []wire {
	out := make([]wire, len(rs))
	for i, r := range rs {
		q := r.Query
		if q.Get("access_token") != emulator.Redacted {
			q = nil // a token-less call would show here
		} else {
			q = cloneWithout(q, "access_token")
		}
		out[i] = wire{Method: r.Method, Path: r.Path, Query: q.Encode(), Errcode: r.Errcode}
	}
	return out
}

func cloneWithout(q map[string][]string, key string) map[string][]string {
	out := map[string][]string{}
	for k, v := range q {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// sample returns the bytes of materialtest's sample of kind k.
func sample(t testing.TB, k material.Kind) (string, []byte) {
	t.Helper()
	src := materialtest.Sample(k)
	rc, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return src.Name(), b
}

// readAll reads and closes c.
func readAll(t testing.TB, c *material.Content) []byte {
	t.Helper()
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the content: %v", err)
	}
	return b
}

// sameBytes compares files without printing them.
func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes, want the %d sent", what, len(got), len(want))
	}
}

// diff reports a go-cmp difference.
func diff(t testing.TB, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// running counts handlers in flight. Unlike a sync.WaitGroup it may go up
// from zero while another goroutine waits: the test learns that a handler
// ran through the network, which the race detector does not see as an
// ordering, so a WaitGroup's Add-at-zero racing its Wait would be reported.
type running struct {
	mu   sync.Mutex
	idle *sync.Cond
	n    int
}

func newRunning() *running {
	r := &running{}
	r.idle = sync.NewCond(&r.mu)
	return r
}

func (r *running) add(d int) {
	r.mu.Lock()
	r.n += d
	if r.n == 0 {
		r.idle.Broadcast()
	}
	r.mu.Unlock()
}

func (r *running) wait() {
	r.mu.Lock()
	for r.n > 0 {
		r.idle.Wait()
	}
	r.mu.Unlock()
}
