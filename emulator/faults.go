package emulator

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Fault makes matching calls misbehave. A call matches when Platform (if
// set), Path (if set; the endpoint path without any /oa or /work prefix,
// e.g. "/cgi-bin/media/upload") and Match (if set) all agree. Faults apply
// to token endpoints too. When several injected faults match a call, the
// earliest injected one applies, and only it.
type Fault struct {
	Platform Platform
	Path     string
	// Match, if set, is called with the request before its body is read; it
	// must not read the body or block.
	Match func(*http.Request) bool
	// Times is how many matching calls the fault applies to: 0 means one,
	// a negative number means every matching call until removed.
	Times  int
	Action FaultAction
}

type faultKind int

const (
	faultErrcode faultKind = iota + 1
	faultStatus
	faultDropRequest
	faultDropResponse
	faultTruncate
	faultDelay
	faultRevoke
)

// FaultAction is what a Fault does to a matching call; build one with
// Errcode, Status, DropRequest, DropResponse, TruncateBody, Delay or Revoke.
type FaultAction struct {
	kind   faultKind
	code   int
	msg    string
	status int
	n      int64
	d      time.Duration
}

// Errcode answers HTTP 200 with {"errcode":code,"errmsg":msg} (decorated
// like the platform's; an empty msg uses the code's usual text), e.g. -1
// (busy), 45009 or 45011.
func Errcode(code int, msg string) FaultAction {
	return FaultAction{kind: faultErrcode, code: code, msg: msg}
}

// Status answers the HTTP status with a short text body, e.g. 502.
func Status(status int) FaultAction { return FaultAction{kind: faultStatus, status: status} }

// DropRequest closes the connection after reading n bytes of the request
// body (0: before reading any), without answering.
func DropRequest(n int64) FaultAction { return FaultAction{kind: faultDropRequest, n: n} }

// DropResponse serves the call, then sends only the first n bytes of the
// raw HTTP response (status line and headers included) and closes the
// connection. The response is held in memory to do so.
func DropResponse(n int64) FaultAction { return FaultAction{kind: faultDropResponse, n: n} }

// TruncateBody serves the call with its true Content-Length but sends only
// the first n bytes of the body before closing the connection. The response
// is held in memory to do so.
func TruncateBody(n int64) FaultAction { return FaultAction{kind: faultTruncate, n: n} }

// Delay holds the call for d (real time, not the emulator's clock) before
// serving it; if the client gives up first, nothing is answered.
func Delay(d time.Duration) FaultAction { return FaultAction{kind: faultDelay, d: d} }

// Revoke revokes the call's access_token before serving it, so the call
// answers CodeRevokedToken as when the platform invalidates a token early.
// On a token endpoint it revokes the account's current tokens instead, so
// a fresh one is minted.
func Revoke() FaultAction { return FaultAction{kind: faultRevoke} }

// String describes the action, as the request log's Fault field does.
func (a FaultAction) String() string {
	switch a.kind {
	case faultErrcode:
		return "errcode " + strconv.Itoa(a.code)
	case faultStatus:
		return "status " + strconv.Itoa(a.status)
	case faultDropRequest:
		return fmt.Sprintf("drop request after %d bytes", a.n)
	case faultDropResponse:
		return fmt.Sprintf("drop response after %d bytes", a.n)
	case faultTruncate:
		return fmt.Sprintf("truncate body after %d bytes", a.n)
	case faultDelay:
		return "delay " + a.d.String()
	case faultRevoke:
		return "revoke token"
	}
	return "none"
}

// InjectedFault is a Fault in force; it tells how often it fired.
type InjectedFault struct {
	e         *Emulator
	id        string
	query     map[string]string // set when injected over the control API
	f         Fault
	remaining int // < 0: unlimited
	hits      int
}

// Inject puts f in force and returns a handle to observe or remove it. It
// panics if f has no Action.
func (e *Emulator) Inject(f Fault) *InjectedFault {
	if f.Action.kind == 0 {
		panic("emulator: Inject: Fault without an Action")
	}
	return e.inject(f, nil)
}

func (e *Emulator) inject(f Fault, query map[string]string) *InjectedFault {
	n := f.Times
	if n == 0 {
		n = 1
	}
	inj := &InjectedFault{e: e, f: f, remaining: n, query: query}
	e.faultMu.Lock()
	e.faultSeq++
	inj.id = "f" + strconv.Itoa(e.faultSeq)
	e.faults = append(e.faults, inj)
	e.faultsSeen = append(e.faultsSeen, inj)
	e.faultMu.Unlock()
	return inj
}

// Hits returns how many calls the fault has applied to so far.
func (i *InjectedFault) Hits() int {
	i.e.faultMu.Lock()
	defer i.e.faultMu.Unlock()
	return i.hits
}

// Remove takes the fault out of force.
func (i *InjectedFault) Remove() {
	i.e.faultMu.Lock()
	defer i.e.faultMu.Unlock()
	i.e.removeFaultLocked(i)
}

// ClearFaults takes every fault out of force and forgets them.
func (e *Emulator) ClearFaults() {
	e.faultMu.Lock()
	e.faults, e.faultsSeen = nil, nil
	e.faultMu.Unlock()
}

func (e *Emulator) removeFaultLocked(i *InjectedFault) {
	for k, f := range e.faults {
		if f == i {
			e.faults = append(e.faults[:k:k], e.faults[k+1:]...)
			return
		}
	}
}

// takeFault returns the action of the first fault matching c, consuming one
// of its Times.
func (e *Emulator) takeFault(c *call) *FaultAction {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	for _, i := range e.faults {
		f := i.f
		if (f.Platform != "" && f.Platform != c.platform) || (f.Path != "" && f.Path != c.path) ||
			(f.Match != nil && !f.Match(c.r)) {
			continue
		}
		i.hits++
		if i.remaining > 0 {
			i.remaining--
			if i.remaining == 0 {
				e.removeFaultLocked(i)
			}
		}
		a := f.Action
		return &a
	}
	return nil
}

// applyFault carries out a; it reports whether the call should then be
// served normally.
func (c *call) applyFault(a *FaultAction) bool {
	c.entry.Fault = a.String()
	switch a.kind {
	case faultErrcode:
		c.fail(a.code, a.msg)
		return false
	case faultStatus:
		c.httpError(a.status, strconv.Itoa(a.status)+" "+http.StatusText(a.status))
		return false
	case faultDropRequest:
		if a.n > 0 && c.r.Body != nil {
			_, _ = io.CopyN(io.Discard, c.r.Body, a.n)
		}
		c.abort(nil)
		return false
	case faultDelay:
		t := time.NewTimer(a.d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-c.r.Context().Done():
			return false
		}
	case faultRevoke:
		c.revokeForFault()
		return true
	case faultDropResponse, faultTruncate:
		rec := &recorder{header: http.Header{}}
		w := c.w
		c.w = rec
		c.dispatch()
		c.drain()
		c.w = w
		raw, headerLen := rec.raw()
		cut := a.n
		if a.kind == faultTruncate {
			cut = int64(headerLen) + a.n
		}
		if cut < int64(len(raw)) {
			raw = raw[:cut]
		}
		c.abort(raw)
		if len(raw) >= headerLen {
			c.entry.Status = rec.status // the status line and headers went out
		}
		return false
	}
	return true
}

// revokeForFault revokes the call's token, or on token endpoints the
// account's current tokens.
func (c *call) revokeForFault() {
	q := c.r.URL.Query()
	if tok := q.Get("access_token"); tok != "" {
		c.e.RevokeToken(tok)
		return
	}
	e := c.e
	e.mu.Lock()
	switch c.path {
	case "/cgi-bin/token", "/cgi-bin/stable_token":
		// The stable_token body is not read yet; revoke both kinds of the
		// account named in the query, if any, else of every account.
		for _, a := range e.st.OA {
			if id := q.Get("appid"); id == "" || id == a.AppID {
				for _, t := range []string{a.Plain, a.Stable} {
					if rec := e.st.Tokens[t]; rec != nil {
						rec.Revoked = true
					}
				}
			}
		}
	case "/cgi-bin/gettoken":
		if co := e.st.Corps[q.Get("corpid")]; co != nil {
			for _, ag := range co.Agents {
				if ag.Secret == q.Get("corpsecret") {
					if rec := e.st.Tokens[ag.Token]; rec != nil {
						rec.Revoked = true
					}
				}
			}
		}
	}
	e.touch()
	e.mu.Unlock()
}

// abort closes the connection after sending raw (if any), without a proper
// answer. It hijacks the connection; where that is impossible (HTTP/2) it
// aborts the handler, which resets the stream.
func (c *call) abort(raw []byte) {
	c.entry.Status = 0
	if hj, ok := c.w.(http.Hijacker); ok {
		conn, _, err := hj.Hijack()
		if err == nil {
			if len(raw) > 0 {
				_, _ = conn.Write(raw)
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // serve's deferred finish still logs the call

}

// recorder holds a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// raw serialises the recorded response as HTTP/1.1 with an exact
// Content-Length, and tells where its body starts.
func (r *recorder) raw() ([]byte, int) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", r.status, http.StatusText(r.status))
	h := r.header.Clone()
	h.Set("Content-Length", strconv.Itoa(r.body.Len()))
	if h.Get("Date") == "" {
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	_ = h.Write(w)
	_, _ = w.WriteString("\r\n")
	_ = w.Flush()
	n := b.Len()
	b.Write(r.body.Bytes())
	return b.Bytes(), n
}
