package auth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
)

// Credentials of the test accounts. The secrets hold characters that URL
// encoding changes, so that a test also catches the escaped form.
const (
	testAppID      = "wx0123456789abcdef"
	testSecret     = "SECRET-oa/9f8e+7d6c=5b4a"
	testCorpID     = "ww0123456789abcdef"
	testCorpSecret = "SECRET-wc/1a2b+3c4d=5e6f"
)

// fastRetry keeps the fetchers' retries quick in tests that are not about
// their timing: the real backoff code, tiny delays.
var fastRetry = auth.WithFetcherRetry(4, time.Microsecond, 10*time.Microsecond)

// t0 is where fake clocks start.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tokenServer is a small stand-in for the token endpoints of both
// platforms, mounted under /oa and /work: the plain token rotates on every
// fetch, the stable token stays until forced, a WeCom token stays until it
// expires. fault, when set, answers instead.
type tokenServer struct {
	*httptest.Server
	t     *testing.T
	clock *fakeClock

	mu           sync.Mutex
	plainCalls   int
	stableCalls  int
	forcedCalls  int
	workCalls    int
	stableSeq    int
	stable       string
	stableExpiry time.Time
	work         string
	workExpiry   time.Time
	workSeq      int
	expiresIn    int
	fault        http.HandlerFunc
}

func newTokenServer(t *testing.T, clock *fakeClock) *tokenServer {
	t.Helper()
	s := &tokenServer{t: t, clock: clock, expiresIn: 7200}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oa/cgi-bin/token", s.plain)
	mux.HandleFunc("/oa/cgi-bin/stable_token", s.stableToken)
	mux.HandleFunc("GET /work/cgi-bin/gettoken", s.gettoken)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *tokenServer) setFault(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = h
}

func (s *tokenServer) faulted(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f == nil {
		return false
	}
	f(w, r)
	return true
}

func (s *tokenServer) counts() (plain, stable, forced, work int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plainCalls, s.stableCalls, s.forcedCalls, s.workCalls
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *tokenServer) plain(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.plainCalls++
	n := s.plainCalls
	s.mu.Unlock()
	if s.faulted(w, r) {
		return
	}
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" || q.Get("appid") != testAppID || q.Get("secret") != testSecret {
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret rid: 67c2-1"})
		return
	}
	writeJSON(w, map[string]any{"access_token": fmt.Sprintf("PLAIN-TOKEN-%d", n), "expires_in": s.expiresIn})
}

func (s *tokenServer) stableToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, map[string]any{"errcode": 43002, "errmsg": "require POST method"})
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r.Body)
	if err := json.Unmarshal(buf.Bytes(), &req); err != nil {
		s.t.Errorf("stable_token body %q: %v", buf.String(), err)
	}
	s.mu.Lock()
	s.stableCalls++
	if req.ForceRefresh {
		s.forcedCalls++
	}
	s.mu.Unlock()
	if s.faulted(w, r) {
		return
	}
	if req.GrantType != "client_credential" || req.AppID != testAppID || req.Secret != testSecret {
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	if s.stable == "" || req.ForceRefresh || !now.Before(s.stableExpiry.Add(-5*time.Minute)) {
		s.stableSeq++
		s.stable = fmt.Sprintf("STABLE-TOKEN-%d", s.stableSeq)
		s.stableExpiry = now.Add(time.Duration(s.expiresIn) * time.Second)
	}
	tok, left := s.stable, int(s.stableExpiry.Sub(now)/time.Second)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": left})
}

func (s *tokenServer) gettoken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.workCalls++
	s.mu.Unlock()
	if s.faulted(w, r) {
		return
	}
	q := r.URL.Query()
	if q.Get("corpid") != testCorpID || q.Get("corpsecret") != testCorpSecret {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid secret, hint: [1740816000_1_abc], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=40001"})
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	if s.work == "" || !now.Before(s.workExpiry) {
		s.workSeq++
		s.work = fmt.Sprintf("WORK-TOKEN-%d", s.workSeq)
		s.workExpiry = now.Add(time.Duration(s.expiresIn) * time.Second)
	}
	tok, left := s.work, int(s.workExpiry.Sub(now)/time.Second)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": left})
}

// newPlain returns a plain Official Account fetcher on s.
func newPlain(t *testing.T, s *tokenServer, opts ...auth.FetcherOption) *auth.OfficialAccountFetcher {
	t.Helper()
	f, err := auth.NewOfficialAccount(testAppID, testSecret, append([]auth.FetcherOption{auth.WithBaseURL(s.URL + "/oa"), auth.WithFetcherClock(s.clock.Now), fastRetry}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// newStable returns a stable-token fetcher on s.
func newStable(t *testing.T, s *tokenServer, opts ...auth.FetcherOption) *auth.StableFetcher {
	t.Helper()
	f, err := auth.NewStable(testAppID, testSecret, append([]auth.FetcherOption{auth.WithBaseURL(s.URL + "/oa"), auth.WithFetcherClock(s.clock.Now), fastRetry}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// newWork returns a WeCom fetcher on s.
func newWork(t *testing.T, s *tokenServer, opts ...auth.FetcherOption) *auth.WeComFetcher {
	t.Helper()
	f, err := auth.NewWeCom(testCorpID, testCorpSecret, append([]auth.FetcherOption{auth.WithBaseURL(s.URL + "/work"), auth.WithFetcherClock(s.clock.Now), fastRetry}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// logBuffer is a debug-level slog handler's output, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// mustToken calls Token and fails the test on an error.
func mustToken(t *testing.T, ts auth.TokenSource) string {
	t.Helper()
	tok, err := ts.Token(t.Context())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}
