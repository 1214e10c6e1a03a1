package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/poll"
	"github.com/wxmaterial/wxmaterial/material"
)

// RetryPolicy says how often and how patiently a call is retried.
//
// Reads are retried on connection errors, replies cut off, HTTP 429 and
// 5xx, and the platforms' busy and rate-limit codes (-1, 45011, 45033);
// not on a reply that came whole and is wrong (not JSON, without a field
// every success holds, a 206 that does not answer the request): another
// attempt would be answered the same way.
// Writes are retried only when the platform provably did not act: those
// codes in an HTTP 200 reply, or no connection obtained for the request
// (HTTP 429 and 5xx to a write are not retried); and only when their body
// can be produced again. A rejected token is not a retry: the call is
// replayed once with a new token, outside this count.
type RetryPolicy struct {
	MaxAttempts int           // attempts per call, the first included; default 4; 1 disables retries
	MinDelay    time.Duration // first backoff; default 500 ms
	MaxDelay    time.Duration // longest backoff; default 8 s
}

// Default retry settings.
const (
	DefaultMaxAttempts = poll.DefaultAttempts
	DefaultMinDelay    = poll.DefaultMinDelay
	DefaultMaxDelay    = poll.DefaultMaxDelay
)

func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	q, err := poll.Policy{Attempts: p.MaxAttempts, MinDelay: p.MinDelay, MaxDelay: p.MaxDelay}.WithDefaults()
	if err != nil {
		return p, fmt.Errorf("transport: retry policy: %w: %w", err, material.ErrInvalidInput)
	}
	return RetryPolicy{MaxAttempts: q.Attempts, MinDelay: q.MinDelay, MaxDelay: q.MaxDelay}, nil
}

// backoff is exponential from MinDelay, capped at MaxDelay, with jitter
// (a random point in the upper half), and honours Retry-After on 429/503.
func (p RetryPolicy) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	return poll.RetryDelay(lo, hi, attempt, resp)
}

// checkRetry is go-retryablehttp's CheckRetry. It is asked once with the
// transport's outcome and, when a reply arrived, once more with the
// response handler's verdict on it: each attempt is judged once, on the
// last of these (see judge), the verdict kept for finalError and the
// attempt told to the Observer.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cl := callFrom(ctx)
	if cl == nil {
		return false, err
	}
	if err == nil && resp != nil && cl.awaitsHandler() {
		return false, nil // a reply: the response handler judges it, then asks again
	}
	o := judge(cl.attempt(c.platform, resp != nil, err))
	cl.setOutcome(o)
	cl.observeAttempt(ctx, resp, err, o)
	if err == nil || ctx.Err() != nil || !o.again || !cl.replayable {
		return false, err
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "wxmaterial retry",
		slog.String("platform", string(c.platform)), slog.String("op", cl.op), slog.String("reason", retryReason(err)))
	return true, err
}

func retryReason(err error) string {
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		if apiErr.Code != 0 {
			return "errcode " + strconv.Itoa(apiErr.Code)
		}
		return "HTTP " + strconv.Itoa(apiErr.HTTPStatus)
	}
	return "connection error"
}
