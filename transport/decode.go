package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// maxJSON bounds a JSON reply (a page of news items is the largest).
const maxJSON = 32 << 20

// envelope is the errcode and errmsg every platform reply may carry.
type envelope struct {
	Errcode *int   `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// decodeJSON is the one decoder of JSON replies: it reads the body (bounded)
// and turns an HTTP error status or a non-zero errcode into a
// *material.APIError. A reply without errcode, or with errcode 0, is a
// success; its bytes are returned.
func decodeJSON(platform material.Platform, op string, resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	if len(body) > maxJSON {
		return nil, fmt.Errorf("reply larger than %d bytes", maxJSON)
	}
	if apiErr := envelopeError(platform, op, resp.StatusCode, body); apiErr != nil {
		return nil, apiErr
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		return nil, statusError(platform, op, resp.StatusCode, body)
	}
	if len(bytes.TrimSpace(body)) == 0 || !json.Valid(body) {
		return nil, &material.APIError{Platform: platform, Op: op, HTTPStatus: resp.StatusCode, Message: "reply is not JSON: " + snippet(body)}
	}
	return body, nil
}

// envelopeError returns the APIError a body's errcode means, or nil.
func envelopeError(platform material.Platform, op string, status int, body []byte) *material.APIError {
	var env envelope
	if json.Unmarshal(body, &env) != nil || env.Errcode == nil || *env.Errcode == 0 {
		return nil
	}
	msg, rid := material.ParseErrmsg(redact.String(env.Errmsg))
	return &material.APIError{Platform: platform, Op: op, Code: *env.Errcode, Message: msg, RequestID: rid, HTTPStatus: status}
}

func statusError(platform material.Platform, op string, status int, body []byte) *material.APIError {
	e := &material.APIError{Platform: platform, Op: op, HTTPStatus: status}
	if status == http.StatusPreconditionFailed {
		e.Message = "the platform refuses chunked uploads"
	} else if len(body) > 0 {
		e.Message = redact.String(snippet(body))
	}
	return e
}

// snippet is a short, printable prefix of a body for an error message.
func snippet(b []byte) string {
	const n = 120
	s := string(bytes.ToValidUTF8(b[:min(len(b), n)], []byte("?")))
	s = string(bytes.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, []byte(s)))
	if len(b) > n {
		s += "..."
	}
	return s
}
