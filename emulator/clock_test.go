package emulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// TestControlClockRefusals: over HTTP, a move backwards or out of the
// years 1970 to 9000 is refused with 400 and leaves the clock, and every
// reply that shows a time, as they were.
func TestControlClockRefusals(t *testing.T) {
	v := newControlEnv(t)
	late := time.Date(8999, 12, 31, 23, 0, 0, 0, time.UTC)
	v.ctlOK("POST", "/_emulator/clock", `{"set":"8999-12-31T23:00:00Z"}`, nil)
	tests := []struct {
		name, body string
		want       string
	}{
		{name: "advance past 9000", body: `{"advance":"2h"}`, want: "cannot read 9000-01-01T01:00:00Z: it reads from 1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z"},
		{name: "advance to 9000 exactly", body: `{"advance":"1h"}`, want: "cannot read 9000-01-01T00:00:00Z"},
		{name: "set past 9999", body: `{"set":"9999-12-31T23:00:00Z"}`, want: "cannot read 9999-12-31T23:00:00Z"},
		{name: "set past 9999 by its zone", body: `{"set":"9999-12-31T23:00:00-14:00"}`, want: "cannot read 10000-01-01T13:00:00Z"},
		{name: "advance backwards", body: `{"advance":"-1h"}`, want: "cannot advance the clock by -1h0m0s: the clock only moves forward; to go back, start the emulator again on an earlier clock"},
		{name: "advance backwards in seconds", body: `{"advance":-0.5}`, want: "the clock only moves forward"},
		{name: "set backwards", body: `{"set":"2030-01-02T03:04:05Z"}`, want: "cannot set the clock to 2030-01-02T03:04:05Z, before its time 8999-12-31T23:00:00Z: the clock only moves forward"},
		{name: "set before 1970", body: `{"set":"0001-01-01T00:00:00Z"}`, want: "the clock only moves forward"},
		{name: "an absurd number", body: `{"advance":1e300}`, want: "duration 1e300"},
		{name: "the largest duration", body: `{"advance":"2562047h"}`, want: "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.ctlError("POST", "/_emulator/clock", tt.body, http.StatusBadRequest, tt.want)
			if now := v.clock.Now(); !now.Equal(late) {
				t.Fatalf("after a refused move the clock reads %v, want %v", now, late)
			}
		})
	}
	// Every route that shows times still answers, a call logged and a
	// medium stored at the latest time included.
	tok := v.oaToken()
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("a.png", pngBytes(t, 4, 4))), 0)
	v.ctlOK("POST", "/_emulator/settle", nil, nil)
	v.ctlOK("POST", "/_emulator/clock", `{"advance":"59m59s"}`, nil)
	for _, path := range []string{"/_emulator/health", "/_emulator/clock", "/_emulator/requests", "/_emulator/media?expired=true", "/_emulator/faults"} {
		v.ctlOK("GET", path, nil, nil)
	}
	// Forward within the range still works, to the last second.
	var clock struct{ Now time.Time }
	v.ctlOK("POST", "/_emulator/clock", `{"advance":"0s"}`, &clock)
	if want := time.Date(8999, 12, 31, 23, 59, 59, 0, time.UTC); !clock.Now.Equal(want) {
		t.Errorf("clock reads %v, want %v", clock.Now, want)
	}
}

// TestFakeClockRefusals: the Go API refuses what the control API refuses,
// by panicking (a test moving time backwards is a bug in the test), and
// leaves the clock as it was.
func TestFakeClockRefusals(t *testing.T) {
	late := time.Date(8999, 12, 31, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		start time.Time // epoch if zero
		move  func(c *emulator.FakeClock)
		want  string
	}{
		{name: "advance backwards", move: func(c *emulator.FakeClock) { c.Advance(-time.Nanosecond) }, want: "the clock only moves forward"},
		{name: "set backwards", move: func(c *emulator.FakeClock) { c.Set(epoch.Add(-time.Second)) }, want: "before its time"},
		{name: "advance past 9000", start: late, move: func(c *emulator.FakeClock) { c.Advance(2 * time.Hour) }, want: "cannot read 9000-01-01T01:00:00Z"},
		{name: "set past 9000", move: func(c *emulator.FakeClock) { c.Set(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)) }, want: "cannot read 9000-01-01T00:00:00Z"},
		{name: "start past 9000", move: func(*emulator.FakeClock) { emulator.NewFakeClock(time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)) }, want: "cannot read 9999"},
		{name: "start at the zero time", move: func(*emulator.FakeClock) { emulator.NewFakeClock(time.Time{}) }, want: "cannot read 0001-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := epoch
			if !tt.start.IsZero() {
				start = tt.start
			}
			c := emulator.NewFakeClock(start)
			got := panicOf(func() { tt.move(c) })
			if !strings.Contains(got, tt.want) {
				t.Errorf("panic %q, want one containing %q", got, tt.want)
			}
			if !c.Now().Equal(start) {
				t.Errorf("after a refused move the clock reads %v", c.Now())
			}
		})
	}
	c := emulator.NewFakeClock(time.Unix(0, 0))
	c.Advance(0)
	c.Set(c.Now())
	c.Set(time.Date(8999, 12, 31, 23, 59, 59, 999999999, time.UTC))
	if err := emulator.CheckClockTime(c.Now()); err != nil {
		t.Errorf("CheckClockTime(%v): %v", c.Now(), err)
	}
}

func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// TestTokenLifetimeAfterReopeningEarlier: state kept in a data directory
// and reopened on an earlier clock still answers expires_in within a fresh
// token's 7200 seconds.
func TestTokenLifetimeAfterReopeningEarlier(t *testing.T) {
	dir := t.TempDir()
	stable := map[string]any{"grant_type": "client_credential", "appid": appID, "secret": appSecret}
	later := newEnv(t, emulator.WithDir(dir), emulator.WithClock(emulator.NewFakeClock(epoch.AddDate(1, 0, 0))))
	wantCode(t, later.postJSON(later.oa+"/cgi-bin/stable_token", stable), 0)
	wantCode(t, later.getJSON(later.work+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret), 0)
	later.srv.Close()
	must(t, later.e.Close())

	v := newEnv(t, emulator.WithDir(dir)) // on epoch, a year earlier
	for name, o := range map[string]obj{
		"stable_token": v.postJSON(v.oa+"/cgi-bin/stable_token", stable),
		"gettoken":     v.getJSON(v.work + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=" + agentSecret),
	} {
		wantCode(t, o, 0)
		if n := o.num("expires_in"); n <= 0 || n > 7200 {
			t.Errorf("%s after reopening a year earlier: expires_in %d, want 1 to 7200", name, n)
		}
	}
}
