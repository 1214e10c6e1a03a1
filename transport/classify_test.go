package transport_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wxmaterial/wxmaterial/transport"
)

// response is a reply with the given status, headers (pairs) and body.
func response(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

const (
	ct  = "Content-Type"
	cd  = "Content-Disposition"
	cr  = "Content-Range"
	att = `attachment; filename="a.bin"`
)

func TestClassify(t *testing.T) {
	errcode := `{"errcode":40007,"errmsg":"invalid media_id"}`
	tests := []struct {
		name   string
		status int
		asked  string // the request's Range header
		header []string
		body   string
		want   transport.BodyKind
	}{
		// An errcode is an error whatever the headers say.
		{name: "errcode as JSON", status: 200, header: []string{ct, "application/json"}, body: errcode, want: transport.BodyError},
		{name: "errcode as text/html", status: 200, header: []string{ct, "text/html"}, body: errcode, want: transport.BodyError},
		{name: "errcode as octet-stream", status: 200, header: []string{ct, "application/octet-stream"}, body: errcode, want: transport.BodyError},
		{name: "errcode as image/jpeg with a file name", status: 200, header: []string{ct, "image/jpeg", cd, att}, body: errcode, want: transport.BodyError},
		{name: "errcode without headers", status: 200, body: errcode, want: transport.BodyError},
		{name: "errcode after white space and a BOM", status: 200, header: []string{cd, att}, body: "\xef\xbb\xbf \r\n\t" + errcode, want: transport.BodyError},
		{name: "errcode after a long first key", status: 200, header: []string{cd, att}, body: `{"errmsg":"` + strings.Repeat("x", 10000) + `","errcode":42001}`, want: transport.BodyError},
		{name: "errcode as a string", status: 200, header: []string{cd, att}, body: `{"errcode":"40001"}`, want: transport.BodyError},
		{name: "errcode of another case", status: 200, header: []string{cd, att}, body: `{"ErrCode":40001}`, want: transport.BodyError},
		{name: "repeated errcode, the error last", status: 200, header: []string{cd, att}, body: `{"errcode":0,"errcode":40001}`, want: transport.BodyError},
		{name: "repeated errcode, the error first", status: 200, header: []string{ct, "image/jpeg"}, body: `{"errcode":40007,"errmsg":"invalid media_id","errcode":0}`, want: transport.BodyError},
		{name: "repeated errcode in two cases", status: 200, header: []string{ct, "image/jpeg"}, body: `{"ErrCode":40007,"errcode":0}`, want: transport.BodyError},
		{name: "errcode null", status: 200, header: []string{ct, "image/jpeg"}, body: `{"errcode":null,"errmsg":"invalid media_id"}`, want: transport.BodyError},
		{name: "malformed errcode", status: 200, header: []string{cd, att}, body: `{"errcode":{"x":1}}`, want: transport.BodyError},
		{name: "errcode 206", status: 206, header: []string{ct, "video/mp4"}, body: errcode, want: transport.BodyError},
		// Legitimate JSON: documents, and files that are JSON.
		{name: "OA video link", status: 200, header: []string{ct, "text/plain"}, body: `{"video_url":"http://v/1.mp4"}`, want: transport.BodyJSON},
		{name: "news item", status: 200, header: []string{ct, "application/json"}, body: `{"news_item":[{"title":"t","content":"` + strings.Repeat("<p>x</p>", 20000) + `"}]}`, want: transport.BodyJSON},
		{name: "errcode 0 is no error", status: 200, header: []string{ct, "application/json"}, body: `{"errcode":0,"errmsg":"ok","video_url":"v"}`, want: transport.BodyJSON},
		{name: "errcode nested is not the reply's", status: 200, header: []string{cd, att}, body: `{"rows":[{"errcode":1}],"x":{"errcode":2}}`, want: transport.BodyFile},
		{name: "WeCom JSON file", status: 200, header: []string{ct, "application/json", cd, `attachment; filename="data.json"`}, body: `{"name":"x"}`, want: transport.BodyFile},
		{name: "JSON file array", status: 200, header: []string{ct, "application/json", cd, `attachment; filename="data.json"`}, body: `[1,2]`, want: transport.BodyFile},
		{name: "JSON typed as an image", status: 200, header: []string{ct, "image/png"}, body: `{"a":1}`, want: transport.BodyFile},
		{name: "JSON file longer than the peek", status: 200, header: []string{cd, att}, body: `{"data":"` + strings.Repeat("y", 100<<10) + `"}`, want: transport.BodyFile},
		// Files.
		{name: "JPEG", status: 200, header: []string{ct, "image/jpeg", cd, att}, body: "\xff\xd8\xff\xe0", want: transport.BodyFile},
		{name: "bytes without headers", status: 200, body: "GIF89a", want: transport.BodyFile},
		{name: "speex", status: 200, header: []string{ct, "voice/speex"}, body: "Speex   ", want: transport.BodyFile},
		{name: "206 chunk", status: 206, asked: "bytes=0-7", header: []string{ct, "video/mp4", cr, "bytes 0-7/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyFile},
		{name: "206 chunk at the end of the file", status: 206, asked: "bytes=92-199", header: []string{ct, "video/mp4", cr, "bytes 92-99/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyFile},
		{name: "206 to an open Range", status: 206, asked: "bytes=92-", header: []string{cr, "bytes 92-99/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyFile},
		{name: "HTML file with a name", status: 200, header: []string{ct, "text/html", cd, `attachment; filename="a.html"`}, body: "<html></html>", want: transport.BodyFile},
		{name: "text file with a name", status: 200, header: []string{ct, "text/plain", cd, att}, body: "hello", want: transport.BodyFile},
		// Error pages and other non-files.
		{name: "HTML page with status 200", status: 200, header: []string{ct, "text/html"}, body: "<html>gateway</html>", want: transport.BodyError},
		{name: "HTML page typed as a file", status: 200, header: []string{ct, "video/mp4"}, body: "\n<!DOCTYPE html><html>", want: transport.BodyError},
		{name: "HTML type on bytes", status: 200, header: []string{ct, "text/html; charset=utf-8"}, body: "\x00\x01", want: transport.BodyError},
		{name: "JSON type that is not an object", status: 200, header: []string{ct, "application/json"}, body: `"oops"`, want: transport.BodyError},
		{name: "empty", status: 200, header: []string{ct, "image/jpeg", cd, att}, body: "", want: transport.BodyError},
		{name: "white space only", status: 200, body: "  \n", want: transport.BodyError},
		{name: "HTTP 404 with bytes", status: 404, header: []string{ct, "image/jpeg", cd, att}, body: "\xff\xd8", want: transport.BodyError},
		{name: "HTTP 302", status: 302, header: []string{"Location", "http://evil/"}, body: "", want: transport.BodyError},
		{name: "HTTP 500", status: 500, body: "oops", want: transport.BodyError},
		// A 206 must answer the Range asked.
		{name: "206 to a request for the whole file", status: 206, header: []string{ct, "image/jpeg", cd, att, cr, "bytes 0-7/100000"}, body: "\xff\xd8\xff\xe0abcd", want: transport.BodyError},
		{name: "206 of the whole file to a request for it", status: 206, header: []string{ct, "image/jpeg", cr, "bytes 0-7/8"}, body: "\xff\xd8\xff\xe0abcd", want: transport.BodyError},
		{name: "206 without Content-Range", status: 206, asked: "bytes=0-7", header: []string{ct, "video/mp4"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 with a malformed Content-Range", status: 206, asked: "bytes=0-7", header: []string{cr, "bytes 0-7/*"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 from another first byte", status: 206, asked: "bytes=8-15", header: []string{cr, "bytes 0-7/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 past the last byte asked", status: 206, asked: "bytes=0-3", header: []string{cr, "bytes 0-7/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 with a Content-Length of other bytes", status: 206, asked: "bytes=0-99", header: []string{cr, "bytes 0-99/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 to a suffix Range", status: 206, asked: "bytes=-8", header: []string{cr, "bytes 92-99/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 to two ranges", status: 206, asked: "bytes=0-3,4-7", header: []string{cr, "bytes 0-7/100"}, body: "\x00\x00\x00\x18ftyp", want: transport.BodyError},
		{name: "206 holding an errcode", status: 206, asked: "bytes=0-44", header: []string{cr, "bytes 0-44/100"}, body: errcode, want: transport.BodyError},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			resp := response(tt.status, tt.body, tt.header...)
			if tt.asked != "" {
				resp.Request = &http.Request{Header: http.Header{"Range": {tt.asked}}}
			}
			if oneByte {
				resp.Body = io.NopCloser(iotest.OneByteReader(strings.NewReader(tt.body)))
			}
			if got := transport.Classify(resp); got != tt.want {
				t.Errorf("%s (one byte at a time: %v): Classify = %v, want %v", tt.name, oneByte, got, tt.want)
			}
			if again := transport.Classify(resp); again != tt.want {
				t.Errorf("%s: a second Classify = %v", tt.name, again)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil || string(got) != tt.body {
				t.Errorf("%s: the body reads %d bytes (err %v) after Classify, want the %d it had", tt.name, len(got), err, len(tt.body))
			}
		}
	}
}

// TestClassifyReadsLittle: Classify never reads a file beyond its first
// read, nor anything beyond 64 KiB.
func TestClassifyReadsLittle(t *testing.T) {
	tests := []struct {
		name   string
		first  string
		header []string
		max    int64
	}{
		{name: "binary file", first: "\xff\xd8\xff\xe0", header: []string{cd, att}, max: 512},
		{name: "JSON-like file", first: "{", header: []string{cd, att}, max: 64 << 10},
		{name: "white space", first: " ", max: 64 << 10},
	}
	for _, tt := range tests {
		r := &countingReader{r: io.MultiReader(strings.NewReader(tt.first), endless(tt.first[0]))}
		resp := response(200, "", tt.header...)
		resp.Body, resp.ContentLength = io.NopCloser(r), -1
		transport.Classify(resp)
		if r.n > tt.max {
			t.Errorf("%s: Classify read %d bytes, over %d", tt.name, r.n, tt.max)
		}
	}
}

// endless yields b forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// TestClassifyKeepsAReadError: a body that breaks during the peek still
// reports its error to the reader, after the bytes that did arrive.
func TestClassifyKeepsAReadError(t *testing.T) {
	resp := response(200, "")
	resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"media_id":"ab`), iotest.ErrReader(io.ErrUnexpectedEOF)))
	transport.Classify(resp)
	got, err := io.ReadAll(resp.Body)
	if err != io.ErrUnexpectedEOF || !bytes.Equal(got, []byte(`{"media_id":"ab`)) {
		t.Errorf("read %q, %v; want the bytes then io.ErrUnexpectedEOF", got, err)
	}
}
