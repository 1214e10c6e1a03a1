package emulator_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// freshClient opens a new connection per request, so that net/http never
// retries a request on a dropped, reused connection.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestFaultErrcodeTimesAndHits(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	f := v.e.Inject(emulator.Fault{Platform: emulator.OfficialAccount, Path: "/cgi-bin/material/get_materialcount", Times: 2,
		Action: emulator.Errcode(-1, "")})
	u := withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)
	wantCode(t, v.getJSON(u), -1)
	// Other endpoints and the other platform are untouched.
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/media/get", tok, "media_id", "x")), 40007)
	wantCode(t, v.getJSON(u), -1)
	wantCode(t, v.getJSON(u), 0)
	if f.Hits() != 2 {
		t.Errorf("Hits = %d, want 2", f.Hits())
	}
	if r := v.lastRequest("/cgi-bin/material/get_materialcount"); r.Fault != "" {
		t.Errorf("third call logged fault %q", r.Fault)
	}
	// Faults apply to token endpoints too, with a custom message.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/gettoken", Action: emulator.Errcode(45009, "api freq out of limit")})
	o := v.getJSON(v.work + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=" + agentSecret)
	wantCode(t, o, 45009)
	if !hasPrefix(o.str("errmsg"), "api freq out of limit, hint: [") {
		t.Errorf("errmsg %q", o.str("errmsg"))
	}
	if r := v.lastRequest("/cgi-bin/gettoken"); r.Fault != "errcode 45009" || r.Errcode != 45009 {
		t.Errorf("log: fault %q errcode %d", r.Fault, r.Errcode)
	}
	v.workToken()
}

func TestFaultMatchUnlimitedAndRemove(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	f := v.e.Inject(emulator.Fault{Times: -1, Action: emulator.Status(http.StatusBadGateway),
		Match: func(r *http.Request) bool { return r.URL.Query().Get("type") == "voice" }})
	for range 3 {
		resp, _ := v.post(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "voice"), "text/plain", []byte("x"))
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("HTTP %d, want 502", resp.StatusCode)
		}
	}
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("a.jpg", jpegBytes(t, 4, 4))), 0)
	f.Remove()
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "voice"), file("a.amr", amrBytes(3))), 0)
	if f.Hits() != 3 {
		t.Errorf("Hits %d", f.Hits())
	}
	v.e.Inject(emulator.Fault{Action: emulator.Status(503)})
	v.e.ClearFaults()
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)), 0)
}

func TestFaultDropConnection(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	c := freshClient()
	// Before reading anything.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Action: emulator.DropRequest(0)})
	if _, err := c.Get(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)); err == nil {
		t.Error("dropped request: no error")
	}
	// After part of an upload's body: nothing is stored.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: emulator.DropRequest(1000)})
	body, ct := multipartBody(t, file("a.png", sized(pngBytes(t, 4, 4), 200000)))
	if _, err := c.Post(withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", "image"), ct, bytes.NewReader(body)); err == nil {
		t.Error("upload dropped mid-body: no error")
	}
	if n := v.e.LibraryCounts(appID).Image; n != 0 {
		t.Errorf("library holds %d images after a dropped upload", n)
	}
	if r := v.lastRequest("/cgi-bin/material/add_material"); r.Status != 0 || r.Fault != "drop request after 1000 bytes" {
		t.Errorf("log: status %d fault %q", r.Status, r.Fault)
	}
	// After part of the raw response: a broken answer.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Action: emulator.DropResponse(20)})
	if resp, err := c.Get(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)); err == nil {
		resp.Body.Close()
		t.Error("response dropped after 20 bytes: no error")
	}
	// The call itself was served: an upload cut in the response is stored.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: emulator.DropResponse(0)})
	body, ct = multipartBody(t, file("b.png", pngBytes(t, 4, 4)))
	if _, err := c.Post(withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", "image"), ct, bytes.NewReader(body)); err == nil {
		t.Error("response dropped before any byte: no error")
	}
	if n := v.e.LibraryCounts(appID).Image; n != 1 {
		t.Errorf("an upload whose answer was lost should be stored: %d images", n)
	}
}

func TestFaultTruncatedBody(t *testing.T) {
	v := newEnv(t)
	tok := v.workToken()
	data := bytes.Repeat([]byte("0123456789"), 100)
	id := v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("f.txt", data)).str("media_id")
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Action: emulator.TruncateBody(100)})
	resp, err := freshClient().Get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id))
	must(t, err)
	defer resp.Body.Close()
	if resp.ContentLength != int64(len(data)) || resp.Header.Get("Content-Range") != "" {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(data))
	}
	got, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, data[:100]) {
		t.Errorf("read %d bytes, err %v; want 100 and unexpected EOF", len(got), err)
	}
	if r := v.lastRequest("/cgi-bin/media/get"); r.Status != 200 || r.Fault != "truncate body after 100 bytes" {
		t.Errorf("log: status %d fault %q", r.Status, r.Fault)
	}
}

func TestFaultDelay(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	u := withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)
	// A client that gives up first gets no answer. Match tells when the
	// server holds the call.
	held := make(chan struct{}, 1)
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Action: emulator.Delay(time.Hour),
		Match: func(*http.Request) bool { held <- struct{}{}; return true }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	done := make(chan error, 1)
	go func() {
		resp, err := v.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-held
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// A tiny delay answers normally.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Action: emulator.Delay(time.Millisecond)})
	wantCode(t, v.getJSON(u), 0)
	if r := v.lastRequest("/cgi-bin/material/get_materialcount"); r.Fault != "delay 1ms" || r.Status != 200 {
		t.Errorf("log: %q %d", r.Fault, r.Status)
	}
}

func TestFaultRevoke(t *testing.T) {
	v := newEnv(t)
	tok := v.workToken()
	v.e.Inject(emulator.Fault{Platform: emulator.WeCom, Path: "/cgi-bin/media/get", Action: emulator.Revoke()})
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", "x")), emulator.CodeRevokedToken)
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", "x")), emulator.CodeRevokedToken)
	fresh := v.workToken()
	if fresh == tok {
		t.Fatal("gettoken returned the revoked token")
	}
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", fresh, "media_id", "x")), 40007)
	// On a token endpoint: the current token is revoked and a new one minted.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/gettoken", Action: emulator.Revoke()})
	again := v.workToken()
	if again == fresh {
		t.Error("Revoke on gettoken kept the token")
	}
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", fresh, "media_id", "x")), emulator.CodeRevokedToken)
}
