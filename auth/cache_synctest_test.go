package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
)

type tokenResult struct {
	tok string
	err error
}

// slowFetcher blocks until release is closed or its context ends, and
// reports when it ended on ended.
type slowFetcher struct {
	release chan struct{}
	ended   chan error
	calls   atomic.Int32
}

func newSlowFetcher() *slowFetcher {
	return &slowFetcher{release: make(chan struct{}), ended: make(chan error, 10)}
}

func (f *slowFetcher) Key() string { return "test:slow" }

func (f *slowFetcher) Fetch(ctx context.Context, _ string) (auth.Token, error) {
	f.calls.Add(1)
	select {
	case <-f.release:
		f.ended <- nil
		return auth.Token{Value: "SLOW-TOKEN", ExpiresAt: time.Now().Add(2 * time.Hour)}, nil
	case <-ctx.Done():
		f.ended <- ctx.Err()
		return auth.Token{}, ctx.Err()
	}
}

func TestCacheCallerCancelledDuringSlowFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSlowFetcher()
		c := auth.NewCache(f)

		ctx, cancel := context.WithCancel(t.Context())
		impatient := make(chan tokenResult, 1)
		go func() {
			tok, err := c.Token(ctx)
			impatient <- tokenResult{tok, err}
		}()
		patient := make(chan tokenResult, 1)
		go func() {
			tok, err := c.Token(t.Context())
			patient <- tokenResult{tok, err}
		}()

		synctest.Wait() // both callers wait on the one fetch
		select {
		case r := <-impatient:
			t.Fatalf("Token returned %+v before the fetch ended", r)
		default:
		}

		start := time.Now()
		cancel()
		synctest.Wait()
		select {
		case r := <-impatient:
			if !errors.Is(r.err, context.Canceled) || r.tok != "" {
				t.Errorf("cancelled caller got %q, %v; want context.Canceled", r.tok, r.err)
			}
		default:
			t.Fatal("the cancelled caller is still blocked")
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("the cancelled caller returned after %v, want at once", d)
		}

		// The fetch was not cancelled with the caller: it completes for the
		// patient caller, and its token is cached.
		close(f.release)
		if err := <-f.ended; err != nil {
			t.Fatalf("fetch ended with %v", err)
		}
		if r := <-patient; r.err != nil || r.tok != "SLOW-TOKEN" {
			t.Errorf("patient caller got %q, %v", r.tok, r.err)
		}
		if got := mustToken(t, c); got != "SLOW-TOKEN" {
			t.Errorf("Token = %q, want the cached SLOW-TOKEN", got)
		}
		if n := f.calls.Load(); n != 1 {
			t.Errorf("%d fetches, want 1", n)
		}
		// synctest.Test returns only once every goroutine of the bubble has
		// ended: none is left blocked.
	})
}

func TestCacheFetchTimeout(t *testing.T) {
	tests := []struct {
		name string
		opts []auth.CacheOption
		want time.Duration
	}{
		{name: "default", want: auth.DefaultFetchTimeout},
		{name: "WithFetchTimeout", opts: []auth.CacheOption{auth.WithFetchTimeout(5 * time.Second)}, want: 5 * time.Second},
		{name: "non-positive keeps the default", opts: []auth.CacheOption{auth.WithFetchTimeout(-time.Second)}, want: auth.DefaultFetchTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newSlowFetcher()
				c := auth.NewCache(f, tt.opts...)
				start := time.Now()
				_, err := c.Token(t.Context())
				if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within") {
					t.Errorf("Token = %v, want the fetch timeout", err)
				}
				if d := time.Since(start); d != tt.want {
					t.Errorf("gave up after %v, want %v", d, tt.want)
				}
			})
		})
	}
}

func TestCacheFetchOutlivesAllCallersUntilTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newSlowFetcher()
		c := auth.NewCache(f, auth.WithFetchTimeout(10*time.Second))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		if _, err := c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Token = %v, want the caller's deadline", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("caller returned after %v, want 1s", d)
		}
		// Nobody waits any more; the fetch still ends, at its own timeout.
		if err := <-f.ended; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("fetch ended with %v", err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("fetch ended after %v, want 10s", d)
		}
	})
}
