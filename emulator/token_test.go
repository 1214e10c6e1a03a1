package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// countOA makes an authenticated GET business call and returns its errcode.
func (v *env) callOA(token string) int {
	v.t.Helper()
	return v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", token)).code()
}

func (v *env) callWork(token string) int {
	v.t.Helper()
	resp, b := v.get(withToken(v.work+"/cgi-bin/media/get", token, "media_id", "nope"))
	o := decode(v.t, resp, b)
	if c := o.code(); c != 40007 {
		return c
	}
	return 0 // authenticated, then the unknown media id
}

func TestOATokenRotationKeepsPreviousFiveMinutes(t *testing.T) {
	v := newEnv(t)
	first := v.oaToken()
	o := v.getJSON(v.oa + "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret)
	if o.num("expires_in") != 7200 {
		t.Errorf("expires_in = %v, want 7200", o["expires_in"])
	}
	second := o.str("access_token")
	if second == first || len(second) < 100 {
		t.Fatalf("second token %q should be new and long", second)
	}
	if c := v.callOA(first); c != 0 {
		t.Fatalf("previous token right after rotation: errcode %d, want 0", c)
	}
	v.clock.Advance(5*time.Minute - time.Second)
	if c := v.callOA(first); c != 0 {
		t.Fatalf("previous token 4m59s after rotation: errcode %d, want 0", c)
	}
	v.clock.Advance(time.Second)
	if c := v.callOA(first); c != emulator.CodeOAInvalidToken {
		t.Fatalf("previous token 5m after rotation: errcode %d, want %d", c, emulator.CodeOAInvalidToken)
	}
	if c := v.callOA(second); c != 0 {
		t.Fatalf("current token: errcode %d", c)
	}
	// A third fetch kills the first at once if still in its overlap, and
	// starts the second's overlap.
	third := v.oaToken()
	fourth := v.oaToken()
	if c := v.callOA(second); c != emulator.CodeOAInvalidToken {
		t.Errorf("token two rotations old: errcode %d, want %d", c, emulator.CodeOAInvalidToken)
	}
	if c := v.callOA(third); c != 0 {
		t.Errorf("previous token: errcode %d, want 0", c)
	}
	// Expiry after 7200 s.
	v.clock.Advance(7200 * time.Second)
	if c := v.callOA(fourth); c != 42001 {
		t.Errorf("expired token: errcode %d, want 42001", c)
	}
	if got := v.e.TokenFetches(appID).Plain; got != 4 {
		t.Errorf("TokenFetches.Plain = %d, want 4", got)
	}
}

func TestOATokenErrors(t *testing.T) {
	v := newEnv(t)
	base := v.oa + "/cgi-bin/token?"
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"grant_type=client_credential&appid=" + appID + "&secret=wrong", 40125},
		{"grant_type=client_credential&appid=wxnobody&secret=x", 40013},
		{"grant_type=password&appid=" + appID + "&secret=" + appSecret, 40002},
		{"grant_type=client_credential&secret=" + appSecret, 41002},
		{"grant_type=client_credential&appid=" + appID, 41004},
	} {
		if got := v.getJSON(base + tc.query).code(); got != tc.want {
			t.Errorf("%s: errcode %d, want %d", strings.ReplaceAll(tc.query, appSecret, "…"), got, tc.want)
		}
	}
	resp, b := v.post(base+"grant_type=client_credential&appid="+appID+"&secret="+appSecret, "text/plain", []byte("x"))
	wantCode(t, decode(t, resp, b), 43001)
	// Business calls: missing, unknown, and a WeCom token on the OA.
	wantCode(t, v.getJSON(v.oa+"/cgi-bin/material/get_materialcount"), 41001)
	if c := v.callOA("not-a-token"); c != emulator.CodeOAInvalidToken {
		t.Errorf("unknown token: %d", c)
	}
	if c := v.callOA(v.workToken()); c != emulator.CodeOAInvalidToken {
		t.Errorf("WeCom token on the OA: %d", c)
	}
	if c := v.callWork("not-a-token"); c != emulator.CodeWeComInvalidToken {
		t.Errorf("unknown WeCom token: %d", c)
	}
	resp, b = v.get(v.work + "/cgi-bin/media/get?media_id=x")
	wantCode(t, decode(t, resp, b), 41001)
}

func TestOATokenDailyQuota(t *testing.T) {
	q := emulator.DefaultQuotas()
	if q.OATokenPerDay != 2000 {
		t.Fatalf("default OA token quota %d, want 2000", q.OATokenPerDay)
	}
	q.OATokenPerDay = 3
	v := newEnv(t, emulator.WithQuotas(q))
	for range 3 {
		v.oaToken()
	}
	u := v.oa + "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret
	wantCode(t, v.getJSON(u), 45009)
	// Quotas reset at midnight China time (UTC+8): epoch is 18:00 there.
	v.clock.Advance(6 * time.Hour)
	wantCode(t, v.getJSON(u), 0)
}

func TestIPAllowList(t *testing.T) {
	v := newEnv(t)
	must(t, v.e.AddOfficialAccount("wxlocked", "s1", emulator.WithAllowedIPs("203.0.113.0/24")))
	must(t, v.e.AddOfficialAccount("wxopen", "s2", emulator.WithAllowedIPs("127.0.0.1", "::1")))
	o := v.getJSON(v.oa + "/cgi-bin/token?grant_type=client_credential&appid=wxlocked&secret=s1")
	wantCode(t, o, 40164)
	if !strings.Contains(o.str("errmsg"), "127.0.0.1") {
		t.Errorf("40164 errmsg %q should name the caller", o.str("errmsg"))
	}
	wantCode(t, v.postJSON(v.oa+"/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": "wxlocked", "secret": "s1"}), 40164)
	wantCode(t, v.getJSON(v.oa+"/cgi-bin/token?grant_type=client_credential&appid=wxopen&secret=s2"), 0)

	// WeCom: gettoken and business calls answer 60020.
	must(t, v.e.AddWeComAgent(corpID, 1000009, "locked-secret", emulator.WithAllowedIPs("10.0.0.1")))
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret=locked-secret"), 60020)
	tok := v.workToken()
	if c := v.callWork(tok); c != 0 {
		t.Fatalf("allowed agent: %d", c)
	}
	must(t, v.e.AddWeComAgent(corpID, agentID, agentSecret, emulator.WithAllowedIPs("10.0.0.1")))
	if c := v.callWork(tok); c != 60020 {
		t.Errorf("business call from a refused IP: errcode %d, want 60020", c)
	}
}

func stableToken(v *env, force bool) obj {
	v.t.Helper()
	return v.postJSON(v.oa+"/cgi-bin/stable_token", map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": appSecret, "force_refresh": force})
}

func TestStableToken(t *testing.T) {
	v := newEnv(t)
	resp, b := v.get(v.oa + "/cgi-bin/stable_token")
	wantCode(t, decode(t, resp, b), 43002)

	a := stableToken(v, false)
	wantCode(t, a, 0)
	tok := a.str("access_token")
	if a.num("expires_in") != 7200 {
		t.Errorf("first expires_in = %v", a["expires_in"])
	}
	v.clock.Advance(1000 * time.Second)
	b2 := stableToken(v, false)
	if b2.str("access_token") != tok || b2.num("expires_in") != 6200 {
		t.Errorf("normal mode: got %v, want the same token with 6200 s left", b2)
	}
	// Independent of cgi-bin/token: fetching a plain token changes nothing.
	plain := v.oaToken()
	v.oaToken()
	if stableToken(v, false).str("access_token") != tok {
		t.Error("plain token fetches rotated the stable token")
	}
	if c := v.callOA(plain); c != 0 {
		t.Errorf("plain token: %d", c)
	}

	// Forced refresh: a new token, the old one dead at once.
	f := stableToken(v, true)
	wantCode(t, f, 0)
	forced := f.str("access_token")
	if forced == tok {
		t.Fatal("forced refresh returned the same token")
	}
	if c := v.callOA(tok); c != emulator.CodeOAInvalidToken {
		t.Errorf("token replaced by a forced refresh: errcode %d, want %d", c, emulator.CodeOAInvalidToken)
	}
	if c := v.callOA(plain); c != 0 {
		t.Errorf("forced stable refresh killed the plain token: %d", c)
	}
	// Less than 30 s later: refused.
	v.clock.Advance(29 * time.Second)
	wantCode(t, stableToken(v, true), emulator.CodeStableForceTooSoon)
	v.clock.Advance(time.Second)
	wantCode(t, stableToken(v, true), 0)

	// Renewal in the last 5 minutes: a new token, the old one still valid.
	cur := stableToken(v, false).str("access_token")
	v.clock.Advance(7200*time.Second - 4*time.Minute)
	renewed := stableToken(v, false)
	if renewed.str("access_token") == cur || renewed.num("expires_in") != 7200 {
		t.Errorf("near expiry: got %v, want a fresh token", renewed)
	}
	if c := v.callOA(cur); c != 0 {
		t.Errorf("old stable token before its expiry: %d", c)
	}
	v.clock.Advance(4 * time.Minute)
	if c := v.callOA(cur); c != 42001 {
		t.Errorf("old stable token after its expiry: %d, want 42001", c)
	}
}

func TestStableTokenForcedDailyCap(t *testing.T) {
	v := newEnv(t)
	for i := range 20 {
		wantCode(t, stableToken(v, true), 0)
		v.clock.Advance(30 * time.Second)
		_ = i
	}
	wantCode(t, stableToken(v, true), emulator.CodeStableForceDailyCap)
	wantCode(t, stableToken(v, false), 0) // normal mode still works
	v.clock.Advance(24 * time.Hour)
	wantCode(t, stableToken(v, true), 0)
	if got := v.e.TokenFetches(appID).Stable; got != 22 {
		t.Errorf("TokenFetches.Stable = %d, want 22", got)
	}
}

func TestWorkTokenSameWithinValidity(t *testing.T) {
	v := newEnv(t)
	must(t, v.e.AddWeComAgent(corpID, 1000002, "second-agent-secret"))
	u := v.work + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=" + agentSecret
	a := v.getJSON(u)
	wantCode(t, a, 0)
	if a.str("errmsg") != "ok" || a.num("expires_in") != 7200 {
		t.Errorf("gettoken body %v", a)
	}
	v.clock.Advance(100 * time.Second)
	b := v.getJSON(u)
	if b.str("access_token") != a.str("access_token") || b.num("expires_in") != 7100 {
		t.Errorf("second gettoken %v, want the same token with 7100 s left", b)
	}
	other := v.getJSON(v.work + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=second-agent-secret")
	if other.str("access_token") == a.str("access_token") {
		t.Error("two agents share a token")
	}
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret=bad"), 40001)
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid=wwnobody&corpsecret=bad"), 40013)
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpsecret=bad"), 41002)
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+corpID), 41004)

	// Revoked early: business calls answer CodeRevokedToken, gettoken mints anew.
	tok := a.str("access_token")
	if !v.e.RevokeToken(tok) {
		t.Fatal("RevokeToken: unknown token")
	}
	if c := v.callWork(tok); c != emulator.CodeRevokedToken {
		t.Errorf("revoked token: %d", c)
	}
	fresh := v.workToken()
	if fresh == tok {
		t.Error("gettoken returned the revoked token")
	}
	v.clock.Advance(7200 * time.Second)
	if c := v.callWork(fresh); c != 42001 {
		t.Errorf("expired WeCom token: %d, want 42001", c)
	}
	if n := v.e.RevokeAccountTokens(corpID); n == 0 {
		t.Error("RevokeAccountTokens revoked nothing")
	}
	if got := v.e.TokenFetches(corpID).WeCom; got != 4 {
		t.Errorf("TokenFetches.WeCom = %d, want 4", got)
	}
	_ = http.MethodGet
}

func TestWorkTokenDailyQuota(t *testing.T) {
	q := emulator.DefaultQuotas()
	if q.WeComTokenPerDay != 0 {
		t.Fatalf("WeCom token calls are unlimited by default, got %d", q.WeComTokenPerDay)
	}
	q.WeComTokenPerDay = 2
	v := newEnv(t, emulator.WithQuotas(q))
	v.workToken()
	v.workToken()
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret), 45009)
	v.clock.Advance(24 * time.Hour)
	v.workToken()
}
