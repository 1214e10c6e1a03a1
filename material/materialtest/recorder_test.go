package materialtest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a tb that records failures instead of reporting them, so a
// test can run the suite on a broken implementation and assert that it
// fails, and where. Fatal and Skip end the subtest's goroutine as testing
// does; a panic fails the subtest instead of the test binary. Methods it
// does not define (TempDir, Setenv...) go to the real test.
type recorder struct {
	testing.TB
	name   string
	report *report
	parent *recorder

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	failed   bool
	skipped  bool
	cleanups []func()
}

// report is what a recorded run found.
type report struct {
	mu       sync.Mutex
	failures map[string][]string // leaf subtest name -> messages
	ran      []string            // every subtest, in order
	skipped  []string
}

// record runs f with a recorder under the real test t.
func record(t *testing.T, f func(t tb)) *report {
	rep := &report{failures: map[string][]string{}}
	root := newRecorder(t, "", rep, nil)
	root.run(f)
	return rep
}

func newRecorder(t testing.TB, name string, rep *report, parent *recorder) *recorder {
	ctx, cancel := context.WithCancel(context.Background())
	return &recorder{TB: t, name: name, report: rep, parent: parent, ctx: ctx, cancel: cancel}
}

// run runs f in a goroutine of its own, as testing does, so that Fatal and
// Skip can end it with runtime.Goexit.
func (r *recorder) run(f func(t tb)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.finish()
		defer func() {
			if p := recover(); p != nil {
				r.fail(fmt.Sprintf("panic: %v", p))
			}
		}()
		f(r)
	}()
	<-done
}

// finish runs the clean-ups, newest first, and ends the context.
func (r *recorder) finish() {
	r.cancel()
	r.mu.Lock()
	cs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for _, c := range slices.Backward(cs) {
		c()
	}
}

func (r *recorder) Run(name string, f func(t tb)) bool {
	full := name
	if r.name != "" {
		full = r.name + "/" + name
	}
	r.report.mu.Lock()
	r.report.ran = append(r.report.ran, full)
	r.report.mu.Unlock()
	child := newRecorder(r.TB, full, r.report, r)
	child.run(f)
	return !child.Failed()
}

func (r *recorder) fail(msg string) {
	r.report.mu.Lock()
	r.report.failures[r.name] = append(r.report.failures[r.name], msg)
	r.report.mu.Unlock()
	for p := r; p != nil; p = p.parent {
		p.mu.Lock()
		p.failed = true
		p.mu.Unlock()
	}
}

func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Context() context.Context          { return r.ctx }
func (r *recorder) Log(args ...any)                   {}
func (r *recorder) Logf(format string, args ...any)   {}
func (r *recorder) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Fail()                             { r.fail("Fail") }
func (r *recorder) FailNow()                          { r.fail("FailNow"); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Skip(args ...any)                  { r.SkipNow() }
func (r *recorder) Skipf(format string, args ...any)  { r.SkipNow() }

func (r *recorder) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	r.report.mu.Lock()
	r.report.skipped = append(r.report.skipped, r.name)
	r.report.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// failed returns the names of the subtests that failed themselves (not
// only through a child), sorted.
func (rep *report) failed() []string {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	var names []string
	for name := range rep.failures {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// String lists the failures, for test messages.
func (rep *report) String() string {
	var b strings.Builder
	for _, name := range rep.failed() {
		fmt.Fprintf(&b, "  %s:\n", name)
		for _, m := range rep.failures[name] {
			fmt.Fprintf(&b, "    %s\n", m)
		}
	}
	return b.String()
}

// TestRecorder checks the recorder itself: failures are recorded under the
// subtest that reported them, Fatal and Skip end only their subtest,
// panics are failures, clean-ups run newest first.
func TestRecorder(t *testing.T) {
	var order []string
	rep := record(t, func(t tb) {
		t.Run("passes", func(t tb) {
			t.Cleanup(func() { order = append(order, "first") })
			t.Cleanup(func() { order = append(order, "second") })
		})
		t.Run("errors", func(t tb) { t.Errorf("one %d", 1); t.Error("two") })
		t.Run("fatal", func(t tb) {
			t.Fatalf("stop")
			t.Errorf("not reached")
		})
		t.Run("skips", func(t tb) {
			t.Skip("why")
			t.Errorf("not reached")
		})
		t.Run("nested", func(t tb) {
			if t.Run("inner", func(t tb) { t.Fail() }) {
				t.Errorf("Run reported success for a failed subtest")
			}
		})
		t.Run("panics", func(t tb) { panic("boom") })
		t.Run("context", func(t tb) {
			ctx := t.Context()
			t.Cleanup(func() {
				if ctx.Err() == nil {
					t.Errorf("the context is still live during clean-up")
				}
			})
		})
	})
	want := map[string][]string{
		"errors":       {"one 1", "two"},
		"fatal":        {"stop"},
		"nested/inner": {"Fail"},
		"panics":       {"panic: boom"},
	}
	if !equalFailures(rep.failures, want) {
		t.Errorf("failures = %v, want %v", rep.failures, want)
	}
	if !slices.Equal(order, []string{"second", "first"}) {
		t.Errorf("clean-ups ran in the order %q, want second, first", order)
	}
	if !slices.Equal(rep.skipped, []string{"skips"}) {
		t.Errorf("skipped = %q, want skips", rep.skipped)
	}
}

func equalFailures(got, want map[string][]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			return false
		}
	}
	return true
}
