package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
)

// The fuzz targets below run their seed corpora (testdata/fuzz/...) as
// ordinary tests; `go test -fuzz=FuzzClassify ./transport/` explores more.

// reference decodes the envelope of a whole body with encoding/json, as the
// platforms' SDKs would: ok is false when encoding/json refuses the body.
func reference(body []byte) (code int, ok bool) {
	body = bytes.TrimLeft(body, " \t\r\n")
	if !bytes.HasPrefix(body, []byte("{")) {
		return 0, false
	}
	var env struct {
		Errcode *wire.Int `json:"errcode"`
	}
	if json.Unmarshal(body, &env) != nil {
		return 0, false
	}
	if env.Errcode == nil {
		return 0, true
	}
	return int(*env.Errcode), true
}

func fuzzResponse(status int, contentType, disposition string, body []byte) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if disposition != "" {
		h.Set("Content-Disposition", disposition)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

// FuzzClassify: Classify never loses a byte, never calls an error reply a
// file, and agrees with encoding/json on what an errcode is.
func FuzzClassify(f *testing.F) {
	f.Add(200, "application/json", "", []byte(`{"errcode":40001,"errmsg":"invalid credential"}`))
	f.Add(200, "application/octet-stream", `attachment; filename="a.jpg"`, []byte(`{"errcode":42001}`))
	f.Add(200, "image/jpeg", `attachment; filename="a.jpg"`, []byte("\xff\xd8\xff\xe0"))
	f.Add(206, "video/mp4", "", []byte("\x00\x00\x00\x18ftypmp42"))
	f.Add(200, "text/html", "", []byte("<html>502</html>"))
	f.Add(200, "", "", []byte(`{"video_url":"http://v/1.mp4"}`))
	f.Fuzz(func(t *testing.T, status int, contentType, disposition string, body []byte) {
		resp := fuzzResponse(status, contentType, disposition, body)
		v := classify(resp)
		got, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("the body changed: read %q (err %v), want %q", got, err, body)
		}
		if status != http.StatusOK && status != http.StatusPartialContent && v.kind != BodyError {
			t.Fatalf("HTTP %d classified %v", status, v.kind)
		}
		code, ok := reference(bytes.TrimPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("\xef\xbb\xbf")))
		if ok && code != 0 && len(body) <= peekLimit && v.kind != BodyError {
			t.Fatalf("encoding/json finds errcode %d; classified %v", code, v.kind)
		}
		if ok && len(body) <= peekLimit && v.has && v.code != code {
			t.Fatalf("errcode %d, encoding/json says %d", v.code, code)
		}
	})
}

// FuzzDecodeReply: the JSON reply decoder never panics, never calls a reply
// with a non-zero errcode a success, and returns only JSON objects.
func FuzzDecodeReply(f *testing.F) {
	f.Add(200, []byte(`{"errcode":0,"errmsg":"ok","media_id":"m"}`))
	f.Add(200, []byte(`{"errcode":40007,"errmsg":"invalid media_id rid: 1-2-3"}`))
	f.Add(200, []byte(`{"errcode":"45009","errmsg":"quota"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(200, []byte(`{"media_id":"m"`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		c := &Client{platform: material.WeCom, secrets: redact.NewSet("SECRET")}
		resp := fuzzResponse(status, "application/json", "", body)
		out, err := c.decodeJSON("op", resp)
		code, ok := reference(body)
		if err == nil {
			if status != http.StatusOK && status != http.StatusPartialContent {
				t.Fatalf("HTTP %d decoded as a success", status)
			}
			var m map[string]json.RawMessage
			if json.Unmarshal(out, &m) != nil {
				t.Fatalf("success %q is not a JSON object", out)
			}
			if ok && code != 0 {
				t.Fatalf("errcode %d decoded as a success", code)
			}
			return
		}
		var apiErr *material.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("err %v is not an APIError", err)
		}
		if ok && code != 0 && apiErr.Code != code {
			t.Fatalf("APIError code %d, encoding/json says %d", apiErr.Code, code)
		}
		if len(apiErr.Message) > redact.SnippetLen+len("...")+len("the reply's errcode is not a number: ") || !utf8.ValidString(apiErr.Message) {
			t.Fatalf("message %q is long or not UTF-8", apiErr.Message)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("the secret is in %q", err)
		}
	})
}

// FuzzFilenameOf: a server-supplied name is always a safe base name.
func FuzzFilenameOf(f *testing.F) {
	f.Add(`attachment; filename="a.jpg"`)
	f.Add(`attachment; filename*=utf-8''%E7%B4%A0%E6%9D%90.png; filename="素材.png"`)
	f.Add(`attachment; filename="../../etc/passwd"`)
	f.Add(`attachment; filename=..\..\win.ini`)
	f.Add(`attachment; filename="a` + "\x00" + `b.txt"`)
	f.Fuzz(func(t *testing.T, cd string) {
		name := FilenameOf(cd)
		switch {
		case strings.ContainsAny(name, `/\`):
			t.Fatalf("FilenameOf(%q) = %q holds a separator", cd, name)
		case name == "." || name == "..":
			t.Fatalf("FilenameOf(%q) = %q", cd, name)
		case !utf8.ValidString(name):
			t.Fatalf("FilenameOf(%q) = %q is not UTF-8", cd, name)
		case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
			t.Fatalf("FilenameOf(%q) = %q holds a control character", cd, name)
		case name != strings.TrimSpace(name):
			t.Fatalf("FilenameOf(%q) = %q has white space around it", cd, name)
		}
	})
}
