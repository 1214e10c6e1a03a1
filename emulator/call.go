package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// call is one request being served.
type call struct {
	e        *Emulator
	w        http.ResponseWriter
	r        *http.Request
	platform Platform
	path     string // endpoint path, prefix removed
	base     string // external URL of the platform root, for media URLs
	now      time.Time
	entry    *Request
	secrets  []string // values to redact from headers
}

func newCall(e *Emulator, w http.ResponseWriter, r *http.Request, p Platform, path, prefix string) *call {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c := &call{
		e:        e,
		w:        w,
		r:        r,
		platform: p,
		path:     path,
		base:     scheme + "://" + r.Host + prefix,
		now:      e.clock.Now(),
	}
	q := r.URL.Query()
	for _, k := range redactedKeys {
		for _, v := range q[k] {
			if v != "" {
				c.secrets = append(c.secrets, v)
			}
		}
	}
	c.entry = &Request{
		Time:             c.now,
		Platform:         p,
		Host:             r.Host,
		RemoteAddr:       r.RemoteAddr,
		Method:           r.Method,
		URLPath:          r.URL.Path,
		Path:             path,
		Query:            redactValues(q),
		Header:           r.Header.Clone(),
		ContentLength:    r.ContentLength,
		TransferEncoding: append([]string(nil), r.TransferEncoding...),
	}
	return c
}

// finish records the call in the request log.
func (c *call) finish() {
	c.entry.Header = redactHeader(c.entry.Header, c.secrets)
	c.e.record(*c.entry)
}

// writeBody sends a complete response with an exact Content-Length.
func (c *call) writeBody(status int, contentType string, body []byte, errcode int) {
	c.drain()
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	c.entry.Status = status
	c.entry.Errcode = errcode
	_, _ = c.w.Write(body)
}

func (c *call) jsonContentType() string {
	if c.platform == WeCom {
		return "application/json; charset=UTF-8"
	}
	return "application/json; encoding=utf-8"
}

// writeJSON persists state changes first (so an answered success is on disk
// with WithDir), then answers.
func (c *call) writeJSON(body []byte, errcode int) {
	c.e.persist()
	c.writeBody(http.StatusOK, c.jsonContentType(), body, errcode)
}

// fail answers an error the way both platforms do: HTTP 200 and a JSON body
// {"errcode":N,"errmsg":"..."}, errmsg decorated like the real ones. An
// empty msg uses the code's usual text.
func (c *call) fail(code int, msg string) { c.failHint(code, msg, "") }

// failHint is fail with an explanatory hint (an emulator addition) in the
// errmsg decoration.
func (c *call) failHint(code int, msg, hint string) {
	if msg == "" {
		msg = message(code)
	}
	c.writeJSON(object("errcode", code, "errmsg", c.decorate(code, msg, hint)), code)
}

// decorate adds what real errmsgs carry after the message: " rid: ..." on
// the Official Account (with "hint: [...]" for token errors), and ", hint:
// [...], from ip: ..., more info at ..." on WeCom.
func (c *call) decorate(code int, msg, hint string) string {
	if c.platform == WeCom {
		if hint == "" {
			hint = fmt.Sprintf("%d%06d", c.now.Unix(), randUint()%1000000)
		}
		return fmt.Sprintf("%s, hint: [%s], from ip: %s, more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
			msg, hint, callerIP(c.r.RemoteAddr), code)
	}
	switch code {
	case codeInvalidCredential, codeBadToken, codeExpiredToken, codeMissingToken:
		if hint == "" {
			hint = randomID(9)
		}
	}
	if hint != "" {
		msg += " hint: [" + hint + "]"
	}
	return msg + " rid: " + rid()
}

func rid() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%08x-%08x-%08x", binary.BigEndian.Uint32(b[0:]), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]))
}

func randUint() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// ok answers a success object made of the key/value pairs kv, in order.
// WeCom bodies, and Official Account bodies under WithErrcodeOnSuccess,
// start with "errcode":0,"errmsg":"ok".
func (c *call) ok(kv ...any) {
	if c.platform == WeCom || c.e.cfg.errcodeOnSuccess {
		kv = append([]any{"errcode", 0, "errmsg", "ok"}, kv...)
	}
	c.writeJSON(object(kv...), 0)
}

// okBare answers {"errcode":0,"errmsg":"ok"}: the whole success body of
// endpoints such as del_material, on both platforms.
func (c *call) okBare() { c.writeJSON(object("errcode", 0, "errmsg", "ok"), 0) }

// httpError answers a non-200 status with a text body, as the platforms'
// front ends do.
func (c *call) httpError(status int, text string) {
	ct := "text/plain; charset=utf-8"
	if strings.HasPrefix(text, "<html>") {
		ct = "text/html"
	}
	c.writeBody(status, ct, []byte(text), 0)
}

// object encodes key/value pairs as a JSON object, keeping their order and
// leaving <, > and & unescaped as the platforms do.
func object(kv ...any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		appendJSON(&b, kv[i])
		b.WriteByte(':')
		appendJSON(&b, kv[i+1])
	}
	b.WriteByte('}')
	return b.Bytes()
}

func appendJSON(b *bytes.Buffer, v any) {
	if raw, ok := v.([]byte); ok {
		b.Write(raw)
		return
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own values are encoded
	}
	b.Truncate(b.Len() - 1) // Encode's newline
}

// jsonBodyLimit bounds JSON request bodies.
const jsonBodyLimit = 1 << 20

// readJSON decodes the JSON request body into v, records it (redacted) in
// the request log, and answers the error itself when it fails.
func (c *call) readJSON(v any) bool {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, jsonBodyLimit+1))
	if err != nil {
		c.entry.Status = 0
		return false
	}
	c.drain()
	c.entry.JSON = redactJSON(body, c)
	if len(bytes.TrimSpace(body)) == 0 {
		if c.platform == WeCom {
			c.fail(codeBadJSON, "Warning: wrong json format. empty body")
		} else {
			c.fail(codeEmptyPost, "")
		}
		return false
	}
	if len(body) > jsonBodyLimit {
		c.fail(codeBadJSON, "")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		if c.platform == WeCom {
			c.fail(codeBadJSON, "Warning: wrong json format. "+jsonErrorText(err))
		} else {
			c.fail(codeBadJSON, "")
		}
		return false
	}
	return true
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	}
	return "invalid json"
}
