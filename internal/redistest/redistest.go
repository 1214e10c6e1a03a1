//go:build unix

// Package redistest starts redis-server processes for tests: one for a test
// (Start), or one shared by a package's tests (Shared, with Main in
// TestMain). A server listens on a unix socket in a temporary folder, or on
// a free loopback port (WithTCP), keeps nothing on disk, and can be stopped,
// killed, paused and restarted at the same address to test what a client
// does when Redis goes away.
//
// A Redis Cluster of several such servers (StartCluster, or SharedCluster)
// tests what a redis.ClusterClient does: keys spread over the nodes by
// hash slot, and scripts whose keys are in different slots refused
// (CROSSSLOT). A master watched by a sentinel (StartSentinel) tests what a
// redis.FailoverClient does.
//
// Without redis-server in PATH the tests that need one skip, saying how to
// install it (apt-get install redis-server); when the environment variable
// CI is set, they fail instead, so that a CI machine without it cannot pass
// by skipping.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds the wait for a server to say it is ready.
const startTimeout = 20 * time.Second

// clientTimeout is the dial, read and write timeout of the clients'
// options.
const clientTimeout = 2 * time.Second

// Missing is the message of a test skipped (or failed, in CI) for want of
// redis-server.
const Missing = "redis-server not found in PATH: install it (apt-get install -y redis-server) to run the Redis tests; " +
	"they skip without it, except when CI is set"

// Server is a redis-server process.
type Server struct {
	bin     string
	dir     string // the temporary folder: socket, working directory
	tcp     bool
	port    int    // with tcp
	cluster bool   // a node of a Cluster: TCP, its bus on port+10000
	watch   string // a sentinel's: the address of the master it watches

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Option configures a Server.
type Option func(*Server)

// WithTCP makes the server listen on a free loopback TCP port instead of a
// unix socket.
func WithTCP() Option { return func(s *Server) { s.tcp = true } }

// Start starts a redis-server for tb and stops it when tb ends. Without
// redis-server it skips tb, or fails it when CI is set.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := New(opts...)
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

func skipOrFail(tb testing.TB) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(Missing)
	}
	tb.Skip(Missing)
}

// New starts a redis-server. Its error matches exec.ErrNotFound when
// redis-server is not installed. Close stops it.
func New(opts ...Option) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	// A unix socket path must fit in 108 bytes: keep it short.
	dir, err := os.MkdirTemp(shortTemp(), "redistest-")
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	s := &Server{bin: bin, dir: dir}
	for _, o := range opts {
		o(s)
	}
	for attempt := 0; ; attempt++ {
		if s.tcp {
			pick := freePort
			if s.cluster {
				pick = freeClusterPort
			}
			if s.port, err = pick(); err != nil {
				break
			}
		}
		err = s.start()
		// Another process may take the free port before the server does.
		if err == nil || !s.tcp || attempt == 4 || !strings.Contains(err.Error(), "ddress already in use") {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func shortTemp() string {
	if d := os.TempDir(); len(d) <= 40 {
		return d
	}
	return "/tmp"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) socket() string { return filepath.Join(s.dir, "redis.sock") }

// start runs the server and waits until it is ready.
func (s *Server) start() error {
	args := []string{
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--loglevel", "notice", "--logfile", "",
		"--databases", "16",
	}
	if s.tcp {
		args = append(args, "--bind", "127.0.0.1", "--port", strconv.Itoa(s.port))
	} else {
		args = append(args, "--port", "0", "--unixsocket", s.socket(), "--unixsocketperm", "700")
	}
	if s.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(s.dir, "nodes.conf"))
	}
	ready := "ready to accept connections"
	if s.watch != "" {
		// A sentinel reads (and rewrites) a configuration file, and says
		// it watches its master once it listens.
		var err error
		if args, err = s.sentinelArgs(); err != nil {
			return err
		}
		ready = "+monitor master"
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	setParentDeath(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	logs := &tail{}
	isReady := make(chan struct{})
	done := make(chan struct{})
	go func() {
		// Read the server's log to the end, so that it never blocks on a
		// full pipe, and say when it is ready.
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			logs.add(line)
			if !signalled && strings.Contains(strings.ToLower(line), ready) {
				signalled = true
				close(isReady)
			}
		}
		cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-isReady:
	case <-done:
		return fmt.Errorf("redistest: redis-server exited at start: %s", logs)
	case <-timer.C:
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("redistest: redis-server not ready within %v: %s", startTimeout, logs)
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

// Addr returns the server's address: a unix socket path, or host:port.
func (s *Server) Addr() string {
	if s.tcp {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	}
	return s.socket()
}

// Network returns "unix" or "tcp".
func (s *Server) Network() string {
	if s.tcp {
		return "tcp"
	}
	return "unix"
}

// URL returns the server's URL for database db, as redis.ParseURL reads
// it: redis://127.0.0.1:PORT/DB or unix:///PATH?db=DB.
func (s *Server) URL(db int) string {
	if s.tcp {
		return fmt.Sprintf("redis://%s/%d", s.Addr(), db)
	}
	return fmt.Sprintf("unix://%s?db=%d", s.socket(), db)
}

// Options returns client options for database db of the server, with short
// timeouts that follow the context.
func (s *Server) Options(db int) *redis.Options {
	return &redis.Options{
		Network:               s.Network(),
		Addr:                  s.Addr(),
		DB:                    db,
		DialTimeout:           clientTimeout,
		ReadTimeout:           clientTimeout,
		WriteTimeout:          clientTimeout,
		ContextTimeoutEnabled: true,
	}
}

// Client returns a client of database db of the server, closed when tb
// ends.
func (s *Server) Client(tb testing.TB, db int) *redis.Client {
	tb.Helper()
	c := redis.NewClient(s.Options(db))
	tb.Cleanup(func() { c.Close() })
	return c
}

// Running reports whether the server process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Stop stops the server (SIGTERM) and waits for it to exit. Its data is
// lost: the server keeps nothing on disk.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM) }

// Kill kills the server (SIGKILL), as a crash would, and waits for it to
// exit.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL) }

// Pause stops the server's process (SIGSTOP) without closing its sockets:
// connections and new ones hang, as with an overloaded or partitioned
// server, until Resume.
func (s *Server) Pause() error {
	cmd, _ := s.current()
	if cmd == nil {
		return errors.New("redistest: pause: the server is not running")
	}
	return cmd.Process.Signal(syscall.SIGSTOP)
}

// Resume continues a paused server.
func (s *Server) Resume() error {
	cmd, _ := s.current()
	if cmd == nil {
		return errors.New("redistest: resume: the server is not running")
	}
	return cmd.Process.Signal(syscall.SIGCONT)
}

// Restart starts the server again at the same address, stopping it first
// if it runs. It starts empty.
func (s *Server) Restart() error {
	if s.Running() {
		if err := s.Stop(); err != nil {
			return err
		}
	}
	return s.start()
}

func (s *Server) current() (*exec.Cmd, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd, s.done
}

func (s *Server) signal(sig syscall.Signal) error {
	cmd, done := s.current()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGCONT) // a paused server cannot act on SIGTERM
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("redistest: %w", err)
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		cmd.Process.Kill()
		<-done
	}
	s.mu.Lock()
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if !s.tcp {
		os.Remove(s.socket())
	}
	return nil
}

// Close stops the server and removes its folder.
func (s *Server) Close() error {
	err := s.Kill()
	if rerr := os.RemoveAll(s.dir); err == nil && rerr != nil {
		err = fmt.Errorf("redistest: %w", rerr)
	}
	return err
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Shared returns the server shared by the package's tests, starting it on
// first use; Main stops it. Tests that share it must keep to their own keys
// (or database) and must not stop it. Without redis-server it skips tb, or
// fails it when CI is set.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = New()
	}
	if errors.Is(shared.err, exec.ErrNotFound) {
		skipOrFail(tb)
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.srv
}

// Main runs the package's tests and then stops the shared server and the
// shared Cluster, if they were started: call it from TestMain as
// os.Exit(redistest.Main(m)).
//
// Examples cannot skip: without redis-server, and unless CI is set, Main
// leaves the package's examples out as -skip '^Example' would, and says
// so.
func Main(m *testing.M) int {
	skipExamples()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
		shared.srv = nil
	}
	if err := closeSharedCluster(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// prefixes holds the key prefix of each running test.
var (
	prefixes sync.Map // testing.TB → string
	runs     atomic.Int64
)

// Prefix returns a key prefix of tb's own, the same for the whole test, so
// that tests sharing a server never meet, nor do runs of one test
// (-count), nor the processes of two test runs. It holds no '{' or '}'.
func Prefix(tb testing.TB) string {
	if p, ok := prefixes.Load(tb); ok {
		return p.(string)
	}
	p := fmt.Sprintf("test:%d:%d:%s:", os.Getpid(), runs.Add(1), strings.NewReplacer("{", "(", "}", ")").Replace(tb.Name()))
	if p, loaded := prefixes.LoadOrStore(tb, p); loaded {
		return p.(string)
	}
	tb.Cleanup(func() { prefixes.Delete(tb) })
	return p
}

// QuietClient discards the Redis client's own log lines (its dial errors
// while a test has stopped the server): the tests check what the stores
// report.
func QuietClient() { redis.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// skipExamples adds the examples to -skip when redis-server is missing
// and CI is not set.
func skipExamples() {
	if _, err := exec.LookPath("redis-server"); err == nil || os.Getenv("CI") != "" {
		return
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	f := flag.Lookup("test.skip")
	if f == nil {
		return
	}
	switch v := f.Value.String(); {
	case v == "":
		f.Value.Set("^Example")
	case !strings.Contains(v, "/"): // a pattern of subtests cannot take an alternative
		f.Value.Set(v + "|^Example")
	default:
		return
	}
	fmt.Fprintln(os.Stderr, "redistest: "+Missing+"; the examples that need it are left out")
}

// tail keeps the last lines of a log.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 20 {
		t.lines = t.lines[len(t.lines)-20:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
