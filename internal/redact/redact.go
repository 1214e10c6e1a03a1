// Package redact removes access tokens and secrets from URLs, strings and
// errors. wxmaterial keeps tokens out of every URL above its innermost
// transport; this package is the second line of defence for the few URLs
// that must carry a secret (the token endpoints) and for anything that
// might still hold one.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Marker replaces a redacted value.
const Marker = "REDACTED"

// Params are the query parameters and JSON fields whose values are secret.
var Params = []string{"access_token", "secret", "corpsecret", "appsecret", "authorizer_access_token", "component_access_token", "suite_access_token"}

// pattern finds name=value (query strings, form bodies, url.Error text) and
// "name":"value" (JSON bodies) for every secret parameter.
var pattern = func() *regexp.Regexp {
	names := strings.Join(Params, "|")
	return regexp.MustCompile(`(?i)((?:^|[?&;\s"',{])(?:` + names + `)(?:=|"\s*:\s*"))([^&\s"',;}]*)`)
}()

// String replaces the values of every secret parameter in s, whether s is a
// URL, a query, a JSON body or an error message.
func String(s string) string {
	return pattern.ReplaceAllString(s, "${1}"+Marker)
}

// Secrets replaces every occurrence of the given literal secrets in s (for
// values that may appear outside a name=value form). Empty secrets are
// ignored.
func Secrets(s string, secrets ...string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, Marker)
		}
	}
	return s
}

// URL returns u as a string with the values of secret query parameters
// replaced. u is not modified.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			for _, p := range Params {
				if strings.EqualFold(k, p) {
					for i := range q[k] {
						q[k][i] = Marker
					}
				}
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// Error returns err with every secret removed from its message: the values
// of secret parameters and the literal secrets given.
//
// The result unwraps to the errors of err's chain, each redacted in turn: an
// error whose own message is clean is handed out as it is, so errors.Is and
// errors.As still find sentinels, *url.Error, net.Error and the like, while
// one whose message holds a secret is only ever seen through a redacting
// wrapper. Every *url.Error in the chain has its URL redacted in place.
func Error(err error, secrets ...string) error {
	return scrubError(err, func(s string) string { return Secrets(String(s), secrets...) })
}

// ErrorWith is Error with the values s holds (every token and secret of
// one client) as the literal secrets.
func ErrorWith(err error, s *Set) error { return scrubError(err, s.Scrub) }

func scrubError(err error, scrub func(string) string) error {
	if err == nil {
		return nil
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ue, ok := e.(*url.Error); ok {
			if u, perr := url.Parse(ue.URL); perr == nil {
				ue.URL = URL(u)
			} else {
				ue.URL = String(ue.URL)
			}
		}
	}
	msg := scrub(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err, scrub: scrub}
}

// redacted shows a clean message for an error whose own message is not.
type redacted struct {
	msg   string
	err   error
	scrub func(string) string
}

func (r *redacted) Error() string { return r.msg }

// GoString keeps %#v from printing the secrets r was built with.
func (r *redacted) GoString() string { return "&redact.redacted{msg:" + strconv.Quote(r.msg) + "}" }

// Unwrap hands out the next error of the chain, redacted in its turn.
func (r *redacted) Unwrap() error { return scrubError(errors.Unwrap(r.err), r.scrub) }

// Is lets errors.Is match r's own error against a sentinel (an error that
// is not a sentinel itself has no Is and compares only by identity).
func (r *redacted) Is(target error) bool { return r.err == target }

// WithoutURL returns err without the method and URL that a *url.Error at
// its head repeats, for a caller that names the endpoint itself: the
// result's message is the cause's alone, and it unwraps to the
// *url.Error, so errors.As still finds it (and its Timeout method) and
// errors.Is its cause. Any other error is returned as it is.
func WithoutURL(err error) error {
	ue, ok := err.(*url.Error)
	if !ok || ue.Err == nil {
		return err
	}
	return &withoutURL{ue}
}

// withoutURL is a *url.Error shown by its cause.
type withoutURL struct{ ue *url.Error }

func (e *withoutURL) Error() string { return e.ue.Err.Error() }
func (e *withoutURL) Unwrap() error { return e.ue }
