package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

func TestDeclined(t *testing.T) {
	const (
		oa = material.OfficialAccount
		wc = material.WeCom
	)
	tests := []struct {
		name     string
		platform material.Platform
		status   int
		code     int
		want     decline
	}{
		{name: "OA 40001", platform: oa, status: 200, code: 40001, want: tokenRejected},
		{name: "WeCom 40014", platform: wc, status: 200, code: 40014, want: tokenRejected},
		{name: "OA 42001", platform: oa, status: 200, code: 42001, want: tokenRejected},
		{name: "OA -1", platform: oa, status: 200, code: -1, want: busy},
		{name: "WeCom -1", platform: wc, status: 200, code: -1, want: busy},
		{name: "OA 45011", platform: oa, status: 200, code: 45011, want: busy},
		{name: "WeCom 45033", platform: wc, status: 200, code: 45033, want: busy},
		{name: "daily quota is a verdict", platform: oa, status: 200, code: 45009, want: notDeclined},
		{name: "not found is a verdict", platform: wc, status: 200, code: 40007, want: notDeclined},
		{name: "no errcode", platform: oa, status: 200, code: 0, want: notDeclined},
		{name: "-1 in a 502 page is a gateway's", platform: oa, status: 502, code: -1, want: notDeclined},
		{name: "42001 in a 401", platform: wc, status: 401, code: 42001, want: notDeclined},
		{name: "HTTP 429 has no errcode", platform: wc, status: 429, code: 0, want: notDeclined},
		{name: "206 is not the platform's error reply", platform: wc, status: 206, code: -1, want: notDeclined},
	}
	for _, tt := range tests {
		if got := declined(tt.platform, tt.status, tt.code); got != tt.want {
			t.Errorf("%s: declined = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	apiErr := func(status, code int) error {
		return fmt.Errorf("wrapped: %w", &material.APIError{Platform: material.WeCom, Op: "x", HTTPStatus: status, Code: code})
	}
	var (
		refused   = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		dnsFailed = &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "x"}}
		reset     = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
		badCert   = &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	)
	// A connection obtained, the whole body sent, and a reply: the usual
	// state once a server has answered.
	answered := attempt{platform: material.WeCom, connected: true, traced: true, replied: true, complete: true}
	with := func(a attempt, f func(*attempt)) attempt { f(&a); return a }
	write := func(a attempt) attempt { a.write = true; return a }
	tests := []struct {
		name string
		a    attempt
		want outcome
	}{
		// Writes: sent again only when the platform provably did not act.
		{name: "write success", a: write(answered), want: outcome{}},
		{name: "write busy -1 in HTTP 200", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, -1) }), want: outcome{again: true}},
		{name: "write 45033 in HTTP 200", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, 45033) }), want: outcome{again: true}},
		{name: "write token rejected twice", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, 42001) }), want: outcome{}},
		{name: "write verdict errcode", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, 40007) }), want: outcome{}},
		{name: "write HTTP 500", a: with(write(answered), func(a *attempt) { a.err = apiErr(500, 0) }), want: outcome{unknown: true}},
		{name: "write HTTP 429", a: with(write(answered), func(a *attempt) { a.err = apiErr(429, 0) }), want: outcome{unknown: true}},
		{name: "write HTTP 307", a: with(write(answered), func(a *attempt) { a.err = apiErr(307, 0) }), want: outcome{unknown: true}},
		{name: "write -1 in a 502", a: with(write(answered), func(a *attempt) { a.err = apiErr(502, -1) }), want: outcome{unknown: true}},
		{name: "write HTML page with HTTP 200", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, 0) }), want: outcome{unknown: true}},
		{name: "write reply cut after the headers", a: with(write(answered), func(a *attempt) { a.err = io.ErrUnexpectedEOF }), want: outcome{unknown: true}},
		{name: "write untrusted success", a: with(write(answered), func(a *attempt) { a.complete, a.err = false, &untrustedReply{} }), want: outcome{unknown: true}},
		{name: "write connection reset after sending", a: with(write(answered), func(a *attempt) { a.replied, a.err = false, reset }), want: outcome{unknown: true}},
		{name: "write connection reset mid-body", a: with(write(answered), func(a *attempt) { a.replied, a.complete, a.err = false, false, reset }), want: outcome{}},
		{name: "write 500 before the body was sent", a: with(write(answered), func(a *attempt) { a.complete, a.err = false, apiErr(500, 0) }), want: outcome{}},
		{name: "write context ended awaiting the reply", a: with(write(answered), func(a *attempt) { a.replied, a.err = false, context.Canceled }), want: outcome{unknown: true}},
		{name: "write context ended mid-body", a: with(write(answered), func(a *attempt) { a.replied, a.complete, a.err = false, false, context.DeadlineExceeded }), want: outcome{}},
		{name: "write context ended before a connection", a: attempt{write: true, traced: true, complete: true, err: context.Canceled}, want: outcome{}},
		{name: "write refused before a connection", a: attempt{write: true, traced: true, complete: false, err: refused}, want: outcome{again: true}},
		{name: "write DNS failure", a: attempt{write: true, traced: true, err: dnsFailed}, want: outcome{again: true}},
		{name: "write TLS verification failure", a: attempt{write: true, traced: true, err: badCert}, want: outcome{}},
		{name: "write token not fetched", a: attempt{write: true, err: &tokenError{errors.New("down")}}, want: outcome{}},
		{name: "write local read failure", a: with(write(answered), func(a *attempt) { a.local, a.complete, a.replied, a.err = true, false, false, errors.New("EIO") }), want: outcome{}},
		{name: "write local failure, server claimed success", a: with(write(answered), func(a *attempt) { a.local, a.complete, a.err = true, false, &untrustedReply{} }), want: outcome{unknown: true}},
		{name: "write, untraced transport, dial error", a: attempt{write: true, complete: true, err: refused}, want: outcome{again: true}},
		{name: "write, untraced transport, other error", a: attempt{write: true, complete: true, err: reset}, want: outcome{unknown: true}},
		{name: "write, traced, error before any connection", a: attempt{write: true, traced: true, complete: true, err: reset}, want: outcome{again: true}},
		// Reads: sent again on whatever another attempt may fix.
		{name: "read success", a: answered, want: outcome{}},
		{name: "read HTTP 500", a: with(answered, func(a *attempt) { a.err = apiErr(500, 0) }), want: outcome{again: true}},
		{name: "read HTTP 429", a: with(answered, func(a *attempt) { a.err = apiErr(429, 0) }), want: outcome{again: true}},
		{name: "read busy", a: with(answered, func(a *attempt) { a.err = apiErr(200, -1) }), want: outcome{again: true}},
		{name: "read verdict", a: with(answered, func(a *attempt) { a.err = apiErr(200, 40007) }), want: outcome{}},
		{name: "read not JSON", a: with(answered, func(a *attempt) { a.err = apiErr(200, 0) }), want: outcome{}},
		{name: "read reply cut", a: with(answered, func(a *attempt) { a.err = io.ErrUnexpectedEOF }), want: outcome{again: true}},
		{name: "read reset", a: with(answered, func(a *attempt) { a.replied, a.err = false, reset }), want: outcome{again: true}},
		{name: "read TLS verification failure", a: attempt{traced: true, err: badCert}, want: outcome{}},
		{name: "read context ended", a: with(answered, func(a *attempt) { a.err = context.Canceled }), want: outcome{}},
	}
	for _, tt := range tests {
		if got := judge(tt.a); got != tt.want {
			t.Errorf("%s: judge = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
