package redact_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/redact"
)

const (
	appSecret = "S3CR3T+app/secret="
	oldToken  = "OLD-TOKEN-0123456789abcdef"
	curToken  = "CUR-TOKEN-fedcba9876543210"
)

func heldSet() *redact.Set {
	s := redact.NewSet(appSecret, "")
	s.AddToken(oldToken)
	s.AddToken(curToken)
	return s
}

// fragments returns every substring of v of 6 bytes or more: none of them
// may survive a snippet.
func fragments(v string) []string {
	var out []string
	for i := 0; i+6 <= len(v); i++ {
		out = append(out, v[i:i+6])
	}
	return out
}

func TestSnippetScrubsEveryHeldValue(t *testing.T) {
	s := heldSet()
	values := []string{appSecret, url.QueryEscape(appSecret), url.PathEscape(appSecret), oldToken, curToken}
	tests := []struct {
		name, text string
	}{
		{name: "plain", text: "error for " + curToken + " and " + oldToken},
		{name: "query escaped secret", text: "secretless=" + url.QueryEscape(appSecret)},
		{name: "path escaped secret", text: "/x/" + url.PathEscape(appSecret) + "/y"},
		{name: "JSON", text: `{"errcode":40001,"errmsg":"invalid credential ` + curToken + `"}`},
		{name: "HTML", text: "<html><body>" + strings.Repeat("x", 100) + appSecret + "</body></html>"},
		{name: "named parameter of an unknown token", text: "?access_token=SOMEONE-ELSES&x=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.Snippet(tt.text, s)
			for _, v := range append(values, "SOMEONE-ELSES") {
				if strings.Contains(got, v) {
					t.Errorf("Snippet(%q) = %q holds %q", tt.text, got, v)
				}
			}
			if len(got) > redact.SnippetLen+len("...") {
				t.Errorf("Snippet is %d bytes, over %d", len(got), redact.SnippetLen)
			}
		})
	}
}

// TestSnippetNoFragmentAtTheCut puts a held token at every offset around
// the cut of a long text: no piece of it may survive, whatever the size.
func TestSnippetNoFragmentAtTheCut(t *testing.T) {
	s := heldSet()
	for _, size := range []int{0, 1, 100, 10 << 10, 1 << 20} {
		for off := 0; off < redact.SnippetLen+2*len(curToken)+80; off++ {
			text := strings.Repeat("a", off) + curToken + strings.Repeat("b", size)
			got := redact.Snippet(text, s)
			for _, f := range fragments(curToken) {
				if strings.Contains(got, f) {
					t.Fatalf("size %d offset %d: %q holds the fragment %q", size, off, got, f)
				}
			}
			if len(got) > redact.SnippetLen+len("...") {
				t.Fatalf("size %d offset %d: %d bytes", size, off, len(got))
			}
		}
	}
}

func TestSnippetPrintable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "control characters", in: "a\x00b\nc\x7f", want: "a b c"},
		{name: "invalid UTF-8", in: "a\xffb", want: "a?b"},
		{name: "cut marked", in: strings.Repeat("x", redact.SnippetLen+1), want: strings.Repeat("x", redact.SnippetLen) + "..."},
		{name: "UTF-8 not split", in: strings.Repeat("x", redact.SnippetLen-1) + "素材", want: strings.Repeat("x", redact.SnippetLen-1) + "..."},
		{name: "short", in: " ok ", want: "ok"},
	}
	for _, tt := range tests {
		if got := redact.Snippet(tt.in, nil); got != tt.want {
			t.Errorf("%s: Snippet = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSetKeepsTheLastTokens(t *testing.T) {
	s := redact.NewSet()
	for i := range redact.MaxHeld + 5 {
		s.AddToken(fmt.Sprintf("TOKEN-%03d-xxxxxxxx", i))
	}
	first := redact.Snippet("TOKEN-000-xxxxxxxx", s)
	last := redact.Snippet(fmt.Sprintf("TOKEN-%03d-xxxxxxxx", redact.MaxHeld+4), s)
	if first == redact.Marker || last != redact.Marker {
		t.Errorf("oldest %q, newest %q: want the oldest forgotten and the newest scrubbed", first, last)
	}
	if got := fmt.Sprintf("%v %+v %#v %s", s, s, s, s); strings.Contains(got, "TOKEN") {
		t.Errorf("the Set prints its values: %s", got)
	}
}

func TestRedirectMessageNamesTheHostOnly(t *testing.T) {
	s := heldSet()
	tests := []struct {
		name, location, want string
	}{
		{name: "absolute", location: "https://evil.example:8443/steal?secret=" + appSecret + "&t=" + curToken, want: `redirect to "evil.example:8443" not followed`},
		{name: "relative", location: "/other?access_token=" + curToken, want: `redirect to "api.example" (the same host) not followed`},
		{name: "none", location: "", want: "redirect to an unnamed target not followed"},
		{name: "token in the host", location: "http://" + curToken + ".evil.example/", want: `redirect to "REDACTED.evil.example" not followed`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("POST", "https://api.example/cgi-bin/stable_token", nil)
		resp := &http.Response{StatusCode: 307, Header: http.Header{}, Request: req}
		if tt.location != "" {
			resp.Header.Set("Location", tt.location)
		}
		got := redact.RedirectMessage(resp, s)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want it to start with %q", tt.name, got, tt.want)
		}
		if strings.Contains(got, appSecret) || strings.Contains(got, curToken) || strings.Contains(got, "steal") || strings.Contains(got, "other") {
			t.Errorf("%s: %q shows more than the host", tt.name, got)
		}
	}
}

func TestNoRedirectsIgnoresTheCallersPolicy(t *testing.T) {
	followed := false
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { followed = true; return nil }}
	nc := redact.NoRedirects(c)
	if err := nc.CheckRedirect(nil, nil); err != http.ErrUseLastResponse || followed {
		t.Errorf("CheckRedirect = %v (caller's policy ran: %v), want http.ErrUseLastResponse", err, followed)
	}
	if c.CheckRedirect == nil {
		t.Error("the caller's client was modified")
	}
	if redact.NoRedirects(nil).CheckRedirect == nil {
		t.Error("a nil client got no policy")
	}
}

func TestErrorWith(t *testing.T) {
	s := heldSet()
	err := fmt.Errorf("reply said %s and %s", curToken, url.QueryEscape(appSecret))
	got := redact.ErrorWith(err, s)
	if text := fmt.Sprintf("%v %+v %#v", got, got, got); strings.Contains(text, curToken) || strings.Contains(text, url.QueryEscape(appSecret)) {
		t.Errorf("ErrorWith left a value: %s", text)
	}
}
