package officialaccount_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// fetchToken gets a plain token behind the client's back, as another
// process would, which rotates the client's token out.
func fetchToken(t *testing.T, e *env) string {
	t.Helper()
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	resp, err := http.Get(e.srv.URL + "/oa/cgi-bin/token?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.AccessToken == "" {
		t.Fatalf("fetching a token: %v", err)
	}
	return v.AccessToken
}

// errcodes lists the errcodes the emulator answered on path.
func errcodes(e *env, path string) []int {
	var out []int
	for _, r := range e.calls(path) {
		out = append(out, r.Errcode)
	}
	return out
}

func TestTokenRefreshedAndReplayed(t *testing.T) {
	_, png := sample(t, material.KindImage)
	tests := []struct {
		name   string
		stable bool
		// spoil makes the client's current token fail, mid-run.
		spoil     func(t *testing.T, e *env)
		wantCodes []int // the errcodes add_material answered
	}{
		{
			name:      "plain token rotated out by two fetches elsewhere",
			spoil:     func(t *testing.T, e *env) { fetchToken(t, e); fetchToken(t, e) },
			wantCodes: []int{emulator.CodeOAInvalidToken, 0},
		},
		{
			name:      "plain token revoked",
			spoil:     func(t *testing.T, e *env) { e.emu.RevokeAccountTokens(testAppID) },
			wantCodes: []int{emulator.CodeRevokedToken, 0},
		},
		{
			name: "plain token revoked while the upload is on the wire",
			spoil: func(t *testing.T, e *env) {
				e.emu.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: emulator.Revoke()})
			},
			wantCodes: []int{emulator.CodeRevokedToken, 0},
		},
		{
			name:      "stable token revoked",
			stable:    true,
			spoil:     func(t *testing.T, e *env) { e.emu.RevokeAccountTokens(testAppID) },
			wantCodes: []int{emulator.CodeRevokedToken, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []officialaccount.Option
			if tt.stable {
				opts = append(opts, officialaccount.WithStableToken())
			}
			e := newEnv(t, setup{client: opts})
			if _, err := e.c.Count(t.Context()); err != nil { // the client has its token
				t.Fatal(err)
			}
			tt.spoil(t, e)
			m, err := e.c.Add(t.Context(), material.KindImage, material.FromBytes("a.png", png))
			if err != nil {
				t.Fatalf("Add after the token was spoilt: %v", err)
			}
			diff(t, "add_material errcodes", tt.wantCodes, errcodes(e, "/cgi-bin/material/add_material"))
			if n := e.emu.LibraryCounts(testAppID); n.Image != 1 {
				t.Errorf("the library holds %d images, want the 1 added", n.Image)
			}
			if rs := e.calls("/cgi-bin/material/add_material"); len(rs) == 0 || len(rs[len(rs)-1].Parts) != 1 || rs[len(rs)-1].Parts[0].SHA256 != sha(png) {
				t.Errorf("the replay did not send the whole file again")
			}
			if _, err := e.c.Get(t.Context(), m.ID); err != nil {
				t.Errorf("Get after the replay: %v", err)
			}
		})
	}
}

func TestTokenSource(t *testing.T) {
	e := newEnv(t, setup{})
	tok := fetchToken(t, e)
	c, err := officialaccount.New("", "", officialaccount.WithBaseURL(e.srv.URL+"/oa"), officialaccount.WithTokenSource(auth.Static(tok)))
	if err != nil {
		t.Fatalf("New with a token source: %v", err)
	}
	if _, err := c.Count(t.Context()); err != nil {
		t.Fatalf("Count: %v", err)
	}
	e.emu.RevokeToken(tok)
	_, err = c.Count(t.Context())
	if !errors.Is(err, material.ErrUnauthorized) {
		t.Fatalf("Count with a revoked static token: err = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), tok) {
		t.Errorf("the error holds the access token: %v", err)
	}
	diff(t, "get_materialcount errcodes (no replay: a static token cannot be refreshed)", []int{0, emulator.CodeRevokedToken}, errcodes(e, "/cgi-bin/material/get_materialcount"))
}

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name          string
		appID, secret string
		opts          []officialaccount.Option
	}{
		{name: "no credentials", opts: nil},
		{name: "no secret", appID: testAppID},
		{name: "nil token source", opts: []officialaccount.Option{officialaccount.WithTokenSource(nil)}},
		{name: "relative base URL", appID: testAppID, secret: testSecret, opts: []officialaccount.Option{officialaccount.WithBaseURL("api.weixin.qq.com")}},
		{name: "nil HTTP client", appID: testAppID, secret: testSecret, opts: []officialaccount.Option{officialaccount.WithHTTPClient(nil)}},
		{name: "nil clock", appID: testAppID, secret: testSecret, opts: []officialaccount.Option{officialaccount.WithClock(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := officialaccount.New(tt.appID, tt.secret, tt.opts...)
			if err == nil {
				t.Fatal("New: err = nil")
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the error holds the secret: %v", err)
			}
		})
	}
}
