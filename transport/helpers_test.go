package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// tokens is a TokenSource with the compare-and-invalidate rule of
// auth.Cache: one current token, replaced only when the rejected token is
// still the current one. It counts fetches.
type tokens struct {
	mu      sync.Mutex
	prefix  string
	cur     string
	fetches atomic.Int32
	err     error // returned by Token when set
}

func (s *tokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	if s.cur == "" {
		n := s.fetches.Add(1)
		s.cur = fmt.Sprintf("%sTOKEN-%d", s.prefix, n)
	}
	return s.cur, nil
}

func (s *tokens) Invalidate(ctx context.Context, rejected string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == rejected {
		s.cur = ""
	}
	return nil
}

// fastRetry keeps test retries quick: real backoff code, tiny delays.
var fastRetry = transport.RetryPolicy{MaxAttempts: 4, MinDelay: time.Microsecond, MaxDelay: 10 * time.Microsecond}

// setup starts a server whose handler is mounted under /api (so a client
// that ignores the base path fails loudly) and a Client for it.
func setup(t testing.TB, platform material.Platform, handler http.Handler, opts ...func(*transport.Config)) (*transport.Client, *tokens) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", handler))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.Error(w, "outside base path", http.StatusNotFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ts := &tokens{}
	cfg := transport.Config{Platform: platform, BaseURL: srv.URL + "/api", Tokens: ts, Retry: fastRetry}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := transport.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, ts
}

func writeJSON(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, s)
}

// logBuffer is a debug-level slog logger writing into a buffer.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// counter counts requests per path.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[path]++
	return c.n[path]
}

func (c *counter) get(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

func contains(haystack string, needles ...string) string {
	for _, n := range needles {
		if n != "" && strings.Contains(haystack, n) {
			return n
		}
	}
	return ""
}

// doOrDownload sends req with Do, or with Download when download is set,
// and returns the error.
func doOrDownload(ctx context.Context, c *transport.Client, req *transport.Request, download bool) error {
	if download {
		_, err := c.Download(ctx, req)
		return err
	}
	return c.Do(ctx, req, nil)
}
