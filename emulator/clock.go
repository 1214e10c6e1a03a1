package emulator

import (
	"fmt"
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

// The range a FakeClock may read: Unix times on the wire stay positive, and
// every time the emulator stores (up to 3 days later, for temporary media)
// stays within the four-digit years that RFC 3339 and JSON can write.
var (
	clockMin = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	clockMax = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckClockTime reports whether a FakeClock may read t: from 1970-01-01
// to 9000-01-01 UTC, the end excluded. The error says why not.
func CheckClockTime(t time.Time) error {
	if t.Before(clockMin) || !t.Before(clockMax) {
		return fmt.Errorf("emulator: the clock cannot read %s: it reads from %s to %s (excluded)",
			t.UTC().Format(time.RFC3339), clockMin.Format(time.RFC3339), clockMax.Format(time.RFC3339))
	}
	return nil
}

// FakeClock is a Clock that only moves when told to, and only forward: a
// token, medium or job the emulator handed out stays in its past, as on the
// platforms. To start over, Reset the emulator (what it held is forgotten)
// or make a new one on an earlier clock. It reads times from 1970 to 9000
// (see CheckClockTime). It is safe for concurrent use.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a FakeClock reading t. It panics if CheckClockTime
// refuses t.
func NewFakeClock(t time.Time) *FakeClock {
	if err := CheckClockTime(t); err != nil {
		panic(err.Error())
	}
	return &FakeClock{t: t}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d. It panics if d is negative or the
// clock would leave the range CheckClockTime allows; the control API
// answers 400 for the same.
func (c *FakeClock) Advance(d time.Duration) {
	if err := c.advance(d); err != nil {
		panic(err.Error())
	}
}

// Set moves the clock to t. It panics if t is before the clock's current
// time or outside the range CheckClockTime allows; the control API answers
// 400 for the same.
func (c *FakeClock) Set(t time.Time) {
	if err := c.set(t); err != nil {
		panic(err.Error())
	}
}

func (c *FakeClock) advance(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		return fmt.Errorf("emulator: cannot advance the clock by %v: %s", d, backwardsNote)
	}
	return c.setLocked(c.t.Add(d))
}

func (c *FakeClock) set(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.t) {
		return fmt.Errorf("emulator: cannot set the clock to %s, before its time %s: %s",
			t.Format(time.RFC3339Nano), c.t.Format(time.RFC3339Nano), backwardsNote)
	}
	return c.setLocked(t)
}

const backwardsNote = "the clock only moves forward; to go back, start the emulator again on an earlier clock " +
	"(a reset, POST /_emulator/reset or Emulator.Reset, forgets what was handed out but keeps the time)"

func (c *FakeClock) setLocked(t time.Time) error {
	if err := CheckClockTime(t); err != nil {
		return err
	}
	c.t = t
	return nil
}

// chinaTime is the zone in which the platforms' daily and monthly quotas
// reset (natural days in China Standard Time).
var chinaTime = time.FixedZone("CST", 8*60*60)

func dayKey(t time.Time) string   { return t.In(chinaTime).Format("2006-01-02") }
func monthKey(t time.Time) string { return t.In(chinaTime).Format("2006-01") }
