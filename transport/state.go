package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// call is the state of one call across its attempts, and the only
// per-call state there is. go-retryablehttp's hooks (CheckRetry, the
// request and response hooks) and the token transport get nothing but the
// request, so it rides in the request's context (withCall, callFrom).
//
// It answers three questions:
//   - may the call be sent again, and may a failed write have been
//     applied (judge, in writes.go): what became of the current send (a
//     connection obtained, the body sent in full or failing on this side);
//   - did the reply reach the response handler yet (handled), so that
//     CheckRetry judges each attempt once;
//   - what the Observer is told (the tally), kept only when there is one.
type call struct {
	op         string // the endpoint, for errors: the path without its leading slash
	write      bool   // the call changes state on the server
	replayable bool   // the body can be produced again

	mu      sync.Mutex
	send    int     // the current send (an attempt, or a token replay within one)
	traced  bool    // the current send reported a connection attempt (httptrace GetConn)
	conn    bool    // ...and got a connection (httptrace GotConn): bytes may have reached the server
	done    bool    // the current send's whole body left this side
	local   error   // reading the current send's body failed on this side
	decl    decline // what the current send's reply said (declined), when one came
	handled bool    // the response handler has judged the current attempt's reply
	last    outcome // judge's verdict on the last attempt

	obs *tally // nil without an Observer
}

// tally is what an Observer is told about a call; guarded by call.mu.
type tally struct {
	o         Observer
	event     Event     // the call's event, filled in as it goes
	start     time.Time // of the call
	attemptAt time.Time // of the current attempt
	attempt   Event     // the current attempt's event
	reported  bool      // the call's event was sent
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// startAttempt begins attempt n (from 1).
func (c *call) startAttempt(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handled = false
	if t := c.obs; t != nil {
		t.attemptAt = time.Now()
		t.attempt = Event{Kind: EventAttempt, Platform: t.event.Platform, Operation: t.event.Operation, Path: t.event.Path, Attempt: n}
		t.event.Attempt = n
	}
}

// begin starts a new send of req and returns a copy of it that reports to
// c (a connection obtained (httptrace) and the body leaving this side in
// full, or failing to be read), and the send's number.
func (c *call) begin(req *http.Request) (*http.Request, int) {
	c.mu.Lock()
	c.send++
	n := c.send
	c.traced, c.conn, c.local, c.decl = false, false, nil, notDeclined
	c.done = req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0
	c.mu.Unlock()

	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GetConn: func(string) { c.mark(n, func() { c.traced = true }) },
		GotConn: func(httptrace.GotConnInfo) { c.mark(n, func() { c.traced, c.conn = true, true }) },
	})
	out := req.Clone(ctx)
	if !c.done {
		out.Body = &watchedBody{rc: req.Body, left: req.ContentLength, size: req.ContentLength, c: c, send: n}
		if get := req.GetBody; get != nil {
			// net/http itself may resend a body that provably was not
			// written (a reused connection that was already closed).
			out.GetBody = func() (io.ReadCloser, error) {
				rc, err := get()
				if err != nil {
					return nil, err
				}
				return &watchedBody{rc: rc, left: req.ContentLength, size: req.ContentLength, c: c, send: n}, nil
			}
		}
	}
	return out, n
}

// mark runs f under the lock if send n is still the current one.
func (c *call) mark(n int, f func()) {
	c.mu.Lock()
	if c.send == n {
		f()
	}
	c.mu.Unlock()
}

// attempt returns the state of the current send, for judge.
func (c *call) attempt(platform material.Platform, replied bool, err error) attempt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return attempt{platform: platform, write: c.write, connected: c.conn, traced: c.traced,
		replied: replied, complete: c.done, local: c.local != nil, declined: c.decl, err: err}
}

// setDeclined records what the reply to send n said.
func (c *call) setDeclined(n int, d decline) { c.mark(n, func() { c.decl = d }) }

func (c *call) setOutcome(o outcome) {
	c.mu.Lock()
	c.last = o
	c.mu.Unlock()
}

func (c *call) outcome() outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// markHandled records that the response handler judged the current reply.
func (c *call) markHandled() {
	c.mu.Lock()
	c.handled = true
	c.mu.Unlock()
}

// awaitsHandler reports a reply the response handler has not judged yet.
func (c *call) awaitsHandler() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.handled
}

// bodyState returns whether the current send's body left in full, and the
// local failure that stopped it, if any.
func (c *call) bodyState() (complete bool, local error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done, c.local
}

// The tally's counters; each does nothing without an Observer.

func (c *call) sentBytes(n int)     { c.countBytes(int64(n), 0) }
func (c *call) receivedBytes(n int) { c.countBytes(0, int64(n)) }

func (c *call) countBytes(sent, received int64) {
	if c.obs == nil || sent+received == 0 {
		return
	}
	c.mu.Lock()
	c.obs.attempt.BytesSent += sent
	c.obs.event.BytesSent += sent
	c.obs.attempt.BytesReceived += received
	c.obs.event.BytesReceived += received
	c.mu.Unlock()
}

func (c *call) tokenRefreshed() {
	if c.obs == nil {
		return
	}
	c.mu.Lock()
	c.obs.attempt.TokenRefreshed = true
	c.obs.event.TokenRefreshed = true
	c.mu.Unlock()
}

// observeAttempt tells the Observer how the current attempt ended: with
// resp (nil when no reply came) and err, judged o.
func (c *call) observeAttempt(ctx context.Context, resp *http.Response, err error, o outcome) {
	if c.obs == nil {
		return
	}
	status, code := 0, 0
	if resp != nil {
		status = resp.StatusCode
	}
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		status, code = apiErr.HTTPStatus, apiErr.Code
	}
	c.mu.Lock()
	t := c.obs
	e := t.attempt
	e.Status, e.Code = status, code
	e.Duration = time.Since(t.attemptAt)
	switch {
	case err == nil:
		e.Class = ClassOK
	case c.local != nil:
		e.Class = ClassInvalidInput
	case o.unknown:
		e.Class = ClassOutcomeUnknown
	default:
		e.Class = ClassOf(err)
	}
	t.event.Status, t.event.Code = status, code
	c.mu.Unlock()
	t.o.Observe(ctx, e)
}

// observeCall tells the Observer how the call ended, once.
func (c *call) observeCall(ctx context.Context, err error) {
	if c.obs == nil {
		return
	}
	c.mu.Lock()
	t := c.obs
	if t.reported {
		c.mu.Unlock()
		return
	}
	t.reported = true
	e := t.event
	e.Duration = time.Since(t.start)
	e.Class = ClassOf(err)
	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		e.Status, e.Code = apiErr.HTTPStatus, apiErr.Code
	}
	c.mu.Unlock()
	t.o.Observe(ctx, e)
}

// countedBody counts the bytes read from a reply's body for the tally.
type countedBody struct {
	rc io.ReadCloser
	c  *call
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.c.receivedBytes(n)
	return n, err
}

func (b *countedBody) Close() error { return b.rc.Close() }

// observedContent is a downloaded file's body: the call's event is sent
// when it has been read to the end, has failed, or is closed.
type observedContent struct {
	rc  io.ReadCloser
	c   *call
	ctx context.Context
}

func (b *observedContent) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.c.observeCall(b.ctx, nil)
	case err != nil:
		b.c.observeCall(b.ctx, err)
	}
	return n, err
}

func (b *observedContent) Close() error {
	err := b.rc.Close()
	b.c.observeCall(b.ctx, nil)
	return err
}

// watchedBody is a request body on its way out. It yields exactly size
// bytes: before handing out the last of them it reads one byte more to
// check that the body ends there, so that a body that is too long, too
// short or fails to be read never leaves this side in full, and the server
// never receives a complete request made of wrong bytes. It tells the call
// when the whole body has been handed out.
type watchedBody struct {
	rc   io.ReadCloser
	left int64
	size int64
	c    *call
	send int
}

func (w *watchedBody) Read(p []byte) (int, error) {
	if w.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	n, err := w.rc.Read(p)
	w.left -= int64(n)
	switch {
	case err != nil && err != io.EOF:
		return 0, w.fail(err)
	case w.left == 0:
		var one [1]byte
		m, perr := io.ReadFull(w.rc, one[:])
		switch {
		case m > 0:
			return 0, w.fail(fmt.Errorf("the request body yields more than its %d bytes", w.size))
		case perr != io.EOF:
			return 0, w.fail(perr)
		}
		w.c.mark(w.send, func() { w.c.done = true })
		w.c.sentBytes(n)
		return n, io.EOF
	case err == io.EOF:
		return 0, w.fail(fmt.Errorf("the request body ended after %d of its %d bytes: %w", w.size-w.left, w.size, io.ErrUnexpectedEOF))
	}
	w.c.sentBytes(n)
	return n, nil
}

// fail records a local failure and returns it.
func (w *watchedBody) fail(err error) error {
	w.left = -1
	w.c.mark(w.send, func() {
		if w.c.local == nil {
			w.c.local = err
		}
	})
	return err
}

func (w *watchedBody) Close() error { return w.rc.Close() }
