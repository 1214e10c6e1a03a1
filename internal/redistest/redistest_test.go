//go:build unix

package redistest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

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
	if _, err := redistest.NewCluster(3); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("NewCluster without redis-server = %v; want exec.ErrNotFound", err)
	}
	if _, err := redistest.NewSentinel(); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("NewSentinel without redis-server = %v; want exec.ErrNotFound", err)
	}
}

// TestCluster: a real Cluster: every node serves its share of the slots,
// a client's keys spread over all of them, and a script whose keys are in
// two slots is refused while one with a hash tag runs.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	rdb := c.Client(t)
	ctx := t.Context()
	const n = 60
	for i := range n {
		if err := rdb.Set(ctx, fmt.Sprintf("key-%d", i), i, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := c.KeysByNode(ctx, "key-*")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for addr, k := range counts {
		if k == 0 {
			t.Errorf("node %s holds none of %d keys", addr, n)
		}
		total += k
	}
	if total != n || len(counts) != 3 {
		t.Errorf("the nodes hold %v, %d keys in all; want %d keys over 3 nodes", counts, total, n)
	}
	var masters atomic.Int32
	if err := rdb.ForEachMaster(ctx, func(context.Context, *redis.Client) error { masters.Add(1); return nil }); err != nil || masters.Load() != 3 {
		t.Errorf("ForEachMaster saw %d masters, %v; want 3", masters.Load(), err)
	}

	script := redis.NewScript(`redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return 1`)
	if err := script.Run(ctx, rdb, []string{"{a}:x", "{a}:y"}, "v").Err(); err != nil {
		t.Errorf("a script on two keys of one hash tag: %v", err)
	}
	// "a" and "b" hash to slots 15495 and 3300, on different nodes.
	if err := script.Run(ctx, rdb, []string{"{a}:x", "{b}:y"}, "v").Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Errorf("a script on keys of two slots = %v; want CROSSSLOT", err)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, addr := range c.Addrs() {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			t.Errorf("node %s still answers after Close", addr)
		}
	}
}

func TestSharedClusterIsOneCluster(t *testing.T) {
	a, b := redistest.SharedCluster(t), redistest.SharedCluster(t)
	if a != b {
		t.Error("SharedCluster started two clusters")
	}
	if diff := cmp.Diff(redistest.SharedClusterNodes, len(a.Addrs())); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if err := a.Client(t).Ping(t.Context()).Err(); err != nil {
		t.Error(err)
	}
}

func TestNewClusterRefusesBadSizes(t *testing.T) {
	for _, n := range []int{0, -1, 16385} {
		if c, err := redistest.NewCluster(n); err == nil || c != nil {
			t.Errorf("NewCluster(%d) = %v, %v; want an error", n, c, err)
		}
	}
}

// TestSentinel: a failover client finds the master through the sentinel
// and writes to it.
func TestSentinel(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	ctx := t.Context()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr()})
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(ctx, redistest.MasterName).Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Master().Addr(), net.JoinHostPort(addr[0], addr[1])); diff != "" {
		t.Errorf("the sentinel's master (-want +got):\n%s", diff)
	}
	if err := s.Client(t, 2).Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := s.Master().Client(t, 2).Get(ctx, "k").Val(); got != "v" {
		t.Errorf("the master holds %q, want the value written through the sentinel", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{s.Addr(), s.Master().Addr()} {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			t.Errorf("%s still answers after Close", addr)
		}
	}
}
