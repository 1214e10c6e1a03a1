package poll

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The retry policy's defaults, the same for API calls (transport) and
// token fetches (auth).
const (
	DefaultAttempts = 4                      // attempts per call, the first included
	DefaultMinDelay = 500 * time.Millisecond // the first backoff
	DefaultMaxDelay = 8 * time.Second        // the longest backoff
)

// Policy is how often and how patiently a call is retried: the attempts,
// the first included, and the bounds of the backoff between them. It is
// transport.RetryPolicy and what auth.WithFetcherRetry takes.
type Policy struct {
	Attempts           int
	MinDelay, MaxDelay time.Duration
}

// WithDefaults returns p with its zero fields set to the defaults
// (DefaultAttempts, DefaultMinDelay, and DefaultMaxDelay or MinDelay when
// that is longer), or an error that says what is wrong: a negative value,
// or MinDelay over MaxDelay. The caller adds its prefix and sentinel.
func (p Policy) WithDefaults() (Policy, error) {
	if p.Attempts < 0 || p.MinDelay < 0 || p.MaxDelay < 0 {
		return p, fmt.Errorf("attempts %d, delays %v to %v: a negative value", p.Attempts, p.MinDelay, p.MaxDelay)
	}
	if p.Attempts == 0 {
		p.Attempts = DefaultAttempts
	}
	if p.MinDelay == 0 {
		p.MinDelay = DefaultMinDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(DefaultMaxDelay, p.MinDelay)
	}
	if p.MinDelay > p.MaxDelay {
		return p, fmt.Errorf("the first delay %v is over the longest %v", p.MinDelay, p.MaxDelay)
	}
	return p, nil
}

// RetryDelay is the wait before retry number attempt (from 0) after resp
// (nil when no reply came): the Retry-After of a 429 or 503 in seconds,
// capped at hi, or Backoff.
func RetryDelay(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, hi)
		}
	}
	return Backoff(lo, hi, attempt)
}

// Permanent reports transport errors that another attempt cannot fix: a
// certificate that does not verify, a peer that does not speak TLS.
func Permanent(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		uaerr x509.UnknownAuthorityError
		herr  x509.HostnameError
		cerr  x509.CertificateInvalidError
		rerr  tls.RecordHeaderError
	)
	return errors.As(err, &verr) || errors.As(err, &uaerr) || errors.As(err, &herr) || errors.As(err, &cerr) || errors.As(err, &rerr)
}
