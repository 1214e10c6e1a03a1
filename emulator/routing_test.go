package emulator_test

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

func TestRoutingByHostAndHandlers(t *testing.T) {
	v := newEnv(t)
	get := func(base, host, path string) (*http.Response, []byte) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		must(t, err)
		req.Host = host
		return v.do(req)
	}
	oaQuery := "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret
	resp, b := get(v.srv.URL, "api.weixin.qq.com", oaQuery)
	wantCode(t, decode(t, resp, b), 0)
	resp, b = get(v.srv.URL, "qyapi.weixin.qq.com:443", "/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret)
	o := decode(t, resp, b)
	wantCode(t, o, 0)
	if o.str("errmsg") != "ok" {
		t.Errorf("WeCom by host: %v", o)
	}
	if resp, _ := get(v.srv.URL, "example.com", oaQuery); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown host: HTTP %d", resp.StatusCode)
	}
	if resp, _ := v.get(v.oa + "/cgi-bin/nothing"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown endpoint: HTTP %d", resp.StatusCode)
	}
	// Media URLs follow the way the platform was reached.
	tok := v.oaToken()
	req, _ := http.NewRequest(http.MethodPost, v.srv.URL+"/cgi-bin/material/add_material?access_token="+tok+"&type=image", nil)
	body, ct := multipartBody(t, file("a.png", pngBytes(t, 2, 2)))
	req.Body, req.ContentLength = nopCloser{bytes.NewReader(body)}, int64(len(body))
	req.Header.Set("Content-Type", ct)
	req.Host = "api.weixin.qq.com"
	resp, b = v.do(req)
	u := decode(t, resp, b).str("url")
	if !strings.HasPrefix(u, "http://api.weixin.qq.com/_media/") {
		t.Errorf("url %q", u)
	}
	if resp, _ := get(v.srv.URL, "api.weixin.qq.com", strings.TrimPrefix(u, "http://api.weixin.qq.com")); resp.StatusCode != 200 {
		t.Errorf("media url by host: HTTP %d", resp.StatusCode)
	}

	// The per-platform handlers serve /cgi-bin at the root.
	oa := httptest.NewServer(v.e.OfficialAccountHandler())
	defer oa.Close()
	resp, b = v.get(oa.URL + oaQuery)
	wantCode(t, decode(t, resp, b), 0)
	work := httptest.NewServer(v.e.WeComHandler())
	defer work.Close()
	resp, b = v.get(work.URL + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=" + agentSecret)
	wantCode(t, decode(t, resp, b), 0)
	if resp, _ := v.get(work.URL + oaQuery); resp.StatusCode != http.StatusNotFound {
		t.Errorf("OA endpoint on the WeCom handler: HTTP %d", resp.StatusCode)
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestSeedDemo(t *testing.T) {
	e := emulator.New()
	defer e.Close()
	must(t, e.SeedDemo())
	must(t, e.SeedDemo()) // idempotent
	want := emulator.Counts{Image: 4, Voice: 1, Video: 1, News: 2}
	if c := e.LibraryCounts(emulator.DemoAppID); c != want {
		t.Fatalf("demo library %+v, want %+v", c, want)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	v := &env{t: t, e: e, srv: srv, oa: srv.URL + "/oa", work: srv.URL + "/work", client: srv.Client()}
	tok := v.getJSON(v.oa + "/cgi-bin/token?grant_type=client_credential&appid=" + emulator.DemoAppID + "&secret=" + emulator.DemoAppSecret).str("access_token")
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+emulator.DemoCorpID+"&corpsecret="+emulator.DemoAgentSecret), 0)
	page := v.postJSON(withToken(v.oa+"/cgi-bin/material/batchget_material", tok), map[string]any{"type": "image", "offset": 0, "count": 20})
	for _, it := range page.list("item") {
		body, _ := marshal(t, map[string]string{"media_id": it.str("media_id")})
		_, b := v.post(withToken(v.oa+"/cgi-bin/material/get_material", tok), "application/json", body)
		if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("demo image %s does not decode: %v", it.str("name"), err)
		}
	}
	news := v.postJSON(withToken(v.oa+"/cgi-bin/material/batchget_material", tok), map[string]any{"type": "news", "offset": 0, "count": 20})
	if news.num("item_count") != 2 {
		t.Errorf("demo news %v", news)
	}
}

func TestServeOnListener(t *testing.T) {
	e := emulator.New()
	defer e.Close()
	must(t, e.AddOfficialAccount(appID, appSecret))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, l) }()
	req, _ := http.NewRequest(http.MethodGet, "http://"+l.Addr().String()+"/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret="+appSecret, nil)
	req.Host = emulator.OfficialAccountHost
	v := &env{t: t, e: e, client: &http.Client{}}
	resp, b := v.do(req)
	wantCode(t, decode(t, resp, b), 0)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v after its context ended", err)
	}
}
