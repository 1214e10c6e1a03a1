// Package poll holds the waits of the clients: the jittered exponential
// backoff between retries, and Wait, which polls an asynchronous job until
// it ends, in the manner of aws-sdk-go-v2's waiters.
package poll

import (
	"context"
	"math/rand/v2"
	"time"
)

// Options bound a Wait.
type Options struct {
	MinDelay time.Duration // first delay between polls; default 1 s
	MaxDelay time.Duration // longest delay between polls; default 30 s
	MaxWait  time.Duration // give up after this long (context.DeadlineExceeded); 0 means only ctx bounds it
}

// Wait polls until classify says the state is final, in the manner of
// aws-sdk-go-v2's waiters. After each poll, classify returns retry=true to
// poll again, or the final error (nil for success). Delays grow from MinDelay
// to MaxDelay with jitter (never below MinDelay); it gives up at the deadline
// rather than sleep past it or poll as it expires, and every wait honours
// ctx: cancelling it returns promptly with its error.
func Wait[T any](ctx context.Context, opts Options, poll func(context.Context) (T, error), classify func(T, error) (retry bool, err error)) (T, error) {
	if opts.MinDelay <= 0 {
		opts.MinDelay = time.Second
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = max(30*time.Second, opts.MinDelay)
	}
	if opts.MaxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.MaxWait)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 && ctx.Err() != nil {
			var zero T
			return zero, context.Cause(ctx)
		}
		v, err := poll(ctx)
		retry, err := classify(v, err)
		if !retry {
			return v, err
		}
		d := max(Backoff(opts.MinDelay, opts.MaxDelay, attempt), opts.MinDelay)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
			// The deadline comes first: a poll then would be cut short.
			<-ctx.Done()
			var zero T
			return zero, context.Cause(ctx)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			var zero T
			return zero, context.Cause(ctx)
		case <-t.C:
		}
	}
}

// Backoff returns the delay before retry number attempt (from 0):
// lo·2^attempt capped at hi, jittered into its upper half.
func Backoff(lo, hi time.Duration, attempt int) time.Duration {
	d := hi
	if attempt < 62 && lo<<attempt > 0 && lo<<attempt < hi {
		d = lo << attempt
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
