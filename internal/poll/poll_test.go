package poll_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/internal/poll"
)

// poller answers the states in order and records the (fake) time of each poll.
type poller struct {
	states []string
	errs   []error
	at     []time.Duration
	start  time.Time
}

func (p *poller) poll(ctx context.Context) (string, error) {
	i := len(p.at)
	p.at = append(p.at, time.Since(p.start))
	var err error
	if i < len(p.errs) {
		err = p.errs[i]
	}
	return p.states[min(i, len(p.states)-1)], err
}

var errJobFailed = errors.New("job failed")

// classify retries "running" and transient errors, fails on "failed".
func classify(s string, err error) (bool, error) {
	switch {
	case errors.Is(err, errTransient):
		return true, nil
	case err != nil:
		return false, err
	case s == "running":
		return true, nil
	case s == "failed":
		return false, errJobFailed
	}
	return false, nil
}

var errTransient = errors.New("transient")

func TestWait(t *testing.T) {
	opts := poll.Options{MinDelay: time.Second, MaxDelay: 4 * time.Second}
	tests := []struct {
		name      string
		states    []string
		errs      []error
		opts      poll.Options
		wantState string
		wantErr   error
		wantPolls int
	}{
		{name: "done at once", states: []string{"done"}, opts: opts, wantState: "done", wantPolls: 1},
		{name: "done after running", states: []string{"running", "running", "running", "running", "running", "running", "done"}, opts: opts, wantState: "done", wantPolls: 7},
		{name: "failure is final", states: []string{"running", "failed"}, opts: opts, wantState: "failed", wantErr: errJobFailed, wantPolls: 2},
		{name: "transient poll error retried", states: []string{"", "", "done"}, errs: []error{errTransient, errTransient}, opts: opts, wantState: "done", wantPolls: 3},
		{name: "permanent poll error final", states: []string{""}, errs: []error{context.Canceled}, opts: opts, wantErr: context.Canceled, wantPolls: 1},
		{name: "MaxWait gives up", states: []string{"running"}, opts: poll.Options{MinDelay: time.Second, MaxDelay: 4 * time.Second, MaxWait: 10 * time.Second}, wantState: "", wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &poller{states: tt.states, errs: tt.errs, start: time.Now()}
				got, err := poll.Wait(t.Context(), tt.opts, p.poll, classify)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if got != tt.wantState && tt.wantErr == nil {
					t.Errorf("state = %q, want %q", got, tt.wantState)
				}
				if tt.wantPolls > 0 && len(p.at) != tt.wantPolls {
					t.Errorf("polled %d times, want %d", len(p.at), tt.wantPolls)
				}
				for i := 1; i < len(p.at); i++ {
					d := p.at[i] - p.at[i-1]
					if d < tt.opts.MinDelay || d > tt.opts.MaxDelay {
						t.Errorf("delay before poll %d = %v, want within [%v, %v]", i, d, tt.opts.MinDelay, tt.opts.MaxDelay)
					}
				}
				if tt.opts.MaxWait > 0 {
					if elapsed := time.Since(p.start); elapsed != tt.opts.MaxWait {
						t.Errorf("gave up after %v, want exactly MaxWait %v (never sleeping past the deadline)", elapsed, tt.opts.MaxWait)
					}
				}
			})
		})
	}
}

// TestWaitDelaysGrow checks that the delays double from MinDelay and stop at
// MaxDelay: the lower bound of each is half its nominal value, jitter aside.
func TestWaitDelaysGrow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		states := make([]string, 12)
		for i := range states {
			states[i] = "running"
		}
		states = append(states, "done")
		p := &poller{states: states, start: time.Now()}
		if _, err := poll.Wait(t.Context(), poll.Options{MinDelay: time.Second, MaxDelay: 16 * time.Second}, p.poll, classify); err != nil {
			t.Fatal(err)
		}
		var got []bool // whether each delay lies in its band
		var want []bool
		for i := 1; i < len(p.at); i++ {
			d := p.at[i] - p.at[i-1]
			nominal := min(time.Second<<(i-1), 16*time.Second)
			got = append(got, d >= max(nominal/2, time.Second) && d <= nominal)
			want = append(want, true)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("delays outside their bands (-want +got):\n%s\npoll times: %v", diff, p.at)
		}
	})
}

// TestWaitCancel cancels the context in the middle of a long delay: Wait
// returns at that instant, with the context's error.
func TestWaitCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		p := &poller{states: []string{"running"}, start: time.Now()}
		time.AfterFunc(90*time.Second, cancel)
		_, err := poll.Wait(ctx, poll.Options{MinDelay: time.Minute, MaxDelay: time.Hour}, p.poll, classify)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if elapsed := time.Since(p.start); elapsed != 90*time.Second {
			t.Errorf("returned %v after the start, want at the cancel, 90s", elapsed)
		}
	})
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	for attempt := range 70 {
		d := poll.Backoff(lo, hi, attempt)
		ceil := min(lo<<min(attempt, 20), hi)
		if d < ceil/2 || d > ceil {
			t.Errorf("attempt %d: %v outside [%v, %v]", attempt, d, ceil/2, ceil)
		}
	}
}

// TestPolicyWithDefaults: zero fields take the defaults, a longer first
// delay raises the default longest one, and bad policies are refused.
func TestPolicyWithDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      poll.Policy
		want    poll.Policy
		wantErr bool
	}{
		{name: "zero", in: poll.Policy{},
			want: poll.Policy{Attempts: poll.DefaultAttempts, MinDelay: poll.DefaultMinDelay, MaxDelay: poll.DefaultMaxDelay}},
		{name: "given", in: poll.Policy{Attempts: 1, MinDelay: time.Millisecond, MaxDelay: time.Second},
			want: poll.Policy{Attempts: 1, MinDelay: time.Millisecond, MaxDelay: time.Second}},
		{name: "first delay over the default longest", in: poll.Policy{MinDelay: time.Minute},
			want: poll.Policy{Attempts: poll.DefaultAttempts, MinDelay: time.Minute, MaxDelay: time.Minute}},
		{name: "negative attempts", in: poll.Policy{Attempts: -1}, wantErr: true},
		{name: "negative delay", in: poll.Policy{MaxDelay: -time.Second}, wantErr: true},
		{name: "first delay over the longest", in: poll.Policy{MinDelay: 2 * time.Second, MaxDelay: time.Second}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := tt.in.WithDefaults()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want an error: %v", tt.name, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); !tt.wantErr && diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
