package transport

import (
	"context"
	"sync"
)

// call is the state of one logical call across its attempts. It rides in
// the request context, the only per-request channel go-retryablehttp gives
// its hooks.
type call struct {
	op         string
	write      bool // the call changes state on the server
	replayable bool // the body can be produced again
	download   bool // the reply may be file bytes

	mu       sync.Mutex
	retries  int    // retries made so far (token replays excluded)
	sent     bool   // the last attempt's request was written in full
	answered bool   // the last attempt got the first byte of a reply
	body     []byte // the decoded JSON reply
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

func (c *call) setSent(v bool) {
	c.mu.Lock()
	c.sent = v
	if !v {
		c.answered = false // a new attempt
	}
	c.mu.Unlock()
}

func (c *call) setAnswered() {
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
}

// awaiting reports whether the last attempt was sent in full and is still
// waiting for its reply: the server may be acting on it.
func (c *call) awaiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent && !c.answered
}

func (c *call) wasSent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}
