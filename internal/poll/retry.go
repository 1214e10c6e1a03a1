package poll

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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
