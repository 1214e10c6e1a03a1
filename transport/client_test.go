package transport_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

func TestDoDecodesReplies(t *testing.T) {
	type result struct {
		MediaID string `json:"media_id"`
		Created int64  `json:"created_at"`
	}
	tests := []struct {
		name    string
		reply   string
		status  int
		want    result
		apiErr  bool    // the call must fail with a *material.APIError
		wantErr []error // sentinels the error must match
		code    int
		rid     string
	}{
		{name: "bare success", reply: `{"type":"image","media_id":"M1","created_at":1700000000}`, want: result{MediaID: "M1", Created: 1700000000}},
		{name: "success with errcode 0", reply: `{"errcode":0,"errmsg":"ok","media_id":"M2","created_at":1}`, want: result{MediaID: "M2", Created: 1}},
		{name: "errcode with rid", reply: `{"errcode":40007,"errmsg":"invalid media_id rid: 65a0-11-22"}`, apiErr: true, wantErr: []error{material.ErrNotFound}, code: 40007, rid: "65a0-11-22"},
		{name: "errcode on HTTP 500", status: 500, reply: `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`, apiErr: true, wantErr: []error{material.ErrQuota}, code: 45009},
		{name: "HTML error page", status: 404, reply: `<html>not found</html>`, apiErr: true},
		{name: "malformed JSON", reply: `{"media_id":`, apiErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.URL.Query().Get("media_id"); got != "abc" {
					t.Errorf("media_id = %q", got)
				}
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				w.Write([]byte(tt.reply))
			}), func(c *transport.Config) { c.Retry.MaxAttempts = 1 })
			var got result
			err := c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/x", Query: url.Values{"media_id": {"abc"}}}, &got)
			if !tt.apiErr {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
				return
			}
			var apiErr *material.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want a *material.APIError", err)
			}
			if apiErr.Code != tt.code || apiErr.RequestID != tt.rid || apiErr.Op != "cgi-bin/x" || apiErr.Platform != material.OfficialAccount {
				t.Errorf("APIError = %+v", apiErr)
			}
			for _, w := range tt.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, does not match %v", err, w)
				}
			}
		})
	}
}

func TestDoSendsJSONWithoutHTMLEscaping(t *testing.T) {
	c, _ := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		r.Body.Read(body)
		if want := `{"url":"https://a.b/c?x=1&y=<2>"}`; string(body) != want {
			t.Errorf("body = %s, want %s", body, want)
		}
		if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			t.Errorf("method %s content type %q", r.Method, r.Header.Get("Content-Type"))
		}
		writeJSON(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/y", JSON: map[string]string{"url": "https://a.b/c?x=1&y=<2>"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewValidates(t *testing.T) {
	ok := transport.Config{Platform: material.WeCom, BaseURL: "https://qyapi.weixin.qq.com", Tokens: &tokens{}}
	tests := []struct {
		name   string
		change func(*transport.Config)
	}{
		{name: "no platform", change: func(c *transport.Config) { c.Platform = "" }},
		{name: "no tokens", change: func(c *transport.Config) { c.Tokens = nil }},
		{name: "relative base", change: func(c *transport.Config) { c.BaseURL = "/cgi-bin" }},
		{name: "base with query", change: func(c *transport.Config) { c.BaseURL = "https://h/?access_token=x" }},
		{name: "negative retries", change: func(c *transport.Config) { c.Retry.MaxAttempts = -1 }},
		{name: "min over max", change: func(c *transport.Config) { c.Retry.MinDelay, c.Retry.MaxDelay = 2, 1 }},
	}
	if _, err := transport.New(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		cfg := ok
		tt.change(&cfg)
		if _, err := transport.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		} else if contains(err.Error(), "access_token=x") != "" {
			t.Errorf("%s: error leaks the query: %v", tt.name, err)
		}
	}
}

func TestRedirectNotFollowedAndTokenStaysHome(t *testing.T) {
	elsewhere := &counter{}
	other := http.NewServeMux()
	other.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		elsewhere.add("/")
		if r.URL.Query().Has("access_token") {
			t.Errorf("the token reached another host: %s", r.URL.Path)
		}
	})
	otherSrv := newServer(t, other)
	c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/steal", http.StatusFound)
	}))
	err := c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/z"}, nil)
	var apiErr *material.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusFound {
		t.Errorf("err = %v, want an APIError with HTTP 302", err)
	}
	if elsewhere.get("/") != 0 {
		t.Error("the redirect was followed")
	}
}
