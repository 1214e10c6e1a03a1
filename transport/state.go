package transport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"

	"github.com/wxmaterial/wxmaterial/material"
)

// call is the state of one logical call across its attempts. It rides in
// the request context, the only per-request channel go-retryablehttp gives
// its hooks.
type call struct {
	op         string
	write      bool // the call changes state on the server
	replayable bool // the body can be produced again

	mu     sync.Mutex
	send   int     // the current send (an attempt, or a token replay within one)
	traced bool    // the current send reported a connection attempt (httptrace GetConn)
	conn   bool    // ...and got a connection (httptrace GotConn): bytes may have reached the server
	done   bool    // the current send's whole body left this side
	local  error   // reading the current send's body failed on this side
	opened error   // opening the body for an attempt failed (before any send)
	last   outcome // judge's verdict on the last attempt
	body   []byte  // the decoded JSON reply
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// begin starts a new send of req and returns a copy of it that reports to
// c: a connection obtained (httptrace) and the body leaving this side in
// full, or failing to be read.
func (c *call) begin(req *http.Request) *http.Request {
	c.mu.Lock()
	c.send++
	n := c.send
	c.traced, c.conn, c.local = false, false, nil
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
	return out
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
		replied: replied, complete: c.done, local: c.local != nil || c.opened != nil, err: err}
}

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

// bodyState returns whether the current send's body left in full, and the
// local failure that stopped it, if any.
func (c *call) bodyState() (complete bool, local error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done, c.local
}

func (c *call) openFailed(err error) {
	c.mu.Lock()
	c.opened = err
	c.mu.Unlock()
}

func (c *call) openError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened
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
		return n, io.EOF
	case err == io.EOF:
		return 0, w.fail(fmt.Errorf("the request body ended after %d of its %d bytes: %w", w.size-w.left, w.size, io.ErrUnexpectedEOF))
	}
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
