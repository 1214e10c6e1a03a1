package redact_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/redact"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "query", in: "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S3CR3T", want: "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=REDACTED"},
		{name: "token first", in: "/cgi-bin/media/get?access_token=TOK&media_id=m", want: "/cgi-bin/media/get?access_token=REDACTED&media_id=m"},
		{name: "corpsecret", in: `Get "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=abc-DEF_123": dial tcp: refused`, want: `Get "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=REDACTED": dial tcp: refused`},
		{name: "json", in: `{"grant_type":"client_credential","appid":"wx1","secret": "S3CR3T","force_refresh":false}`, want: `{"grant_type":"client_credential","appid":"wx1","secret": "REDACTED","force_refresh":false}`},
		{name: "json token", in: `{"access_token":"TOK","expires_in":7200}`, want: `{"access_token":"REDACTED","expires_in":7200}`},
		{name: "case", in: "?ACCESS_TOKEN=TOK", want: "?ACCESS_TOKEN=REDACTED"},
		{name: "not a secret", in: "media_id=abc&type=image", want: "media_id=abc&type=image"},
		{name: "secretary is not secret", in: "secretary=bob", want: "secretary=bob"},
	}
	for _, tt := range tests {
		if got := redact.String(tt.in); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestURLDoesNotModify(t *testing.T) {
	u, _ := url.Parse("https://h/p?access_token=TOK&x=1")
	got := redact.URL(u)
	if strings.Contains(got, "TOK") || !strings.Contains(got, "x=1") {
		t.Errorf("URL = %s", got)
	}
	if u.Query().Get("access_token") != "TOK" {
		t.Error("URL modified its argument")
	}
}

func TestErrorURLError(t *testing.T) {
	req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://127.0.0.1:1/cgi-bin/gettoken?corpid=ww&corpsecret=TOPSECRET", nil)
	_, err := http.DefaultClient.Do(req)
	if err == nil {
		t.Fatal("expected a connection error")
	}
	red := redact.Error(err, "TOPSECRET")
	if strings.Contains(red.Error(), "TOPSECRET") {
		t.Errorf("secret left in %q", red)
	}
	var ue *url.Error
	if !errors.As(red, &ue) || strings.Contains(ue.URL, "TOPSECRET") || strings.Contains(ue.Error(), "TOPSECRET") {
		t.Errorf("*url.Error in the chain still holds the secret: %v", ue)
	}
}

func TestErrorLiteralSecret(t *testing.T) {
	err := errors.New("bad thing with S3CR3T inside")
	if got := redact.Error(err, "S3CR3T").Error(); got != "bad thing with REDACTED inside" {
		t.Errorf("got %q", got)
	}
	if redact.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	plain := errors.New("nothing secret")
	if redact.Error(plain) != plain {
		t.Error("an error with nothing to redact was wrapped")
	}
}

// TestErrorChainIsClean walks the chain of a redacted error: no link may
// show a secret, however it is printed, yet sentinels still match.
func TestErrorChainIsClean(t *testing.T) {
	sentinel := errors.New("sentinel")
	inner := fmt.Errorf("fetch with secret=S3CR3T and TOK: %w", sentinel)
	err := redact.Error(&url.Error{Op: "Get", URL: "https://h/cgi-bin/token?secret=S3CR3T", Err: inner}, "TOK")
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, f := range []string{"%v", "%+v", "%#v", "%q"} {
			if s := fmt.Sprintf(f, e); strings.Contains(s, "S3CR3T") || strings.Contains(s, "TOK") {
				t.Errorf("link %T printed with %s holds a secret: %s", e, f, s)
			}
		}
	}
	if !errors.Is(err, sentinel) {
		t.Error("the sentinel no longer matches")
	}
}
