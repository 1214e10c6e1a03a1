package emulator_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// The emulator serves both platforms from one listener: here the demo
// Official Account fetches a token and counts its library over plain HTTP.
func Example() {
	e := emulator.New()
	defer e.Close()
	if err := e.SeedDemo(); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	oa := srv.URL + emulator.OfficialAccountPrefix // or Host: api.weixin.qq.com

	resp, err := http.Get(oa + "/cgi-bin/token?grant_type=client_credential&appid=" +
		emulator.DemoAppID + "&secret=" + emulator.DemoAppSecret)
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println("expires_in:", tok.ExpiresIn)

	resp, err = http.Get(oa + "/cgi-bin/material/get_materialcount?access_token=" + tok.AccessToken)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	// Output:
	// expires_in: 7200
	// {"voice_count":1,"video_count":1,"image_count":4,"news_count":2}
}

// Faults make chosen calls fail; the request log shows what was sent, with
// secrets redacted.
func ExampleEmulator_Inject() {
	e := emulator.New()
	defer e.Close()
	_ = e.AddWeComAgent("wwexample", 1000002, "agent-secret")
	srv := httptest.NewServer(e)
	defer srv.Close()

	// The next gettoken call answers -1 (busy).
	f := e.Inject(emulator.Fault{Platform: emulator.WeCom, Path: "/cgi-bin/gettoken", Action: emulator.Errcode(-1, "")})
	for range 2 {
		resp, err := http.Get(srv.URL + "/work/cgi-bin/gettoken?corpid=wwexample&corpsecret=agent-secret")
		if err != nil {
			panic(err)
		}
		var r struct {
			Errcode int `json:"errcode"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		fmt.Println("errcode:", r.Errcode)
	}
	fmt.Println("fault hits:", f.Hits())
	// Every answered call is in the log once Settle returns. The log is in
	// the order calls ended; Seq gives the order they arrived.
	if err := e.Settle(context.Background()); err != nil {
		panic(err)
	}
	reqs := e.Requests()
	slices.SortFunc(reqs, func(a, b emulator.Request) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, r := range reqs {
		fmt.Println(r.Method, r.Path, "corpsecret="+r.Query.Get("corpsecret"), r.Errcode, r.Fault)
	}
	// Output:
	// errcode: -1
	// errcode: 0
	// fault hits: 1
	// GET /cgi-bin/gettoken corpsecret=REDACTED -1 errcode -1
	// GET /cgi-bin/gettoken corpsecret=REDACTED 0
}
