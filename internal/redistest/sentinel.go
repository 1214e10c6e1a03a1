//go:build unix

package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name under which a Sentinel's sentinel knows its
// master.
const MasterName = "redistest"

// Sentinel is a master redis-server on a loopback TCP port and a
// redis-server in sentinel mode that watches it (quorum 1), as a
// redis.FailoverClient finds a master: it asks the sentinel for the
// master's address, then talks to the master.
type Sentinel struct {
	master, sentinel *Server
}

// StartSentinel starts a Sentinel for tb and stops it when tb ends.
// Without redis-server it skips tb, or fails it when CI is set.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	s, err := NewSentinel()
	if errors.Is(err, exec.ErrNotFound) {
		skipOrFail(tb)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// NewSentinel starts a master and a sentinel watching it, and returns once
// the sentinel watches it. Its error matches exec.ErrNotFound when
// redis-server is not installed. Close stops both.
func NewSentinel() (*Sentinel, error) {
	master, err := New(WithTCP())
	if err != nil {
		return nil, err
	}
	sentinel, err := New(WithTCP(), func(s *Server) { s.watch = master.Addr() })
	if err != nil {
		master.Close()
		return nil, err
	}
	return &Sentinel{master: master, sentinel: sentinel}, nil
}

// sentinelArgs writes the sentinel's configuration file, which it
// rewrites as it learns, and returns its arguments.
func (s *Server) sentinelArgs() ([]string, error) {
	host, port, err := net.SplitHostPort(s.watch)
	if err != nil {
		return nil, fmt.Errorf("redistest: sentinel: %w", err)
	}
	conf := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsentinel monitor %s %s %s 1\n", s.port, s.dir, MasterName, host, port)
	path := filepath.Join(s.dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("redistest: sentinel: %w", err)
	}
	return []string{path, "--sentinel"}, nil
}

// Master returns the master the sentinel watches.
func (s *Sentinel) Master() *Server { return s.master }

// Addr returns the sentinel's address, host:port.
func (s *Sentinel) Addr() string { return s.sentinel.Addr() }

// FailoverOptions returns options of a client of database db of the
// master found through the sentinel, with short timeouts that follow the
// context.
func (s *Sentinel) FailoverOptions(db int) *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName:            MasterName,
		SentinelAddrs:         []string{s.Addr()},
		DB:                    db,
		DialTimeout:           clientTimeout,
		ReadTimeout:           clientTimeout,
		WriteTimeout:          clientTimeout,
		ContextTimeoutEnabled: true,
	}
}

// Client returns a failover client of database db of the master, closed
// when tb ends.
func (s *Sentinel) Client(tb testing.TB, db int) *redis.Client {
	tb.Helper()
	c := redis.NewFailoverClient(s.FailoverOptions(db))
	tb.Cleanup(func() { c.Close() })
	return c
}

// Close stops the sentinel and the master and removes their folders.
func (s *Sentinel) Close() error {
	return errors.Join(s.sentinel.Close(), s.master.Close())
}
