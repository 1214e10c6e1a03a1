// Package emutest starts the emulator for the tests of code that works
// across accounts and platforms (material.Copy, the upload-once wrapper):
// one emulator over real HTTP on a fake clock, two Official Accounts and a
// WeCom agent, and a client of each.
package emutest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// The accounts of an Env.
const (
	AppID       = "wx00000000000000a1"
	AppSecret   = "emutest-secret-a-0123456789abcdef"
	AppID2      = "wx00000000000000b2"
	AppSecret2  = "emutest-secret-b-0123456789abcdef"
	CorpID      = "ww00000000000000c3"
	AgentID     = int64(1000005)
	AgentSecret = "emutest-agent-secret-0123456789abcdefghijkl"
)

// Start is the emulator's clock when an Env starts.
var Start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// Env is an emulator on a loopback server and a client of each account.
type Env struct {
	Emu   *emulator.Emulator
	Clock *emulator.FakeClock
	URL   string                  // the server's base URL
	OA    *officialaccount.Client // AppID
	OA2   *officialaccount.Client // AppID2
	WeCom *work.Client            // CorpID, AgentID
}

// fastRetry keeps retries to milliseconds.
var fastRetry = transport.RetryPolicy{MaxAttempts: 4, MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

// New starts an emulator with opts, registers the accounts and returns
// clients of them; everything is closed when t ends.
func New(t testing.TB, opts ...emulator.Option) *Env {
	t.Helper()
	clock := emulator.NewFakeClock(Start)
	emu := emulator.New(append([]emulator.Option{emulator.WithClock(clock)}, opts...)...)
	t.Cleanup(func() { emu.Close() })
	for _, a := range [][2]string{{AppID, AppSecret}, {AppID2, AppSecret2}} {
		if err := emu.AddOfficialAccount(a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := emu.AddWeComAgent(CorpID, AgentID, AgentSecret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	e := &Env{Emu: emu, Clock: clock, URL: srv.URL}
	oa := func(appID, secret string) *officialaccount.Client {
		c, err := officialaccount.New(appID, secret, officialaccount.WithBaseURL(srv.URL+"/oa"), officialaccount.WithHTTPClient(hc),
			officialaccount.WithClock(clock.Now), officialaccount.WithRetry(fastRetry))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e.OA, e.OA2 = oa(AppID, AppSecret), oa(AppID2, AppSecret2)
	wc, err := work.New(CorpID, AgentID, AgentSecret, work.WithBaseURL(srv.URL+"/work"), work.WithHTTPClient(hc),
		work.WithClock(clock.Now), work.WithRetry(fastRetry), work.WithWait(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.WeCom = wc
	return e
}

// Requests returns the emulator's request log once every request answered
// so far is in it.
func (e *Env) Requests(t testing.TB) []emulator.Request {
	t.Helper()
	if err := e.Emu.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e.Emu.Requests()
}

// Calls returns the logged requests of the endpoint path (e.g.
// "/cgi-bin/media/upload") on platform p.
func (e *Env) Calls(t testing.TB, p emulator.Platform, path string) []emulator.Request {
	t.Helper()
	var out []emulator.Request
	for _, r := range e.Requests(t) {
		if r.Platform == p && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}
