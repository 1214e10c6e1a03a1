package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"github.com/wxmaterial/wxmaterial/internal/poll"
	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
)

// This file holds the two decisions that keep writes from being
// duplicated, each in one function named after its question:
//
//   - declined: did the platform say it did not act on the request?
//   - judge: may this call be sent again, and may a failed write have been
//     applied?
//
// A write may be sent again only when the platform provably did not act
// on it:
//
//   - it answered HTTP 200 with an errcode that says so: a rejected token
//     (40001, 40014, 42001; the token transport replays once with a new
//     token) or "busy, try later" (-1 on both platforms, 45011 on the
//     Official Account, 45033 on WeCom), in a body that is exactly one
//     JSON object with one top-level errcode, a JSON integer (declined);
//   - the request never went out: no connection was obtained for it (a
//     failed DNS look-up, dial, refusal, proxy or TLS handshake), or the
//     access token could not be fetched.
//
// Once a connection was obtained, any failure of a write ends the call,
// and when the whole request had left this side the error matches
// material.ErrOutcomeUnknown: a reply cut off or unreadable, a reply that
// is not the JSON the API answers (an HTML page with status 200, a body
// too long), a success reply without the field the call needs (media_id,
// url, jobid), any HTTP status other than 200 (5xx, 429 and redirects
// included), a dropped connection, a context that ended while the reply
// was awaited, and an errcode in a reply that is not the platform's plain
// word (a string, a fraction, a key given twice, bytes after the object),
// a success's errcode 0 included (unplainSuccess).
// An errcode in an HTTP 200 reply that is (declined) is the platform's
// verdict: a definite failure. A request whose body never left this side in full
// cannot have been acted on: its failure does not match ErrOutcomeUnknown,
// and it is not sent again either.

// decline is what a reply says about the request.
type decline int

const (
	notDeclined   decline = iota // the platform acted, or failed while acting, or did not say: not a verdict
	failed                       // a verdict: a definite failure, the request not acted on (45009, 40007, ...)
	tokenRejected                // 40001, 40014, 42001: a new token fixes it
	busy                         // -1, 45011 (Official Account), 45033 (WeCom): try again later
)

// declined answers "did the platform say it did not act on the request?"
// from a reply's HTTP status and its whole body. Only the platform's plain
// word says so: an HTTP 200 reply whose body is exactly one valid JSON
// object with exactly one top-level errcode key, whose value is a JSON
// integer other than 0 (wire.Verdict). Anything else is not a verdict: the
// same code in a 5xx page may come from a gateway that gave up while the
// platform was acting, and an errcode as a string, a fraction, twice, or
// followed by more bytes is not what the platform sends. body is nil when
// the reply was not read to its end.
func declined(platform material.Platform, status int, body []byte) decline {
	if status != http.StatusOK {
		return notDeclined
	}
	code, ok := wire.Verdict(body)
	if !ok || code == 0 {
		return notDeclined
	}
	e := &material.APIError{Platform: platform, Code: code, HTTPStatus: status}
	switch {
	case e.TokenRejected():
		return tokenRejected
	case e.Retryable():
		return busy
	}
	return failed
}

// attempt is what one attempt of a call came to, as far as the question
// "did the server act on it?" goes.
type attempt struct {
	platform material.Platform
	write    bool
	// connected: a connection was obtained for the request, so bytes of it
	// may have reached the server.
	connected bool
	// traced: the RoundTripper reports its connections (net/http's
	// Transport does, through httptrace); when it does not, only the error
	// can tell that nothing was sent.
	traced bool
	// replied: a reply (its status line at least) arrived.
	replied bool
	// complete: the whole request body left this side (true for a
	// request without a body).
	complete bool
	// local: reading the request body failed on this side.
	local bool
	// declined is what the reply, if one came, said (see declined).
	declined decline
	err      error
}

// outcome is judge's answer.
type outcome struct {
	again   bool // the rules allow sending the call again (the retry budget and a replayable body permitting)
	unknown bool // a write may have been applied: its error matches material.ErrOutcomeUnknown
}

// judge answers "may this call be sent again, and may a failed write have
// been applied?" for one attempt. Reads are sent again on any failure that
// another attempt may fix; writes only when the platform provably did not
// act (see the top of this file).
func judge(a attempt) outcome {
	if a.err == nil {
		return outcome{}
	}
	var (
		apiErr   *material.APIError
		tokErr   *tokenError
		untrusty *untrustedReply
	)
	switch {
	case a.local:
		// The body never left this side in full: the server cannot have
		// acted on it. A local failure is not the network's: not retried.
		return outcome{unknown: a.write && errors.As(a.err, &untrusty)}
	case errors.As(a.err, &tokErr):
		return outcome{} // nothing was sent; the token source has its own policy
	case errors.As(a.err, &untrusty):
		return outcome{unknown: a.write}
	case errors.As(a.err, &apiErr):
		if !a.write {
			return outcome{again: apiErr.Retryable()}
		}
		switch a.declined {
		case busy:
			return outcome{again: true}
		case tokenRejected: // already replayed once, or not replayable
			return outcome{}
		case failed: // the platform's verdict
			return outcome{}
		}
		return outcome{unknown: a.complete}
	}
	sent := a.connected || a.replied || (!a.traced && !neverConnected(a.err))
	switch {
	case permanent(a.err):
		return outcome{unknown: a.write && sent && a.complete}
	case errors.Is(a.err, context.Canceled) || errors.Is(a.err, context.DeadlineExceeded):
		return outcome{unknown: a.write && sent && a.complete}
	case !a.write:
		return outcome{again: true}
	case !sent:
		return outcome{again: true}
	}
	return outcome{unknown: a.complete}
}

// neverConnected reports errors that arise before a connection exists: a
// failed dial, DNS look-up or proxy connection, and TLS handshake
// failures. It is consulted only for a RoundTripper that does not report
// its connections through httptrace.
func neverConnected(err error) bool {
	var (
		op  *net.OpError
		dns *net.DNSError
	)
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	return errors.As(err, &dns) || tlsHandshake(err)
}

func tlsHandshake(err error) bool {
	var (
		rec   tls.RecordHeaderError
		alert tls.AlertError
	)
	return permanent(err) || errors.As(err, &rec) || errors.As(err, &alert)
}

// permanent reports transport errors that another attempt cannot fix.
func permanent(err error) bool { return poll.Permanent(err) }

// unplainSuccess says why a success reply to a write is not the platform's
// plain word, or returns "": a reply without errcode, or with one errcode
// key spelled so whose value is the JSON integer 0, is plain. An errcode
// given twice, in another case, as a string or a fraction may hide a
// failure: the write's outcome is then unknown (the caller's error is an
// APIError, which judge makes unknown for a request sent in full).
func unplainSuccess(body []byte) string {
	if !scanEnvelope(body, true).has {
		return ""
	}
	if code, ok := wire.Verdict(body); ok && code == 0 {
		return ""
	}
	return "the reply's errcode is not the platform's plain 0 (given twice, in another case, as a string or a fraction)"
}

// untrustedReply is a success reply to a write that arrived before the
// whole request had left this side: no platform acts on a request it has
// not received, so the reply is not trusted; but a server claimed to have
// acted, so the write's outcome is unknown.
type untrustedReply struct{}

func (untrustedReply) Error() string {
	return "the server answered success before the whole request was sent; the reply is not trusted"
}
