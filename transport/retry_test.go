package transport_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// scripted answers the i-th request with replies[i] (the last repeats):
// an HTTP status, optionally with a JSON body.
type scripted struct {
	replies []reply
	n       atomic.Int32
}

type reply struct {
	status int
	body   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	i := int(s.n.Add(1)) - 1
	rp := s.replies[min(i, len(s.replies)-1)]
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

var (
	ok      = reply{200, `{"errcode":0,"errmsg":"ok"}`}
	busy    = reply{200, `{"errcode":-1,"errmsg":"system error"}`}
	quota   = reply{200, `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`}
	minute  = reply{200, `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`}
	concur  = reply{200, `{"errcode":45033,"errmsg":"api concurrent out of limit"}`}
	http429 = reply{429, ``}
	http500 = reply{500, `oops`}
	http503 = reply{503, ``}
)

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name     string
		platform material.Platform // WeCom when empty
		write    bool
		oneShot  bool
		replies  []reply
		requests int
		wantErr  []error // nil: success
	}{
		{name: "read busy then ok", replies: []reply{busy, ok}, requests: 2},
		{name: "read 503 twice then ok", replies: []reply{http503, http503, ok}, requests: 3},
		{name: "read 500 until give-up", replies: []reply{http500}, requests: 4, wantErr: []error{material.ErrBusy}},
		{name: "read daily quota fails fast", replies: []reply{quota}, requests: 1, wantErr: []error{material.ErrQuota}},
		{name: "read OA minute quota retried", platform: material.OfficialAccount, replies: []reply{minute, ok}, requests: 2},
		{name: "write busy then ok: the server did not act", write: true, replies: []reply{busy, ok}, requests: 2},
		{name: "write concurrency limit retried", write: true, replies: []reply{concur, concur, ok}, requests: 3},
		{name: "write 429 is not resent: only an errcode is the platform's word", write: true, replies: []reply{http429, ok}, requests: 1, wantErr: []error{material.ErrBusy, material.ErrOutcomeUnknown}},
		{name: "write busy errcode in a 502 is not resent", write: true, replies: []reply{{502, `{"errcode":-1,"errmsg":"system error"}`}, ok}, requests: 1, wantErr: []error{material.ErrBusy, material.ErrOutcomeUnknown}},
		{name: "write 200 that is not JSON is not resent", write: true, replies: []reply{{200, `<html>gateway</html>`}, ok}, requests: 1, wantErr: []error{material.ErrOutcomeUnknown}},
		{name: "write definite errcode", write: true, replies: []reply{quota, ok}, requests: 1, wantErr: []error{material.ErrQuota}},
		{name: "write 500 is not resent", write: true, replies: []reply{http500, ok}, requests: 1, wantErr: []error{material.ErrBusy, material.ErrOutcomeUnknown}},
		{name: "write busy until give-up", write: true, replies: []reply{busy}, requests: 4, wantErr: []error{material.ErrBusy}},
		{name: "one-shot write busy is not resent", write: true, oneShot: true, replies: []reply{busy, ok}, requests: 1, wantErr: []error{material.ErrBusy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &scripted{replies: tt.replies}
			c, _ := setup(t, cmp.Or(tt.platform, material.WeCom), srv)
			req := &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/x", Write: tt.write}
			if tt.oneShot {
				body := material.FromReader("a.txt", struct{ io.Reader }{strings.NewReader("payload")}, 7) // one-shot: a plain io.Reader
				req.File = &body
			} else {
				req.JSON = map[string]int{"a": 1}
			}
			err := c.Do(t.Context(), req, nil)
			if got := int(srv.n.Load()); got != tt.requests {
				t.Errorf("requests = %d, want %d", got, tt.requests)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			for _, w := range tt.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, does not match %v", err, w)
				}
			}
			if !slices.Contains(tt.wantErr, material.ErrOutcomeUnknown) && errors.Is(err, material.ErrOutcomeUnknown) {
				t.Errorf("the error reports an unknown outcome: %v", err)
			}
		})
	}
}

// dropAfterBody reads the whole request, then closes the connection without
// answering.
func dropAfterBody(n *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
}

func TestConnectionDroppedAfterSend(t *testing.T) {
	t.Run("write is not resent and may have been applied", func(t *testing.T) {
		var n atomic.Int32
		c, _ := setup(t, material.OfficialAccount, dropAfterBody(&n))
		err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/add_material", JSON: map[string]string{"k": "v"}, Write: true}, nil)
		if !errors.Is(err, material.ErrOutcomeUnknown) {
			t.Errorf("err = %v, want ErrOutcomeUnknown", err)
		}
		if n.Load() != 1 {
			t.Errorf("requests = %d, want 1", n.Load())
		}
	})
	t.Run("read is retried", func(t *testing.T) {
		var n atomic.Int32
		c, _ := setup(t, material.OfficialAccount, dropAfterBody(&n))
		err := c.Do(t.Context(), &transport.Request{Path: "/cgi-bin/material/get_materialcount"}, nil)
		if err == nil || errors.Is(err, material.ErrOutcomeUnknown) {
			t.Errorf("err = %v, want a plain connection error", err)
		}
		if n.Load() != 4 {
			t.Errorf("requests = %d, want 4", n.Load())
		}
	})
}

// refuseFirst fails its first round trip as a refused dial, before any byte
// of the request is written.
type refuseFirst struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (r *refuseFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.n.Add(1) == 1 {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.next.RoundTrip(req)
}

func TestWriteResentAfterRefusedConnection(t *testing.T) {
	srv := &scripted{replies: []reply{ok}}
	rt := &refuseFirst{next: http.DefaultTransport}
	c, _ := setup(t, material.OfficialAccount, srv, func(cfg *transport.Config) {
		cfg.HTTPClient = &http.Client{Transport: rt}
	})
	err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/add_material", JSON: map[string]string{"k": "v"}, Write: true}, nil)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if rt.n.Load() != 2 || srv.n.Load() != 1 {
		t.Errorf("round trips %d, server requests %d; want 2 and 1", rt.n.Load(), srv.n.Load())
	}
}

// stubTransport answers every request in memory, for tests inside a
// synctest bubble (which must not use the network).
type stubTransport func(*http.Request) *http.Response

func (s stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	resp := s(r)
	resp.Request = r
	return resp, nil
}

func stubReply(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c, err := transport.New(transport.Config{
			Platform: material.OfficialAccount, BaseURL: "https://api.weixin.qq.com", Tokens: &tokens{},
			HTTPClient: &http.Client{Transport: stubTransport(func(*http.Request) *http.Response {
				calls.Add(1)
				return stubReply(200, `{"errcode":-1,"errmsg":"system error"}`)
			})},
			Retry: transport.RetryPolicy{MaxAttempts: 10, MinDelay: time.Hour, MaxDelay: time.Hour},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- c.Do(ctx, &transport.Request{Path: "/cgi-bin/media/get"}, nil) }()
		synctest.Wait() // the call is now waiting out its first backoff
		start := time.Now()
		cancel()
		err = <-done
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("returned after %v of fake time, want at once", waited)
		}
		if calls.Load() != 1 {
			t.Errorf("calls = %d, want 1", calls.Load())
		}
	})
}

// TestCancelWrite: a write cancelled while its reply is awaited may have
// been applied; one cancelled before its body was sent in full was not.
func TestCancelWrite(t *testing.T) {
	tests := []struct {
		name        string
		readBody    bool // the server reads the whole body before it stalls
		wantUnknown bool
	}{
		{name: "reply awaited", readBody: true, wantUnknown: true},
		{name: "body not sent in full", readBody: false, wantUnknown: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.readBody {
					io.Copy(io.Discard, r.Body)
				}
				arrived <- struct{}{}
				// Stall until the client leaves (unblocking the server's
				// Close: reading the body lets it see the connection close).
				go io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			}))
			// A trace of the test's own: the transport's hooks run before it,
			// so when it hears the request was written, so has the transport.
			wrote := make(chan struct{})
			ctx, cancel := context.WithCancel(httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
				WroteRequest: func(info httptrace.WroteRequestInfo) {
					if info.Err == nil {
						close(wrote)
					}
				},
			}))
			body := material.FromBytes("body.bin", make([]byte, 16<<20)) // larger than the socket buffers
			done := make(chan error)
			go func() {
				done <- c.Do(ctx, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/add_material", File: &body, Write: true}, nil)
			}()
			<-arrived
			if tt.readBody {
				<-wrote
			}
			cancel()
			err := <-done
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			if got := errors.Is(err, material.ErrOutcomeUnknown); got != tt.wantUnknown {
				t.Errorf("errors.Is(err, ErrOutcomeUnknown) = %v, want %v (err: %v)", got, tt.wantUnknown, err)
			}
		})
	}
}
