package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

const (
	appID       = "wx00000000000test1"
	appSecret   = "oa-secret-0000000000000000000001"
	corpID      = "ww00000000000test1"
	agentID     = int64(1000001)
	agentSecret = "work-secret-00000000000000000000000000001"
)

var epoch = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// env is an emulator behind a real HTTP server, with one Official Account
// and one WeCom agent, on a fake clock.
type env struct {
	t      *testing.T
	e      *emulator.Emulator
	clock  *emulator.FakeClock
	srv    *httptest.Server
	oa     string // base URL of the Official Account, …/oa
	work   string // base URL of WeCom, …/work
	client *http.Client
}

func newEnv(t *testing.T, opts ...emulator.Option) *env {
	t.Helper()
	clock := emulator.NewFakeClock(epoch)
	e, err := emulator.Open(append([]emulator.Option{emulator.WithClock(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	must(t, e.AddOfficialAccount(appID, appSecret))
	must(t, e.AddWeComAgent(corpID, agentID, agentSecret))
	return &env{t: t, e: e, clock: clock, srv: srv, oa: srv.URL + "/oa", work: srv.URL + "/work", client: srv.Client()}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// do sends req and returns the response with its body read.
func (v *env) do(req *http.Request) (*http.Response, []byte) {
	v.t.Helper()
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	resp.Body.Close()
	// The request is logged once the emulator is done with it.
	if err := v.e.Settle(v.t.Context()); err != nil {
		v.t.Fatal(err)
	}
	return resp, b
}

func (v *env) get(u string, header ...string) (*http.Response, []byte) {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	must(v.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return v.do(req)
}

func (v *env) getJSON(u string) obj {
	v.t.Helper()
	resp, b := v.get(u)
	return decode(v.t, resp, b)
}

func (v *env) post(u, contentType string, body []byte) (*http.Response, []byte) {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	must(v.t, err)
	req.Header.Set("Content-Type", contentType)
	return v.do(req)
}

func (v *env) postJSON(u string, body any) obj {
	v.t.Helper()
	b, err := json.Marshal(body)
	must(v.t, err)
	resp, rb := v.post(u, "application/json", b)
	return decode(v.t, resp, rb)
}

// obj is a decoded JSON object.
type obj map[string]any

func decode(t *testing.T, resp *http.Response, b []byte) obj {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", resp.Request.URL.Path, resp.StatusCode, b)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var o obj
	if err := d.Decode(&o); err != nil {
		t.Fatalf("%s: not JSON (%v): %.200q", resp.Request.URL.Path, err, b)
	}
	return o
}

// code is the object's errcode, 0 when absent.
func (o obj) code() int {
	n, ok := o["errcode"].(json.Number)
	if !ok {
		return 0
	}
	i, _ := n.Int64()
	return int(i)
}

func (o obj) str(k string) string {
	s, _ := o[k].(string)
	return s
}

func (o obj) num(k string) int64 {
	n, ok := o[k].(json.Number)
	if !ok {
		return -1
	}
	i, _ := n.Int64()
	return i
}

func (o obj) obj(k string) obj {
	m, _ := o[k].(map[string]any)
	return obj(m)
}

func (o obj) list(k string) []obj {
	l, _ := o[k].([]any)
	out := make([]obj, len(l))
	for i, x := range l {
		m, _ := x.(map[string]any)
		out[i] = m
	}
	return out
}

func wantCode(t *testing.T, o obj, want int) {
	t.Helper()
	if got := o.code(); got != want {
		t.Fatalf("errcode = %d, want %d (body %v)", got, want, o)
	}
}

func (v *env) oaToken() string {
	v.t.Helper()
	o := v.getJSON(v.oa + "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret)
	wantCode(v.t, o, 0)
	return o.str("access_token")
}

func (v *env) workToken() string {
	v.t.Helper()
	o := v.getJSON(v.work + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=" + agentSecret)
	wantCode(v.t, o, 0)
	return o.str("access_token")
}

// withToken appends access_token (and more query) to an endpoint URL.
func withToken(u, token string, kv ...string) string {
	q := url.Values{"access_token": {token}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return u + "?" + q.Encode()
}

// part is one multipart part; a file part when filename or disposition is
// set.
type part struct {
	name, filename string
	data           []byte
	contentType    string
	disposition    string // raw Content-Disposition, overrides name/filename
}

func file(name string, data []byte) part { return part{name: "media", filename: name, data: data} }

// multipartStream returns a multipart body (without copying the parts'
// data), its exact length and its Content-Type.
func multipartStream(t *testing.T, parts ...part) (io.Reader, int64, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	var readers []io.Reader
	var n int64
	flush := func() {
		chunk := bytes.Clone(b.Bytes())
		b.Reset()
		readers = append(readers, bytes.NewReader(chunk))
		n += int64(len(chunk))
	}
	for _, p := range parts {
		_, err := w.CreatePart(partHeader(p))
		must(t, err)
		flush()
		readers = append(readers, bytes.NewReader(p.data))
		n += int64(len(p.data))
	}
	must(t, w.Close())
	flush()
	return io.MultiReader(readers...), n, w.FormDataContentType()
}

// partHeader is the MIME header of p: raw UTF-8 in filename="...", as the
// platforms want it.
func partHeader(p part) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	switch {
	case p.disposition != "":
		h.Set("Content-Disposition", p.disposition)
	case p.filename != "":
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, p.name, p.filename))
	default:
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"`, p.name))
	}
	if p.contentType != "" {
		h.Set("Content-Type", p.contentType)
	} else if p.filename != "" || p.disposition != "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	return h
}

func multipartBody(t *testing.T, parts ...part) ([]byte, string) {
	t.Helper()
	r, _, ct := multipartStream(t, parts...)
	b, err := io.ReadAll(r)
	must(t, err)
	return b, ct
}

func (v *env) upload(u string, parts ...part) obj {
	v.t.Helper()
	body, n, ct := multipartStream(v.t, parts...)
	req, err := http.NewRequest(http.MethodPost, u, body)
	must(v.t, err)
	req.ContentLength = n
	req.Header.Set("Content-Type", ct)
	resp, b := v.do(req)
	return decode(v.t, resp, b)
}

// requests returns the request log once every answered request is in it
// (see the package doc's rules for reading the log).
func (v *env) requests() []emulator.Request {
	v.t.Helper()
	if err := v.e.Settle(v.t.Context()); err != nil {
		v.t.Fatal(err)
	}
	return v.e.Requests()
}

// resetRequests empties the request log once no request is in service.
func (v *env) resetRequests() {
	v.t.Helper()
	if err := v.e.Settle(v.t.Context()); err != nil {
		v.t.Fatal(err)
	}
	v.e.ResetRequests()
}

// lastRequest returns the most recently answered request-log entry for
// path.
func (v *env) lastRequest(path string) emulator.Request {
	v.t.Helper()
	reqs := v.requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i]
		}
	}
	v.t.Fatalf("no request to %s in the log", path)
	return emulator.Request{}
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }

func marshal(t *testing.T, v any) ([]byte, error) {
	t.Helper()
	return json.Marshal(v)
}

// The NoT helpers report errors instead of failing a test, for use from
// goroutines other than the test's.

func multipartBodyNoT(parts ...part) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		pw, _ := w.CreatePart(partHeader(p))
		_, _ = pw.Write(p.data)
	}
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func decodeNoT(resp *http.Response, err error) (obj, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	d := json.NewDecoder(resp.Body)
	d.UseNumber()
	var o obj
	return o, d.Decode(&o)
}

func postMultipart(c *http.Client, u, ct string, body []byte) (obj, error) {
	return decodeNoT(c.Post(u, ct, bytes.NewReader(body)))
}

func postJSONNoT(c *http.Client, u string, v any) (obj, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeNoT(c.Post(u, "application/json", bytes.NewReader(b)))
}
