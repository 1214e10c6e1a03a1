//go:build unix

package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// clusterSlots is the number of hash slots of a Redis Cluster.
	clusterSlots = 16384
	// busOffset is how far above a node's port its cluster bus listens.
	busOffset = 10000
	// SharedClusterNodes is the number of nodes of SharedCluster.
	SharedClusterNodes = 3
)

// Cluster is a Redis Cluster of redis-server processes on loopback TCP
// ports: masters only, no replicas, each serving an even share of the
// 16384 hash slots, keeping nothing on disk.
type Cluster struct {
	nodes []*Server
}

// withCluster makes the server a node of a Cluster: on TCP, with its
// cluster bus 10000 above its port and its cluster configuration in its
// folder.
func withCluster() Option { return func(s *Server) { s.tcp, s.cluster = true, true } }

// StartCluster starts a Cluster of n nodes for tb, ready to serve every
// slot, and stops it when tb ends. Without redis-server it skips tb, or
// fails it when CI is set.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := NewCluster(n)
	if errors.Is(err, exec.ErrNotFound) {
		skipOrFail(tb)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Error(err)
		}
	})
	return c
}

// NewCluster starts n redis-server processes with cluster mode on, gives
// each an even share of the slots (CLUSTER ADDSLOTS) and an epoch of
// its own, introduces them (CLUSTER MEET), and returns once every node
// says the cluster is ok and knows an owner for every slot. Its error
// matches exec.ErrNotFound when redis-server is not installed. Close stops
// the nodes.
func NewCluster(n int) (*Cluster, error) {
	if n < 1 || n > clusterSlots {
		return nil, fmt.Errorf("redistest: a cluster of %d nodes: want 1 to %d", n, clusterSlots)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	c := &Cluster{nodes: make([]*Server, n)}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() { c.nodes[i], errs[i] = New(withCluster()) })
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil {
		err = c.form()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// form makes the started nodes one cluster and waits until it is ready.
func (c *Cluster) form() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	n := len(c.nodes)
	clients := make([]*redis.Client, n)
	for i, s := range c.nodes {
		clients[i] = redis.NewClient(s.Options(0))
		defer clients[i].Close()
	}
	for i, rdb := range clients {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n-1
		// ADDSLOTS with every slot, not ADDSLOTSRANGE, which needs Redis 7.
		args := []any{"CLUSTER", "ADDSLOTS"}
		for slot := lo; slot <= hi; slot++ {
			args = append(args, slot)
		}
		if err := rdb.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("redistest: node %s: CLUSTER ADDSLOTS %d to %d: %w", c.nodes[i].Addr(), lo, hi, err)
		}
		// Distinct epochs, as redis-cli --cluster create gives: no
		// collision for the nodes to resolve.
		if err := rdb.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("redistest: node %s: CLUSTER SET-CONFIG-EPOCH: %w", c.nodes[i].Addr(), err)
		}
	}
	for _, s := range c.nodes[1:] {
		if err := clients[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(s.port)).Err(); err != nil {
			return fmt.Errorf("redistest: CLUSTER MEET %s: %w", s.Addr(), err)
		}
	}
	return c.waitReady(ctx, clients)
}

// waitReady polls CLUSTER INFO on every node until each says the cluster
// is ok, knows every node and an owner for every slot, or ctx ends. A
// master says ok no sooner than about 2 s after it started (Redis's
// CLUSTER_WRITABLE_DELAY).
func (c *Cluster) waitReady(ctx context.Context, clients []*redis.Client) error {
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_assigned": strconv.Itoa(clusterSlots),
		"cluster_slots_ok":       strconv.Itoa(clusterSlots),
		"cluster_known_nodes":    strconv.Itoa(len(clients)),
		"cluster_size":           strconv.Itoa(len(clients)),
	}
	const interval = 20 * time.Millisecond
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		pending, err := "", error(nil)
		for i, rdb := range clients {
			var info string
			if info, err = rdb.ClusterInfo(ctx).Result(); err != nil {
				err = fmt.Errorf("redistest: node %s: CLUSTER INFO: %w", c.nodes[i].Addr(), err)
				break
			}
			if p := clusterInfoDiff(info, want); p != "" {
				pending = "node " + c.nodes[i].Addr() + ": " + p
				break
			}
		}
		if err == nil && pending == "" {
			return nil
		}
		timer.Reset(interval)
		select {
		case <-timer.C:
		case <-ctx.Done():
			if err != nil {
				return err
			}
			return fmt.Errorf("redistest: cluster not ready within %v: %s", startTimeout, pending)
		}
	}
}

// clusterInfoDiff returns what in a CLUSTER INFO reply differs from want,
// or "".
func clusterInfoDiff(info string, want map[string]string) string {
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			got[k] = v
		}
	}
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s %q, want %q", k, got[k], v))
		}
	}
	return strings.Join(diffs, "; ")
}

// freeClusterPort returns a free loopback port whose cluster bus port,
// 10000 above it, is free too.
func freeClusterPort() (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("redistest: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+busOffset > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+busOffset)))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("redistest: no free pair of loopback ports p and p+10000")
}

// Addrs returns the nodes' addresses, host:port.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Options returns options of a client of the cluster, with short timeouts
// that follow the context.
func (c *Cluster) Options() *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:                 c.Addrs(),
		DialTimeout:           clientTimeout,
		ReadTimeout:           clientTimeout,
		WriteTimeout:          clientTimeout,
		ContextTimeoutEnabled: true,
	}
}

// Client returns a client of the cluster, closed when tb ends.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	rdb := redis.NewClusterClient(c.Options())
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// KeysByNode returns how many keys matching the pattern (as SCAN MATCH
// reads it) each node holds, by address, asking each node directly.
func (c *Cluster) KeysByNode(ctx context.Context, pattern string) (map[string]int, error) {
	counts := make(map[string]int, len(c.nodes))
	for _, s := range c.nodes {
		rdb := redis.NewClient(s.Options(0))
		keys := map[string]bool{} // SCAN may return a key twice
		it := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			keys[it.Val()] = true
		}
		err := it.Err()
		rdb.Close()
		if err != nil {
			return nil, fmt.Errorf("redistest: node %s: SCAN: %w", s.Addr(), err)
		}
		counts[s.Addr()] = len(keys)
	}
	return counts, nil
}

// Close stops the nodes and removes their folders.
func (c *Cluster) Close() error {
	var errs []error
	for _, s := range c.nodes {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

var sharedCluster struct {
	mu  sync.Mutex
	c   *Cluster
	err error
}

// SharedCluster returns the Cluster of SharedClusterNodes nodes shared by
// the package's tests, starting it on first use; Main stops it. Tests that
// share it must keep to their own keys. Without redis-server it skips tb,
// or fails it when CI is set.
func SharedCluster(tb testing.TB) *Cluster {
	tb.Helper()
	sharedCluster.mu.Lock()
	defer sharedCluster.mu.Unlock()
	if sharedCluster.c == nil && sharedCluster.err == nil {
		sharedCluster.c, sharedCluster.err = NewCluster(SharedClusterNodes)
	}
	if errors.Is(sharedCluster.err, exec.ErrNotFound) {
		skipOrFail(tb)
	}
	if sharedCluster.err != nil {
		tb.Fatal(sharedCluster.err)
	}
	return sharedCluster.c
}

// closeSharedCluster stops the shared Cluster, if one was started.
func closeSharedCluster() error {
	sharedCluster.mu.Lock()
	defer sharedCluster.mu.Unlock()
	if sharedCluster.c == nil {
		return nil
	}
	err := sharedCluster.c.Close()
	sharedCluster.c = nil
	return err
}
