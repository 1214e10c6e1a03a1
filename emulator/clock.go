package emulator

import (
	"sync"
	"time"
)

// Clock tells the emulator what time it is. Token lifetimes, the 3-day life
// of temporary media, daily quotas and the 60-minute life of upload-by-URL
// jobs are all measured on it.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that only moves when told to. It is safe for
// concurrent use.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a FakeClock reading t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backward if d is negative).
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// chinaTime is the zone in which the platforms' daily and monthly quotas
// reset (natural days in China Standard Time).
var chinaTime = time.FixedZone("CST", 8*60*60)

func dayKey(t time.Time) string   { return t.In(chinaTime).Format("2006-01-02") }
func monthKey(t time.Time) string { return t.In(chinaTime).Format("2006-01") }
