//go:build unix

package redistest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

func TestServerLifecycle(t *testing.T) {
	for _, tt := range []struct {
		name    string
		opts    []redistest.Option
		network string
	}{
		{name: "unix socket", network: "unix"},
		{name: "tcp", opts: []redistest.Option{redistest.WithTCP()}, network: "tcp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := redistest.Start(t, tt.opts...)
			if s.Network() != tt.network {
				t.Errorf("network %q, want %q", s.Network(), tt.network)
			}
			c := s.Client(t, 1)
			ping := func(timeout time.Duration) error {
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				defer cancel()
				return c.Set(ctx, "k", "v", time.Minute).Err()
			}
			if err := ping(5 * time.Second); err != nil {
				t.Fatalf("a fresh server: %v", err)
			}
			if err := s.Pause(); err != nil {
				t.Fatal(err)
			}
			if err := ping(200 * time.Millisecond); err == nil {
				t.Error("a paused server answered")
			}
			if err := s.Resume(); err != nil {
				t.Fatal(err)
			}
			if err := ping(5 * time.Second); err != nil {
				t.Errorf("a resumed server: %v", err)
			}
			if err := s.Stop(); err != nil || s.Running() {
				t.Fatalf("Stop = %v, running %v", err, s.Running())
			}
			if err := ping(500 * time.Millisecond); err == nil {
				t.Error("a stopped server answered")
			}
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Exists(t.Context(), "k").Result(); err != nil || n != 0 {
				t.Errorf("a restarted server: %d keys, %v; want an empty server", n, err)
			}
			if err := s.Kill(); err != nil || s.Running() {
				t.Fatalf("Kill = %v, running %v", err, s.Running())
			}
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			if err := ping(5 * time.Second); err != nil {
				t.Errorf("restarted after a kill: %v", err)
			}
			if u := s.URL(1); u == "" {
				t.Error("no URL")
			}
		})
	}
}

func TestSharedIsOneServer(t *testing.T) {
	if a, b := redistest.Shared(t), redistest.Shared(t); a != b {
		t.Error("Shared started two servers")
	}
}

// TestNotInstalled: without redis-server New says so in a way Start turns
// into a skip (or, in CI, a failure).
func TestNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := redistest.New(); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("New without redis-server = %v; want exec.ErrNotFound", err)
	}
}
