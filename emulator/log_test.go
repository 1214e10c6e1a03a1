package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
)

func TestRequestLogMultipart(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	v.resetRequests()
	data := sized(jpegBytes(t, 8, 8), 1234)
	sum := sha256.Sum256(data)
	body, n, ct := multipartStream(t, part{name: "description", data: []byte(`{"title":"t"}`)},
		part{name: "media", filename: "测试.jpg", data: data, contentType: "image/jpeg"})
	req, err := http.NewRequest(http.MethodPost, withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", "image"), body)
	must(t, err)
	req.ContentLength = n
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Referer", "https://example.com/?access_token="+tok)
	req.Header.Set("Authorization", "Bearer abc")
	resp, b := v.do(req)
	wantCode(t, decode(t, resp, b), 0)

	reqs := v.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d log entries, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/cgi-bin/material/add_material" || r.URLPath != "/oa/cgi-bin/material/add_material" ||
		r.Platform != emulator.OfficialAccount || r.Status != 200 || r.Errcode != 0 {
		t.Errorf("entry %+v", r)
	}
	if r.ContentLength != n || len(r.TransferEncoding) != 0 {
		t.Errorf("ContentLength %d (want %d), TransferEncoding %v", r.ContentLength, n, r.TransferEncoding)
	}
	if got := r.Query.Get("access_token"); got != emulator.Redacted || r.Query.Get("type") != "image" {
		t.Errorf("query %v", r.Query)
	}
	if r.Header.Get("Referer") != "https://example.com/?access_token="+emulator.Redacted || r.Header.Get("Authorization") != emulator.Redacted {
		t.Errorf("headers: Referer %q Authorization %q", r.Header.Get("Referer"), r.Header.Get("Authorization"))
	}
	want := []emulator.Part{
		{FormName: "description", ContentDisposition: `form-data; name="description"`, Size: 13,
			SHA256: sha256hex([]byte(`{"title":"t"}`)), Value: `{"title":"t"}`},
		{FormName: "media", FileName: "测试.jpg", ContentDisposition: `form-data; name="media"; filename="测试.jpg"`,
			ContentType: "image/jpeg", Size: 1234, SHA256: hex.EncodeToString(sum[:])},
	}
	if diff := cmp.Diff(want, r.Parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	if s := fmt.Sprintf("%+v", v.requests()); strings.Contains(s, tok) {
		t.Error("the token appears in the request log")
	}
	v.resetRequests()
	if len(v.e.Requests()) != 0 {
		t.Error("ResetRequests left entries")
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRequestLogRedactsSecrets(t *testing.T) {
	v := newEnv(t)
	v.oaToken()
	v.workToken()
	stableToken(v, false)
	wantCode(t, v.getJSON(v.oa+"/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret=wrong-secret"), 40125)
	all := fmt.Sprintf("%+v", v.requests())
	for _, secret := range []string{appSecret, agentSecret, "wrong-secret"} {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q appears in the log", secret)
		}
	}
	st := v.lastRequest("/cgi-bin/stable_token")
	want := `{"appid":"` + appID + `","force_refresh":false,"grant_type":"client_credential","secret":"REDACTED"}`
	if string(st.JSON) != want {
		t.Errorf("stable_token JSON %s, want %s", st.JSON, want)
	}
	gt := v.lastRequest("/cgi-bin/gettoken")
	if gt.Query.Get("corpsecret") != emulator.Redacted || gt.Query.Get("corpid") != corpID || gt.Platform != emulator.WeCom {
		t.Errorf("gettoken query %v", gt.Query)
	}
	tk := v.lastRequest("/cgi-bin/token")
	if tk.Errcode != 40125 || tk.Query.Get("secret") != emulator.Redacted {
		t.Errorf("token entry %+v", tk)
	}
}

func TestRequestLogLimit(t *testing.T) {
	v := newEnv(t, emulator.WithRequestLogLimit(3))
	for range 7 {
		v.oaToken()
	}
	reqs := v.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d entries, want 3", len(reqs))
	}
	if s := v.e.TokenFetches(appID).Plain; s != 7 {
		t.Errorf("%d fetches", s)
	}
}

// TestSettle: while a download is held open Settle waits (and honours its
// context); once it returns, every request answered is in the log.
func TestSettle(t *testing.T) {
	v := newEnv(t, emulator.WithDiscard())
	const size = 64 << 20 // more than loopback socket buffers hold
	id, err := v.e.SeedTemporary(emulator.WeCom, corpID, "file", "big.bin", make([]byte, size))
	must(t, err)
	tok := v.workToken()
	v.resetRequests()

	req, err := http.NewRequest(http.MethodGet, withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id), nil)
	must(t, err)
	req.Header.Set("Range", fmt.Sprintf("bytes=0-%d", 20<<20-1))
	resp, err := v.client.Do(req)
	must(t, err)
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("status %d, want 206", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := v.e.Settle(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Settle with a 20 MB reply unread = %v, want context.Canceled", err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if n != 20<<20 {
		t.Fatalf("read %d bytes, want %d", n, 20<<20)
	}
	if err := v.e.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	reqs := v.e.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/cgi-bin/media/get" || reqs[0].Status != http.StatusPartialContent {
		t.Errorf("log after Settle = %+v, want the download", reqs)
	}
}
