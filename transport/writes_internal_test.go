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
		body     string
		want     decline
	}{
		{name: "OA 40001", platform: oa, status: 200, body: `{"errcode":40001,"errmsg":"invalid credential"}`, want: tokenRejected},
		{name: "WeCom 40014", platform: wc, status: 200, body: `{"errcode":40014,"errmsg":"invalid access_token"}`, want: tokenRejected},
		{name: "OA 42001", platform: oa, status: 200, body: `{"errcode":42001}`, want: tokenRejected},
		{name: "OA -1", platform: oa, status: 200, body: `{"errcode":-1,"errmsg":"system error"}`, want: busy},
		{name: "WeCom -1 with white space around", platform: wc, status: 200, body: "\n { \"errcode\" : -1 } \r\n", want: busy},
		{name: "OA 45011", platform: oa, status: 200, body: `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`, want: busy},
		{name: "WeCom 45033", platform: wc, status: 200, body: `{"errcode":45033,"errmsg":"api concurrent out of limit"}`, want: busy},
		{name: "45011 is not WeCom's busy code", platform: wc, status: 200, body: `{"errcode":45011}`, want: failed},
		{name: "daily quota is a verdict", platform: oa, status: 200, body: `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`, want: failed},
		{name: "not found is a verdict", platform: wc, status: 200, body: `{"errcode":40007,"errmsg":"invalid media_id"}`, want: failed},
		{name: "a nested errcode besides the top-level one", platform: oa, status: 200, body: `{"detail":{"errcode":0},"errcode":-1}`, want: busy},
		{name: "errcode 0", platform: oa, status: 200, body: `{"errcode":0,"errmsg":"ok"}`, want: notDeclined},
		{name: "no errcode", platform: oa, status: 200, body: `{"media_id":"M"}`, want: notDeclined},
		{name: "only a nested errcode", platform: oa, status: 200, body: `{"detail":{"errcode":-1}}`, want: notDeclined},
		{name: "errcode as a string", platform: oa, status: 200, body: `{"errcode":"-1","errmsg":"busy"}`, want: notDeclined},
		{name: "errcode as a fraction", platform: wc, status: 200, body: `{"errcode":-1.0,"errmsg":"busy"}`, want: notDeclined},
		{name: "errcode with an exponent", platform: wc, status: 200, body: `{"errcode":-1e0}`, want: notDeclined},
		{name: "errcode null", platform: oa, status: 200, body: `{"errcode":null}`, want: notDeclined},
		{name: "garbage after the object", platform: oa, status: 200, body: `{"errcode":-1,"errmsg":"busy"}garbage`, want: notDeclined},
		{name: "two objects", platform: oa, status: 200, body: `{"errcode":-1}{"errcode":-1}`, want: notDeclined},
		{name: "errcode twice", platform: oa, status: 200, body: `{"errcode":0,"media_id":"","errcode":-1}`, want: notDeclined},
		{name: "errcode twice, differently spelled", platform: oa, status: 200, body: `{"errcode":-1,"ERRCODE":-1}`, want: notDeclined},
		{name: "errcode spelled otherwise", platform: wc, status: 200, body: `{"ErrCode":42001}`, want: notDeclined},
		{name: "cut short", platform: oa, status: 200, body: `{"errcode":-1,"errm`, want: notDeclined},
		{name: "an array", platform: oa, status: 200, body: `[{"errcode":-1}]`, want: notDeclined},
		{name: "an HTML page holding one", platform: oa, status: 200, body: `<html>{"errcode":-1}</html>`, want: notDeclined},
		{name: "a body not read to its end", platform: oa, status: 200, body: "", want: notDeclined},
		{name: "-1 in a 502 page is a gateway's", platform: oa, status: 502, body: `{"errcode":-1}`, want: notDeclined},
		{name: "42001 in a 401", platform: wc, status: 401, body: `{"errcode":42001}`, want: notDeclined},
		{name: "HTTP 429", platform: wc, status: 429, body: ``, want: notDeclined},
		{name: "206 is not the platform's error reply", platform: wc, status: 206, body: `{"errcode":-1}`, want: notDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			if got := declined(tt.platform, tt.status, body); got != tt.want {
				t.Errorf("declined(%d, %q) = %v, want %v", tt.status, tt.body, got, tt.want)
			}
		})
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
		{name: "write busy -1 in HTTP 200", a: with(write(answered), func(a *attempt) { a.err, a.declined = apiErr(200, -1), busy }), want: outcome{again: true}},
		{name: "write 45033 in HTTP 200", a: with(write(answered), func(a *attempt) { a.err, a.declined = apiErr(200, 45033), busy }), want: outcome{again: true}},
		{name: "write token rejected twice", a: with(write(answered), func(a *attempt) { a.err, a.declined = apiErr(200, 42001), tokenRejected }), want: outcome{}},
		{name: "write verdict errcode", a: with(write(answered), func(a *attempt) { a.err, a.declined = apiErr(200, 40007), failed }), want: outcome{}},
		{name: "write -1 that is not a verdict", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, -1) }), want: outcome{unknown: true}},
		{name: "write 45009 that is not a verdict", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, 45009) }), want: outcome{unknown: true}},
		{name: "write 42001 that is not a verdict", a: with(write(answered), func(a *attempt) { a.err = apiErr(200, 42001) }), want: outcome{unknown: true}},
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
