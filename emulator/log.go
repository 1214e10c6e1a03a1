package emulator

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Redacted replaces secret values (access_token, secret, corpsecret) in the
// request log.
const Redacted = "REDACTED"

// redactedKeys are query parameters and JSON fields whose values are
// secrets.
var redactedKeys = []string{"access_token", "secret", "corpsecret"}

// Request is one request as the emulator received it, with secrets replaced
// by Redacted.
type Request struct {
	// Seq numbers requests in the order they arrived, from 1. The log is
	// in the order they were answered; sort by Seq for the order a client
	// sent them.
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"` // on the emulator's clock
	Platform   Platform  `json:"platform"`
	Host       string    `json:"host"`
	RemoteAddr string    `json:"remote_addr"`
	Method     string    `json:"method"`
	URLPath    string    `json:"url_path"` // as received, with any /oa or /work prefix
	Path       string    `json:"path"`     // endpoint path, e.g. /cgi-bin/media/upload
	// Query is the query string; access_token, secret and corpsecret
	// values are Redacted.
	Query url.Values `json:"query"`
	// Header holds the request headers; Authorization, Cookie and any value
	// containing one of the request's secrets are redacted.
	Header           http.Header `json:"header"`
	ContentLength    int64       `json:"content_length"` // -1 when unknown
	TransferEncoding []string    `json:"transfer_encoding,omitempty"`
	// Parts lists the multipart parts of an upload, in order.
	Parts []Part `json:"parts,omitempty"`
	// JSON is the JSON request body with secret fields Redacted.
	JSON json.RawMessage `json:"json,omitempty"`
	// Status is the HTTP status answered, 0 when the connection was dropped
	// or the client went away before an answer.
	Status int `json:"status"`
	// Errcode is the errcode answered (0 for success or a non-JSON answer).
	Errcode int `json:"errcode"`
	// Fault describes the injected fault applied to this request, if any.
	Fault string `json:"fault,omitempty"`
}

// Part is one part of a multipart request body.
type Part struct {
	FormName string `json:"name"`
	// FileName is the filename parameter exactly as sent (raw bytes, no
	// decoding); FileNameStar is the RFC 2231 filename* parameter, if any.
	FileName     string `json:"filename,omitempty"`
	FileNameStar string `json:"filename_star,omitempty"`
	// ContentDisposition is the part's raw Content-Disposition header.
	ContentDisposition string `json:"content_disposition"`
	ContentType        string `json:"content_type,omitempty"`
	Size               int64  `json:"size"`
	SHA256             string `json:"sha256"` // hex
	// Value holds the content of a part without a filename when it is at
	// most 4 KiB.
	Value string `json:"value,omitempty"`
}

const maxLoggedValue = 4 << 10

func (e *Emulator) record(r Request) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	e.reqs = append(e.reqs, r)
	// Trim in batches so that a full log does not cost a copy per request;
	// Requests shows only the newest logLimit entries.
	if n := e.cfg.logLimit; n > 0 && len(e.reqs) >= 2*n {
		e.reqs = append(e.reqs[:0:0], e.reqs[len(e.reqs)-n:]...)
	}
}

// Requests returns a copy of the request log, in the order requests were
// answered (sort by Request.Seq for the order they arrived).
//
// A request is logged when the emulator is done with it, which can be just
// after the client has read the whole reply: call Settle first to see every
// request a client has had an answer to.
func (e *Emulator) Requests() []Request {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	reqs := e.reqs
	if n := e.cfg.logLimit; n > 0 && len(reqs) > n {
		reqs = reqs[len(reqs)-n:]
	}
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		r.Query = maps.Clone(r.Query)
		r.Header = r.Header.Clone()
		r.Parts = append([]Part(nil), r.Parts...)
		r.JSON = append(json.RawMessage(nil), r.JSON...)
		out[i] = r
	}
	return out
}

// ResetRequests empties the request log. A request still in service is
// logged when it ends, after the reset: call Settle first.
func (e *Emulator) ResetRequests() {
	e.logMu.Lock()
	e.reqs = nil
	e.logMu.Unlock()
}

func redactValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, vs := range q {
		vs = append([]string(nil), vs...)
		if isRedactedKey(k) {
			for i := range vs {
				vs[i] = Redacted
			}
		}
		out[k] = vs
	}
	return out
}

func isRedactedKey(k string) bool {
	for _, r := range redactedKeys {
		if strings.EqualFold(k, r) {
			return true
		}
	}
	return false
}

func redactHeader(h http.Header, secrets []string) http.Header {
	for k, vs := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Proxy-Authorization", "Cookie":
			for i := range vs {
				vs[i] = Redacted
			}
			continue
		}
		for i, v := range vs {
			for _, s := range secrets {
				v = strings.ReplaceAll(v, s, Redacted)
				v = strings.ReplaceAll(v, url.QueryEscape(s), Redacted)
			}
			vs[i] = v
		}
	}
	return h
}

// redactJSON returns body with secret fields of a top-level JSON object
// replaced, remembering their values for header redaction. A body that is
// not a JSON object is kept as a JSON string.
func redactJSON(body []byte, c *call) json.RawMessage {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		s := string(body)
		for _, sec := range c.secrets {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
		b, _ := json.Marshal(s)
		return b
	}
	for k, v := range obj {
		if !isRedactedKey(k) {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			c.secrets = append(c.secrets, s)
		}
		obj[k], _ = json.Marshal(Redacted)
	}
	b, _ := json.Marshal(obj)
	return b
}

// enter and leave count the requests being served, for Settle; enter
// returns the request's arrival number.
func (e *Emulator) enter() uint64 {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if e.serving == 0 {
		e.servingIdle = make(chan struct{})
	}
	e.serving++
	e.arrivals++
	return e.arrivals
}

func (e *Emulator) leave() {
	e.logMu.Lock()
	e.serving--
	if e.serving == 0 {
		close(e.servingIdle)
	}
	e.logMu.Unlock()
}

// Settle blocks until no request is being served (so every request
// answered so far is in the log), or until ctx is done. A download the
// caller still holds open keeps its request in service.
func (e *Emulator) Settle(ctx context.Context) error {
	e.logMu.Lock()
	if e.serving == 0 {
		e.logMu.Unlock()
		return nil
	}
	idle := e.servingIdle
	e.logMu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
