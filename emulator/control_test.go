package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// newControlEnv is newEnv served by a Server with the control API; a reset
// puts the test accounts back.
func newControlEnv(t *testing.T, opts ...emulator.Option) *env {
	t.Helper()
	clock := emulator.NewFakeClock(epoch)
	e, err := emulator.Open(append([]emulator.Option{emulator.WithClock(clock)}, opts...)...)
	must(t, err)
	addTestAccounts := func(e *emulator.Emulator) error {
		if err := e.AddOfficialAccount(appID, appSecret); err != nil {
			return err
		}
		return e.AddWeComAgent(corpID, agentID, agentSecret)
	}
	s := &emulator.Server{Emulator: e, Control: true, OnReset: addTestAccounts}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	must(t, addTestAccounts(e))
	return &env{t: t, e: e, clock: clock, srv: srv, oa: srv.URL + "/oa", work: srv.URL + "/work", client: srv.Client()}
}

// ctl calls the control API and decodes its JSON reply into out (if not
// nil); it returns the status and the raw body.
func (v *env) ctl(method, path string, body any, out any) (int, []byte) {
	v.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		must(v.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, v.srv.URL+path, rd)
	must(v.t, err)
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	must(v.t, err)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && resp.StatusCode != http.StatusOK {
		v.t.Fatalf("%s %s: HTTP %d with Content-Type %q: %s", method, path, resp.StatusCode, ct, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			v.t.Fatalf("%s %s: HTTP %d, not JSON: %v: %s", method, path, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// ctlOK is ctl that wants a 2xx status.
func (v *env) ctlOK(method, path string, body any, out any) {
	v.t.Helper()
	if st, raw := v.ctl(method, path, body, out); st/100 != 2 {
		v.t.Fatalf("%s %s: HTTP %d: %s", method, path, st, raw)
	}
}

// ctlError is ctl that wants status and an error naming want.
func (v *env) ctlError(method, path string, body any, status int, want string) {
	v.t.Helper()
	var e struct{ Error string }
	st, raw := v.ctl(method, path, body, &e)
	if st != status || !strings.Contains(e.Error, want) {
		v.t.Fatalf("%s %s: HTTP %d %s, want %d and an error containing %q", method, path, st, raw, status, want)
	}
}

func TestControlAccounts(t *testing.T) {
	v := newControlEnv(t)
	add := emulator.Accounts{
		OfficialAccounts: []emulator.OfficialAccountConfig{{AppID: "wx-http", Secret: "http-secret", AllowedIPs: []string{"127.0.0.0/8"}}},
		WeComCorps: []emulator.WeComCorpConfig{{CorpID: "ww-http", Agents: []emulator.WeComAgentConfig{
			{AgentID: 7, Secret: "agent-7-secret"}, {AgentID: 8, Secret: "agent-8-secret"}}}},
	}
	var listed emulator.Accounts
	v.ctlOK("POST", "/_emulator/accounts", add, &listed)
	// Added over HTTP, the accounts fetch tokens on the platforms.
	wantCode(t, v.getJSON(v.oa+"/cgi-bin/token?grant_type=client_credential&appid=wx-http&secret=http-secret"), 0)
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid=ww-http&corpsecret=agent-8-secret"), 0)
	// Added from Go, they are listed over HTTP; both views agree, and
	// neither shows a secret.
	must(t, v.e.AddOfficialAccount("wx-go", "go-secret"))
	listed = emulator.Accounts{}
	v.ctlOK("GET", "/_emulator/accounts", nil, &listed)
	want := emulator.Accounts{
		OfficialAccounts: []emulator.OfficialAccountConfig{{AppID: "wx-go"}, {AppID: "wx-http", AllowedIPs: []string{"127.0.0.0/8"}}, {AppID: appID}},
		WeComCorps: []emulator.WeComCorpConfig{
			{CorpID: "ww-http", Agents: []emulator.WeComAgentConfig{{AgentID: 7}, {AgentID: 8}}},
			{CorpID: corpID, Agents: []emulator.WeComAgentConfig{{AgentID: agentID}}},
		},
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("GET /_emulator/accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(v.e.ListAccounts(), listed); diff != "" {
		t.Errorf("ListAccounts and GET /_emulator/accounts differ (-go +http):\n%s", diff)
	}
	var stats emulator.TokenStats
	v.ctlOK("GET", "/_emulator/tokens/ww-http", nil, &stats)
	if diff := cmp.Diff(v.e.TokenFetches("ww-http"), stats); diff != "" || stats.WeCom != 1 {
		t.Errorf("token fetches of ww-http: %+v (-go +http):\n%s", stats, diff)
	}

	for _, tc := range []struct {
		name, body string
		want       string
	}{
		{"missing secret", `{"official_accounts":[{"appid":"wx1"}]}`, "official_accounts[0] (wx1): secret is required"},
		{"unknown field", `{"official_accounts":[{"appid":"wx1","secret":"s","colour":"red"}]}`, `unknown field "colour"`},
		{"bad ip", `{"work_corps":[{"corpid":"ww1","agents":[{"agentid":1,"secret":"s","allowed_ips":["nowhere"]}]}]}`, `"nowhere" is neither an IP nor a CIDR`},
		{"shared secret", `{"work_corps":[{"corpid":"ww1","agents":[{"agentid":1,"secret":"s"},{"agentid":2,"secret":"s"}]}]}`, "has the secret of another agent"},
		{"no agents", `{"work_corps":[{"corpid":"ww1","agents":[]}]}`, "at least one agent"},
		{"not JSON", `appid=wx1`, "the JSON body"},
		{"empty", ``, "a JSON body is required"},
		{"trailing", `{} {}`, "data after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.t = t
			v.ctlError("POST", "/_emulator/accounts", tc.body, http.StatusBadRequest, tc.want)
		})
	}
	v.t = t
	if got := v.e.ListAccounts(); len(got.OfficialAccounts) != 3 || len(got.WeComCorps) != 2 {
		t.Errorf("a refused body added accounts: %+v", got)
	}
}

func TestParseAccounts(t *testing.T) {
	a, err := emulator.ParseAccounts([]byte(`{"official_accounts":[{"appid":"wx1","secret":"s1"}],
		"work_corps":[{"corpid":"ww1","agents":[{"agentid":1000002,"secret":"s2","allowed_ips":["10.0.0.0/8"]}]}]}`))
	must(t, err)
	want := emulator.Accounts{
		OfficialAccounts: []emulator.OfficialAccountConfig{{AppID: "wx1", Secret: "s1"}},
		WeComCorps: []emulator.WeComCorpConfig{{CorpID: "ww1", Agents: []emulator.WeComAgentConfig{
			{AgentID: 1000002, Secret: "s2", AllowedIPs: []string{"10.0.0.0/8"}}}}},
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("ParseAccounts (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"official_accounts":[{"appid":"wx1","secret":"s"},{"appid":"wx1","secret":"t"}]}`, `[]`, `{"oa":[]}`} {
		if _, err := emulator.ParseAccounts([]byte(bad)); err == nil {
			t.Errorf("ParseAccounts(%s) succeeded", bad)
		}
	}
}

// TestControlFaultsMatchGo injects each kind of fault once from Go and once
// over HTTP, and checks that a call sees the same thing both ways.
func TestControlFaultsMatchGo(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault emulator.Fault
		body  string
		// seen describes what a client sees from a token call.
		seen func(resp *http.Response, body []byte, err error) string
	}{
		{
			name:  "errcode",
			fault: emulator.Fault{Platform: emulator.OfficialAccount, Path: "/cgi-bin/token", Action: emulator.Errcode(-1, "")},
			body:  `{"platform":"oa","path":"/cgi-bin/token","action":"errcode","errcode":-1}`,
			seen:  seenErrcode,
		},
		{
			name:  "errcode with message",
			fault: emulator.Fault{Path: "/cgi-bin/token", Action: emulator.Errcode(45009, "reach max api daily quota limit")},
			body:  `{"path":"/cgi-bin/token","action":"errcode","errcode":45009,"errmsg":"reach max api daily quota limit"}`,
			seen:  seenErrcode,
		},
		{
			name:  "status",
			fault: emulator.Fault{Path: "/cgi-bin/token", Action: emulator.Status(http.StatusBadGateway)},
			body:  `{"path":"/cgi-bin/token","action":"status","status":502}`,
			seen:  seenStatus,
		},
		{
			name:  "drop request",
			fault: emulator.Fault{Path: "/cgi-bin/token", Action: emulator.DropRequest(0)},
			body:  `{"path":"/cgi-bin/token","action":"drop_request"}`,
			seen:  seenStatus,
		},
		{
			name:  "drop response",
			fault: emulator.Fault{Path: "/cgi-bin/token", Action: emulator.DropResponse(10)},
			body:  `{"path":"/cgi-bin/token","action":"drop_response","bytes":10}`,
			seen:  seenStatus,
		},
		{
			name:  "truncate body",
			fault: emulator.Fault{Path: "/cgi-bin/token", Action: emulator.TruncateBody(5)},
			body:  `{"path":"/cgi-bin/token","action":"truncate_body","bytes":5}`,
			seen:  seenStatus,
		},
		{
			name:  "delay",
			fault: emulator.Fault{Path: "/cgi-bin/token", Action: emulator.Delay(time.Millisecond)},
			body:  `{"path":"/cgi-bin/token","action":"delay","delay":"1ms"}`,
			seen:  seenErrcode,
		},
		{
			name:  "query match",
			fault: emulator.Fault{Path: "/cgi-bin/token", Match: func(r *http.Request) bool { return r.URL.Query().Get("appid") == appID }, Action: emulator.Errcode(40164, "")},
			body:  `{"path":"/cgi-bin/token","query":{"appid":"` + appID + `"},"action":"errcode","errcode":40164}`,
			seen:  seenErrcode,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]string{}
			logged := map[string]string{}
			for _, via := range []string{"go", "http"} {
				v := newControlEnv(t)
				v.client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				var id string
				if via == "go" {
					id = v.e.Inject(tc.fault).ID()
				} else {
					var view struct{ ID string }
					v.ctlOK("POST", "/_emulator/faults", tc.body, &view)
					id = view.ID
				}
				resp, err := v.client.Get(v.oa + "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				seen[via] = tc.seen(resp, body, err)
				must(t, v.e.Settle(t.Context()))
				logged[via] = v.lastRequest("/cgi-bin/token").Fault
				var view struct {
					Hits   int
					Active bool
				}
				v.ctlOK("GET", "/_emulator/faults/"+id, nil, &view)
				if view.Hits != 1 || view.Active {
					t.Errorf("%s: fault %s after one call: %+v, want 1 hit and used up", via, id, view)
				}
				// The next call is served normally.
				wantCode(t, v.getJSON(v.oa+"/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret="+appSecret), 0)
			}
			if seen["go"] != seen["http"] || logged["go"] != logged["http"] || logged["go"] == "" {
				t.Errorf("Go fault: client saw %q, log %q; HTTP fault: client saw %q, log %q", seen["go"], logged["go"], seen["http"], logged["http"])
			}
		})
	}
}

func seenErrcode(resp *http.Response, body []byte, err error) string {
	if err != nil {
		return "error"
	}
	var o struct {
		Errcode int
		Errmsg  string
	}
	_ = json.Unmarshal(body, &o)
	msg, _, _ := strings.Cut(o.Errmsg, " rid:")
	return resp.Status + " errcode " + strconv.Itoa(o.Errcode) + " " + msg
}

func seenStatus(resp *http.Response, _ []byte, err error) string {
	if err != nil {
		return "connection error"
	}
	return resp.Status
}

func TestControlFaultRevokeAndTimes(t *testing.T) {
	v := newControlEnv(t)
	tok := v.oaToken()
	var view struct {
		ID        string
		Remaining int
		Describe  string
	}
	v.ctlOK("POST", "/_emulator/faults", `{"platform":"oa","path":"/cgi-bin/material/get_materialcount","action":"revoke"}`, &view)
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)), emulator.CodeRevokedToken)
	// A fresh token works.
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", v.oaToken())), 0)

	// times: 2 applies twice; -1 until removed.
	v.ctlOK("POST", "/_emulator/faults", `{"path":"/cgi-bin/material/get_materialcount","times":2,"action":"errcode","errcode":45011}`, &view)
	if view.Remaining != 2 || view.Describe != "errcode 45011" {
		t.Fatalf("injected: %+v", view)
	}
	tok = v.oaToken()
	for range 2 {
		wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)), 45011)
	}
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)), 0)
	v.ctlOK("POST", "/_emulator/faults", `{"platform":"work","action":"errcode","errcode":-1,"times":-1}`, &view)
	for range 3 {
		wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret), -1)
	}
	if got := len(v.e.Faults()); got != 1 {
		t.Fatalf("Faults() = %d in force, want 1", got)
	}
	v.ctlOK("DELETE", "/_emulator/faults/"+view.ID, nil, nil)
	wantCode(t, v.getJSON(v.work+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret), 0)
	var list struct {
		Faults []struct {
			ID     string
			Hits   int
			Active bool
		}
	}
	v.ctlOK("GET", "/_emulator/faults", nil, &list)
	if len(list.Faults) != 3 || list.Faults[2].Hits != 3 || list.Faults[2].Active {
		t.Errorf("GET /_emulator/faults = %+v, want 3 faults, the last with 3 hits and inactive", list.Faults)
	}
	// A fault injected from Go is listed too; DELETE clears all.
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/token", Action: emulator.Status(503), Times: -1})
	v.ctlOK("GET", "/_emulator/faults", nil, &list)
	if n := len(list.Faults); n != 4 || !list.Faults[3].Active {
		t.Errorf("after a Go Inject: %+v", list.Faults)
	}
	v.ctlOK("DELETE", "/_emulator/faults", nil, nil)
	if n := len(v.e.Faults()); n != 0 {
		t.Errorf("after DELETE /_emulator/faults, %d faults in force", n)
	}
}

func TestControlFaultBadInput(t *testing.T) {
	v := newControlEnv(t)
	for _, tc := range []struct {
		name, body, want string
	}{
		{"no action", `{"path":"/cgi-bin/token"}`, "action is required: one of delay, drop_request, drop_response, errcode, revoke, status, truncate_body"},
		{"unknown action", `{"action":"explode"}`, `action "explode"`},
		{"errcode without code", `{"action":"errcode"}`, "needs a non-zero errcode"},
		{"bad status", `{"action":"status","status":99}`, "HTTP status from 200 to 599"},
		{"negative bytes", `{"action":"truncate_body","bytes":-1}`, "bytes must be 0 or more"},
		{"no delay", `{"action":"delay"}`, "needs a delay"},
		{"bad delay", `{"action":"delay","delay":"soon"}`, `duration "soon"`},
		{"long delay", `{"action":"delay","delay":"2h"}`, "at most 1h0m0s"},
		{"extra field", `{"action":"revoke","status":500}`, "status does not apply to action revoke"},
		{"unknown path", `{"path":"/cgi-bin/media/uplaod","action":"revoke"}`, `path "/cgi-bin/media/uplaod" is no endpoint`},
		{"prefixed path", `{"path":"/oa/cgi-bin/token","action":"revoke"}`, "without /oa or /work"},
		{"path of the other platform", `{"platform":"work","path":"/cgi-bin/token","action":"revoke"}`, "on work"},
		{"bad platform", `{"platform":"wechat","action":"revoke"}`, `platform "wechat"`},
		{"unknown field", `{"action":"revoke","count":2}`, `unknown field "count"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.t = t
			v.ctlError("POST", "/_emulator/faults", tc.body, http.StatusBadRequest, tc.want)
		})
	}
	v.t = t
	if n := len(v.e.Faults()); n != 0 {
		t.Errorf("refused bodies injected %d faults", n)
	}
}

// TestControlClockExpiresMedia moves the clock over HTTP and sees temporary
// media expire, on the emulator and on the Go FakeClock alike.
func TestControlClockExpiresMedia(t *testing.T) {
	v := newControlEnv(t)
	tok := v.workToken()
	up := v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("notes.txt", []byte("three days")))
	wantCode(t, up, 0)
	id := up.str("media_id")
	other := v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("other.txt", []byte("never fetched")))
	wantCode(t, other, 0)

	var clock struct {
		Now        time.Time
		Adjustable bool
	}
	v.ctlOK("POST", "/_emulator/clock", `{"advance":"71h59m"}`, &clock)
	if !clock.Now.Equal(epoch.Add(71*time.Hour+59*time.Minute)) || !clock.Adjustable || !v.clock.Now().Equal(clock.Now) {
		t.Fatalf("after advancing 71h59m: %+v, FakeClock %v", clock, v.clock.Now())
	}
	tok = v.workToken() // the first one expired after 2 hours
	if resp, _ := v.get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id)); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") == "" {
		t.Fatalf("media/get before 72 h: %v", resp.Status)
	}
	v.ctlOK("POST", "/_emulator/clock", `{"advance":60}`, &clock)
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id)), 40007)

	// Listing: gone by default, shown as expired on request.
	var list struct {
		Count int
		Media []emulator.MediaInfo
	}
	v.ctlOK("GET", "/_emulator/media?platform=work", nil, &list)
	if list.Count != 0 {
		t.Errorf("expired media listed by default: %+v", list.Media)
	}
	// media/get forgot the one it answered 40007 for; the other is still
	// held, expired.
	v.ctlOK("GET", "/_emulator/media?platform=work&expired=true", nil, &list)
	if list.Count != 1 || list.Media[0].ID != other.str("media_id") || !list.Media[0].Expired {
		t.Errorf("with expired=true: %+v", list.Media)
	}

	v.ctlOK("POST", "/_emulator/clock", `{"set":"2030-01-02T03:04:05Z"}`, &clock)
	if want := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC); !v.clock.Now().Equal(want) {
		t.Errorf("after set, FakeClock reads %v, want %v", v.clock.Now(), want)
	}
	v.ctlError("POST", "/_emulator/clock", `{"advance":"1h","set":"2030-01-02T03:04:05Z"}`, http.StatusBadRequest, `either "advance"`)
	v.ctlError("POST", "/_emulator/clock", `{"advance":"a while"}`, http.StatusBadRequest, `duration "a while"`)

	// On the system clock, the clock cannot move.
	sys := emulator.New()
	defer sys.Close()
	srv := httptest.NewServer((&emulator.Server{Emulator: sys, Control: true}).Handler())
	defer srv.Close()
	w := &env{t: t, e: sys, srv: srv, client: srv.Client()}
	w.ctlError("POST", "/_emulator/clock", `{"advance":"72h"}`, http.StatusConflict, "--clock fake")
	w.ctlOK("GET", "/_emulator/clock", nil, &clock)
	if clock.Adjustable {
		t.Error("the system clock says it is adjustable")
	}
}

func TestControlMediaListAndSeed(t *testing.T) {
	v := newControlEnv(t)
	tok := v.oaToken()
	png := pngBytes(t, 4, 4)
	up := v.upload(withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", "image"), file("a.png", png))
	wantCode(t, up, 0)
	v.clock.Advance(time.Second)
	temp := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("b.png", png))

	var list struct {
		Count int
		Media []emulator.MediaInfo
	}
	v.ctlOK("GET", "/_emulator/media", nil, &list)
	if diff := cmp.Diff(v.e.ListMedia(emulator.MediaFilter{}), list.Media); diff != "" {
		t.Errorf("ListMedia and GET /_emulator/media differ (-go +http):\n%s", diff)
	}
	if list.Count != 2 || list.Media[0].ID != up.str("media_id") || list.Media[1].ID != temp.str("media_id") {
		t.Fatalf("GET /_emulator/media = %+v", list)
	}
	v.ctlOK("GET", "/_emulator/media?family=temporary&owner="+appID, nil, &list)
	if list.Count != 1 || list.Media[0].Family != "temporary" || list.Media[0].Expires.IsZero() {
		t.Errorf("temporary media: %+v", list.Media)
	}
	v.ctlError("GET", "/_emulator/media?expired=maybe", nil, http.StatusBadRequest, `expired="maybe"`)

	_, content := v.ctl("GET", "/_emulator/media/"+temp.str("media_id")+"/content", nil, nil)
	if !bytes.Equal(content, png) {
		t.Errorf("content of %s: %d bytes, want the %d uploaded", temp.str("media_id"), len(content), len(png))
	}
	v.ctlError("GET", "/_emulator/media/nope", nil, http.StatusNotFound, `no media "nope"`)

	// Seeding over HTTP: a permanent video and a news item, as SeedVideo
	// and SeedNews would; batchget lists them.
	var video, news emulator.MediaInfo
	v.ctlOK("POST", "/_emulator/media", map[string]any{"platform": "oa", "owner": appID, "family": "permanent", "kind": "video",
		"name": "clip.mp4", "data": mp4Bytes(64), "title": "A clip", "introduction": "Seeded over HTTP"}, &video)
	if video.Title != "A clip" || video.Introduction != "Seeded over HTTP" || video.Size != 64 {
		t.Errorf("seeded video: %+v", video)
	}
	v.ctlOK("POST", "/_emulator/news", map[string]any{"appid": appID, "articles": []emulator.Article{
		{Title: "Hello", ThumbMediaID: up.str("media_id"), Content: "<p>hi</p>"}}}, &news)
	page := v.postJSON(withToken(v.oa+"/cgi-bin/material/batchget_material", tok), map[string]any{"type": "news", "offset": 0, "count": 20})
	if page.num("total_count") != 1 || page.list("item")[0].str("media_id") != news.ID {
		t.Errorf("batchget news after seeding over HTTP: %v", page)
	}
	if got := v.e.LibraryCounts(appID); got != (emulator.Counts{Image: 1, Video: 1, News: 1}) {
		t.Errorf("LibraryCounts = %+v", got)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"no platform", map[string]any{"owner": appID, "family": "temporary", "kind": "image", "name": "a.png", "data": png}, `platform must be "oa" or "work"`},
		{"permanent on WeCom", map[string]any{"platform": "work", "owner": corpID, "family": "permanent", "kind": "image", "name": "a.png", "data": png}, "permanent media belong to an Official Account"},
		{"unknown owner", map[string]any{"platform": "oa", "owner": "wx-none", "family": "temporary", "kind": "image", "name": "a.png", "data": png}, `no oa account "wx-none"`},
		{"bad kind", map[string]any{"platform": "work", "owner": corpID, "family": "temporary", "kind": "thumb", "name": "a.jpg", "data": png}, `kind "thumb"`},
		{"title on an image", map[string]any{"platform": "oa", "owner": appID, "family": "permanent", "kind": "image", "name": "a.png", "data": png, "title": "x"}, "permanent videos only"},
		{"bad family", map[string]any{"platform": "oa", "owner": appID, "family": "forever", "kind": "image", "name": "a.png", "data": png}, `family must be`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v.t = t
			v.ctlError("POST", "/_emulator/media", tc.body, http.StatusBadRequest, tc.want)
		})
	}
	v.t = t
	v.ctlError("POST", "/_emulator/news", map[string]any{"appid": appID, "articles": []emulator.Article{{Title: "x", ThumbMediaID: "nope"}}}, http.StatusBadRequest, "thumb_media_id")
}

func TestControlRequestsRedactedAndSettle(t *testing.T) {
	v := newControlEnv(t)
	tok := v.oaToken()
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)), 0)
	wantCode(t, v.postJSON(v.oa+"/cgi-bin/stable_token", map[string]any{"grant_type": "client_credential", "appid": appID, "secret": appSecret}), 0)

	var log struct {
		Count    int
		Requests []emulator.Request
	}
	_, raw := v.ctl("GET", "/_emulator/requests", nil, &log)
	for _, secret := range []string{tok, appSecret} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("the request log over HTTP holds a secret or token")
		}
	}
	compactJSON := cmp.Transformer("compact", func(m json.RawMessage) string {
		var b bytes.Buffer
		_ = json.Compact(&b, m)
		return b.String()
	})
	if diff := cmp.Diff(v.e.Requests(), log.Requests, compactJSON); diff != "" {
		t.Errorf("Requests and GET /_emulator/requests differ (-go +http):\n%s", diff)
	}
	if log.Count != 3 || log.Requests[1].Query.Get("access_token") != emulator.Redacted {
		t.Errorf("log: %+v", log)
	}
	v.ctlOK("GET", "/_emulator/requests?platform=oa&path=/cgi-bin/stable_token", nil, &log)
	var sent map[string]any
	if log.Count != 1 || json.Unmarshal(log.Requests[0].JSON, &sent) != nil || sent["secret"] != emulator.Redacted {
		t.Errorf("filtered log: %+v", log)
	}
	v.ctlOK("DELETE", "/_emulator/requests", nil, nil)
	if n := len(v.e.Requests()); n != 0 {
		t.Errorf("after DELETE /_emulator/requests the log holds %d entries", n)
	}

	// Settle waits for a request in service: one held by a delay fault
	// until its client gives up.
	inService := make(chan struct{})
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Action: emulator.Delay(time.Hour),
		Match: func(*http.Request) bool { close(inService); return true }})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, withToken(v.oa+"/cgi-bin/material/get_materialcount", tok), nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-inService
	v.ctlError("POST", "/_emulator/settle?timeout=0.05", nil, http.StatusGatewayTimeout, "still busy after 50ms")
	cancel()
	<-done
	var idle struct{ Idle bool }
	v.ctlOK("POST", "/_emulator/settle?timeout=10s", nil, &idle)
	if !idle.Idle {
		t.Error("settle did not say idle")
	}
	if reqs := v.e.Requests(); len(reqs) != 1 || reqs[0].Status != 0 || reqs[0].Fault != "delay 1h0m0s" {
		t.Errorf("after settle, the log holds %+v, want the abandoned call", reqs)
	}
	v.ctlError("POST", "/_emulator/settle?timeout=soon", nil, http.StatusBadRequest, `timeout "soon"`)
}

func TestControlReset(t *testing.T) {
	v := newControlEnv(t)
	tok := v.oaToken()
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("a.png", pngBytes(t, 2, 2))), 0)
	must(t, v.e.AddOfficialAccount("wx-extra", "extra-secret"))
	v.e.Inject(emulator.Fault{Path: "/cgi-bin/token", Action: emulator.Status(500), Times: -1})

	var out struct {
		Reset    bool
		Accounts emulator.Accounts
	}
	v.ctlOK("POST", "/_emulator/reset", nil, &out)
	want := emulator.Accounts{
		OfficialAccounts: []emulator.OfficialAccountConfig{{AppID: appID}},
		WeComCorps:       []emulator.WeComCorpConfig{{CorpID: corpID, Agents: []emulator.WeComAgentConfig{{AgentID: agentID}}}},
	}
	if diff := cmp.Diff(want, out.Accounts); diff != "" || !out.Reset {
		t.Errorf("accounts after reset (-want +got):\n%s", diff)
	}
	if m := v.e.ListMedia(emulator.MediaFilter{WithExpired: true}); len(m) != 0 {
		t.Errorf("media after reset: %+v", m)
	}
	if f := v.e.Faults(); len(f) != 0 {
		t.Errorf("faults after reset: %d", len(f))
	}
	if r := v.e.Requests(); len(r) != 0 {
		t.Errorf("request log after reset: %d entries", len(r))
	}
	// The old token is gone; a new one works.
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok)), emulator.CodeOAInvalidToken)
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", v.oaToken())), 0)
	if s := v.e.TokenFetches(appID); s.Plain != 1 {
		t.Errorf("token fetches after reset: %+v", s)
	}
}

func TestControlResetKeepsDir(t *testing.T) {
	dir := t.TempDir()
	e, err := emulator.Open(emulator.WithDir(dir))
	must(t, err)
	must(t, e.AddOfficialAccount(appID, appSecret))
	_, err = e.SeedPermanent(appID, "image", "a.png", pngBytes(t, 2, 2))
	must(t, err)
	must(t, e.Reset())
	must(t, e.Close())
	e, err = emulator.Open(emulator.WithDir(dir))
	must(t, err)
	defer e.Close()
	if a, m := e.ListAccounts(), e.ListMedia(emulator.MediaFilter{}); len(a.OfficialAccounts) != 0 || len(m) != 0 {
		t.Errorf("reopened after Reset: accounts %+v, media %+v", a, m)
	}
}

func TestControlRoutes(t *testing.T) {
	v := newControlEnv(t)
	var health struct {
		Status          string
		Now             time.Time
		ClockAdjustable bool `json:"clock_adjustable"`
		TLS             bool
	}
	v.ctlOK("GET", "/_emulator/health", nil, &health)
	if health.Status != "ok" || !health.Now.Equal(epoch) || !health.ClockAdjustable || health.TLS {
		t.Errorf("health: %+v", health)
	}
	var index struct{ Routes []string }
	v.ctlOK("GET", "/_emulator/", nil, &index)
	if len(index.Routes) < 20 {
		t.Errorf("index: %+v", index)
	}
	v.ctlError("GET", "/_emulator/nothing", nil, http.StatusNotFound, "no control route GET /_emulator/nothing")
	v.ctlError("PUT", "/_emulator/health", nil, http.StatusNotFound, "no control route PUT")
	v.ctlError("GET", "/_emulator/ca.pem", nil, http.StatusNotFound, "not serving HTTPS")
	v.ctlError("GET", "/_emulator/jobs/jobid_nope", nil, http.StatusNotFound, "no upload-by-URL job")
	v.ctlError("GET", "/_emulator/tokens/nobody", nil, http.StatusNotFound, `no Official Account or WeCom corp "nobody"`)
	v.ctlError("POST", "/_emulator/tokens/revoke", `{}`, http.StatusBadRequest, `either "token"`)

	// Revoking over HTTP: the token then answers 42001.
	tok := v.workToken()
	var revoked struct{ Revoked int }
	v.ctlOK("POST", "/_emulator/tokens/revoke", map[string]string{"account": corpID}, &revoked)
	if revoked.Revoked != 1 {
		t.Errorf("revoked %d tokens, want 1", revoked.Revoked)
	}
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", "x")), emulator.CodeRevokedToken)

	// The platforms still work beside the control API, and without Control
	// the prefix is an ordinary unknown path.
	e := emulator.New()
	defer e.Close()
	srv := httptest.NewServer((&emulator.Server{Emulator: e}).Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/_emulator/health")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "unknown platform") {
		t.Errorf("without Control, /_emulator/health answered %d %s", resp.StatusCode, body)
	}
}
