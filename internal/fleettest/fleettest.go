// Package fleettest helps the fleet tests of the stores on Redis
// (auth/redisstore, dedup/redisstore): it runs the test binary again as
// child processes that talk with the test one line at a time over stdin
// and stdout, receives from a channel without hanging, and collects log
// lines. A test package that starts children tells them from its own runs
// by an environment variable its TestMain looks at.
package fleettest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds the waits of this package: for a child's line, for a
// value on a channel, for a child to exit once told to.
const waitTimeout = 60 * time.Second

// Proc is a child process: the test binary run again.
type Proc struct {
	Cmd    *exec.Cmd
	In     io.WriteCloser // its stdin
	Lines  chan string    // its stdout, line by line; closed when it ends
	Stderr *LogBuffer
}

// Start starts n children of the test binary with the test's environment
// plus env, and stops them when t ends: it closes their stdin, all at
// once (a child built with -race takes a second to exit), waits for each
// to exit, killing one that takes over 10 seconds, and logs their stderr
// if t failed.
func Start(t testing.TB, n int, env ...string) []*Proc {
	t.Helper()
	procs := make([]*Proc, 0, n)
	t.Cleanup(func() {
		for _, p := range procs {
			p.In.Close()
		}
		for _, p := range procs {
			done := make(chan error, 1)
			go func() { done <- p.Cmd.Wait() }()
			timer := time.NewTimer(10 * time.Second)
			select {
			case <-done:
			case <-timer.C:
				p.Cmd.Process.Kill()
				<-done
			}
			timer.Stop()
			if t.Failed() {
				t.Logf("child %d stderr:\n%s", p.Cmd.Process.Pid, p.Stderr)
			}
		}
	})
	for range n {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), env...)
		p := &Proc{Cmd: cmd, Lines: make(chan string, 16), Stderr: &LogBuffer{}}
		cmd.Stderr = p.Stderr
		var err error
		if p.In, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				p.Lines <- sc.Text()
			}
			close(p.Lines)
		}()
		procs = append(procs, p)
	}
	return procs
}

// Send writes line to the child's stdin.
func (p *Proc) Send(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(p.In, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// Next returns the child's next line, failing t if it exited.
func (p *Proc) Next(t testing.TB) string {
	t.Helper()
	line, ok := ReceiveOK(t, p.Lines, "a line from a child")
	if !ok {
		t.Fatalf("child %d exited; stderr:\n%s", p.Cmd.Process.Pid, p.Stderr)
	}
	return line
}

// Say returns a function that writes a line to stdout, as a child answers
// the test, safe for concurrent use.
func Say() func(format string, args ...any) {
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		out.WriteString(strings.TrimSuffix(fmt.Sprintf(format, args...), "\n") + "\n")
		out.Flush()
	}
}

// Receive waits for a value on ch, failing t after a generous deadline
// rather than hanging.
func Receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	v, _ := ReceiveOK(t, ch, what)
	return v
}

// ReceiveOK is Receive that also reports whether ch was open.
func ReceiveOK[T any](t testing.TB, ch <-chan T, what string) (T, bool) {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-timer.C:
		t.Fatalf("no %s within %v", what, waitTimeout)
		panic("unreachable")
	}
}

// LogBuffer is a buffer safe for concurrent use, for a test's logger or a
// child's stderr.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Count returns how many times s was logged.
func (l *LogBuffer) Count(s string) int { return strings.Count(l.String(), s) }

// NewLogger returns a text logger of every level into a new LogBuffer.
func NewLogger() (*slog.Logger, *LogBuffer) {
	b := &LogBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}
