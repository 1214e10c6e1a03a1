package redact

import (
	"net/http"
	"net/url"
)

// NoRedirects returns a copy of c (a new default client when c is nil) that
// follows no redirect: its CheckRedirect hands back the 3xx reply itself.
// Every request that carries a secret or an access token is sent with such
// a copy, whatever client the caller gave, and the reply becomes the error
// RedirectMessage describes.
func NoRedirects(c *http.Client) *http.Client {
	cc := &http.Client{}
	if c != nil {
		*cc = *c
	}
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return cc
}

// IsRedirect reports whether status asks the client to go elsewhere.
func IsRedirect(status int) bool { return status >= 300 && status < 400 }

// RedirectMessage describes a redirect that was not followed, naming the
// host it pointed to and nothing else of its target (a query may hold
// anything): "redirect to \"evil.example:8443\" not followed ...". The host
// goes through Snippet with s.
func RedirectMessage(resp *http.Response, s *Set) string {
	host := "an unnamed target"
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil {
			switch {
			case u.Host != "":
				host = `"` + Snippet(u.Host, s) + `"`
			case resp.Request != nil && resp.Request.URL != nil:
				host = `"` + Snippet(resp.Request.URL.Host, s) + `" (the same host)`
			}
		} else {
			host = "a malformed target"
		}
	}
	return "redirect to " + host + " not followed: a request that carries a secret or an access token follows no redirect"
}
