package hostile_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/work"
)

// TestTokenFetchFaults: a token fetch that meets a fault another attempt
// may fix (busy, a per-minute cap, HTTP 429 or 5xx, a dropped or cut
// reply) is retried with the client's retry policy, and the call succeeds;
// one that meets the platform's word on the credentials or the quota is
// not: one token request, and the call fails with that errcode.
func TestTokenFetchFaults(t *testing.T) {
	endpoints := []struct {
		name     string
		platform emulator.Platform
		path     string
		call     func(ctx context.Context, base string) error
	}{
		{name: "token", platform: emulator.OfficialAccount, path: "/cgi-bin/token", call: func(ctx context.Context, base string) error {
			c, err := officialaccount.New(appID, appSecret, officialaccount.WithBaseURL(base+"/oa"), officialaccount.WithRetry(fastRetry))
			if err != nil {
				return err
			}
			_, err = c.Count(ctx)
			return err
		}},
		{name: "stable_token", platform: emulator.OfficialAccount, path: "/cgi-bin/stable_token", call: func(ctx context.Context, base string) error {
			c, err := officialaccount.New(appID, appSecret, officialaccount.WithBaseURL(base+"/oa"), officialaccount.WithRetry(fastRetry), officialaccount.WithStableToken())
			if err != nil {
				return err
			}
			_, err = c.Count(ctx)
			return err
		}},
		{name: "gettoken", platform: emulator.WeCom, path: "/cgi-bin/gettoken", call: func(ctx context.Context, base string) error {
			c, err := work.New(corpID, agentID, corpSecret, work.WithBaseURL(base+"/work"), work.WithRetry(fastRetry))
			if err != nil {
				return err
			}
			_, err = c.UploadImage(ctx, sample(material.KindImage))
			return err
		}},
	}
	faults := []struct {
		name       string
		action     emulator.FaultAction
		times      int
		oaOnly     bool
		wcOnly     bool
		wantCode   int // the errcode the call fails with
		wantStatus int // or the HTTP status; neither: it succeeds
		wantReqs   int // token requests
	}{
		{name: "busy once", action: emulator.Errcode(-1, ""), wantReqs: 2},
		{name: "busy three times", action: emulator.Errcode(-1, ""), times: 3, wantReqs: 4},
		{name: "busy four times", action: emulator.Errcode(-1, ""), times: 4, wantCode: -1, wantReqs: 4},
		{name: "per-minute cap once", action: emulator.Errcode(45011, ""), oaOnly: true, wantReqs: 2},
		{name: "concurrency limit once", action: emulator.Errcode(45033, ""), wcOnly: true, wantReqs: 2},
		{name: "HTTP 502 once", action: emulator.Status(502), wantReqs: 2},
		{name: "HTTP 429 once", action: emulator.Status(429), wantReqs: 2},
		{name: "dropped before a reply", action: emulator.DropResponse(0), wantReqs: 2},
		{name: "reply cut off", action: emulator.TruncateBody(10), wantReqs: 2},
		{name: "invalid credential", action: emulator.Errcode(40001, ""), wantCode: 40001, wantReqs: 1},
		{name: "invalid app id", action: emulator.Errcode(40013, ""), wantCode: 40013, wantReqs: 1},
		{name: "invalid secret", action: emulator.Errcode(40125, ""), oaOnly: true, wantCode: 40125, wantReqs: 1},
		{name: "missing app id", action: emulator.Errcode(41002, ""), wantCode: 41002, wantReqs: 1},
		{name: "missing secret", action: emulator.Errcode(41004, ""), wantCode: 41004, wantReqs: 1},
		{name: "IP not allowed", action: emulator.Errcode(40164, ""), oaOnly: true, wantCode: 40164, wantReqs: 1},
		{name: "daily quota", action: emulator.Errcode(45009, ""), wantCode: 45009, wantReqs: 1},
		{name: "admin confirmation pending", action: emulator.Errcode(89503, ""), oaOnly: true, wantCode: 89503, wantReqs: 1},
		{name: "HTTP 404", action: emulator.Status(404), wantReqs: 1, wantStatus: 404},
	}
	for _, ep := range endpoints {
		for _, f := range faults {
			if (f.oaOnly && ep.platform != emulator.OfficialAccount) || (f.wcOnly && ep.platform != emulator.WeCom) {
				continue
			}
			t.Run(ep.name+"/"+f.name, func(t *testing.T) {
				emu := emulator.New()
				t.Cleanup(func() { emu.Close() })
				if err := emu.AddOfficialAccount(appID, appSecret); err != nil {
					t.Fatal(err)
				}
				if err := emu.AddWeComAgent(corpID, agentID, corpSecret); err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(emu)
				t.Cleanup(srv.Close)
				emu.Inject(emulator.Fault{Platform: ep.platform, Path: ep.path, Times: max(f.times, 1), Action: f.action})
				err := ep.call(t.Context(), srv.URL)
				var apiErr *material.APIError
				switch {
				case f.wantCode == 0 && f.wantStatus == 0 && err != nil:
					t.Errorf("err = %v, want success after the retry", err)
				case f.wantStatus != 0 && (!errors.As(err, &apiErr) || apiErr.HTTPStatus != f.wantStatus):
					t.Errorf("err = %v, want HTTP %d", err, f.wantStatus)
				case f.wantCode != 0 && (!errors.As(err, &apiErr) || apiErr.Code != f.wantCode):
					t.Errorf("err = %v, want errcode %d", err, f.wantCode)
				}
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				if err := emu.Settle(ctx); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, r := range emu.Requests() {
					if r.Path == ep.path {
						n++
					}
				}
				if n != f.wantReqs {
					t.Errorf("%s received %d requests, want %d", ep.path, n, f.wantReqs)
				}
			})
		}
	}
}
