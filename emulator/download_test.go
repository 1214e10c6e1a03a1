package emulator_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

func TestOAGetHeadersAndVideoURL(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	jpg := jpegBytes(t, 16, 16)
	id := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("photo.jpg", jpg)).str("media_id")
	resp, b := v.get(withToken(v.oa+"/cgi-bin/media/get", tok, "media_id", id))
	if resp.StatusCode != 200 || !bytes.Equal(b, jpg) {
		t.Fatalf("media/get: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
	for k, want := range map[string]string{
		"Content-Type":        "image/jpeg",
		"Content-Disposition": `attachment; filename="` + id + `.jpg"`,
		"Cache-Control":       "no-cache, must-revalidate",
		"Content-Length":      strconv.Itoa(len(jpg)),
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	vid := mp4Bytes(5000)
	vidID := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "video"), file("clip.mp4", vid)).str("media_id")
	o := v.getJSON(withToken(v.oa+"/cgi-bin/media/get", tok, "media_id", vidID))
	u := o.str("video_url")
	if u == "" || len(o) != 1 {
		t.Fatalf("video media/get: %v, want only video_url", o)
	}
	resp, b = v.get(u)
	if resp.StatusCode != 200 || !bytes.Equal(b, vid) {
		t.Errorf("video_url: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/media/get", tok)), 41006)
}

func TestTemporaryMediaExpireAfterThreeDays(t *testing.T) {
	v := newEnv(t)
	oa, wk := v.oaToken(), v.workToken()
	jpg := jpegBytes(t, 8, 8)
	oaID := v.upload(withToken(v.oa+"/cgi-bin/media/upload", oa, "type", "image"), file("a.jpg", jpg)).str("media_id")
	wkID := v.upload(withToken(v.work+"/cgi-bin/media/upload", wk, "type", "image"), file("a.jpg", jpg)).str("media_id")
	if info, ok := v.e.Media(oaID); !ok || !info.Expires.Equal(epoch.Add(72*time.Hour)) || info.Family != "temporary" {
		t.Fatalf("Media(%s) = %+v", oaID, info)
	}
	v.clock.Advance(72*time.Hour - time.Second)
	oa, wk = v.oaToken(), v.workToken() // the old ones expired long ago
	if resp, _ := v.get(withToken(v.oa+"/cgi-bin/media/get", oa, "media_id", oaID)); resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatal("OA media gone before 3 days")
	}
	if resp, _ := v.get(withToken(v.work+"/cgi-bin/media/get", wk, "media_id", wkID)); resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatal("WeCom media gone before 3 days")
	}
	v.clock.Advance(time.Second)
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/media/get", oa, "media_id", oaID)), 40007)
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", wk, "media_id", wkID)), 40007)
}

func TestWorkMediaSharedAcrossAgentsNotCorps(t *testing.T) {
	v := newEnv(t)
	must(t, v.e.AddWeComAgent(corpID, 1000002, "agent-two-secret"))
	must(t, v.e.AddWeComAgent("wwothercorp", 1000001, "other-corp-secret"))
	id := v.upload(withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "file"), file("a.txt", []byte("hello world"))).str("media_id")
	tok2 := v.getJSON(v.work + "/cgi-bin/gettoken?corpid=" + corpID + "&corpsecret=agent-two-secret").str("access_token")
	if resp, b := v.get(withToken(v.work+"/cgi-bin/media/get", tok2, "media_id", id)); string(b) != "hello world" {
		t.Errorf("other agent of the corp: HTTP %d %q", resp.StatusCode, b)
	}
	tok3 := v.getJSON(v.work + "/cgi-bin/gettoken?corpid=wwothercorp&corpsecret=other-corp-secret").str("access_token")
	wantCode(t, v.getJSON(withToken(v.work+"/cgi-bin/media/get", tok3, "media_id", id)), 40007)
	// And an OA account cannot read another's media either.
	must(t, v.e.AddOfficialAccount("wxother", "other"))
	oaID := v.upload(withToken(v.oa+"/cgi-bin/media/upload", v.oaToken(), "type", "image"), file("a.jpg", jpegBytes(t, 4, 4))).str("media_id")
	otherTok := v.getJSON(v.oa + "/cgi-bin/token?grant_type=client_credential&appid=wxother&secret=other").str("access_token")
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/media/get", otherTok, "media_id", oaID)), 40007)
}

func TestWorkRangeDownload(t *testing.T) {
	v := newEnv(t)
	tok := v.workToken()
	data := make([]byte, 2048)
	for i := range data {
		data[i] = byte(i % 251)
	}
	id := v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("report.bin", data)).str("media_id")
	u := withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id)
	for _, tc := range []struct {
		rng, contentRange string
		from, to          int
	}{
		{"bytes=0-1023", "bytes 0-1023/2048", 0, 1024},
		{"bytes=1000-", "bytes 1000-2047/2048", 1000, 2048},
		{"bytes=-48", "bytes 2000-2047/2048", 2000, 2048},
		{"bytes=2000-9999", "bytes 2000-2047/2048", 2000, 2048},
	} {
		resp, b := v.get(u, "Range", tc.rng)
		if resp.StatusCode != http.StatusPartialContent {
			t.Errorf("%s: HTTP %d, want 206", tc.rng, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Content-Range"); got != tc.contentRange {
			t.Errorf("%s: Content-Range %q, want %q", tc.rng, got, tc.contentRange)
		}
		if resp.Header.Get("Accept-Ranges") != "bytes" || resp.Header.Get("Content-Length") != strconv.Itoa(tc.to-tc.from) {
			t.Errorf("%s: Accept-Ranges %q, Content-Length %q", tc.rng, resp.Header.Get("Accept-Ranges"), resp.Header.Get("Content-Length"))
		}
		if !bytes.Equal(b, data[tc.from:tc.to]) {
			t.Errorf("%s: wrong bytes", tc.rng)
		}
	}
	resp, b := v.get(u)
	if resp.StatusCode != 200 || resp.Header.Get("Accept-Ranges") != "bytes" || !bytes.Equal(b, data) {
		t.Errorf("whole: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
	resp, _ = v.get(u, "Range", "bytes=4096-")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != "bytes */2048" {
		t.Errorf("past the end: HTTP %d, Content-Range %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
}

func TestWorkDownloadNonASCIIName(t *testing.T) {
	v := newEnv(t)
	tok := v.workToken()
	id := v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("测试.xlsx", []byte("PK\x03\x04 spreadsheet"))).str("media_id")
	resp, _ := v.get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id))
	want := `attachment; filename*=utf-8''%E6%B5%8B%E8%AF%95.xlsx; filename="测试.xlsx"`
	if got := resp.Header.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	id = v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("plain.txt", []byte("hello!"))).str("media_id")
	resp, _ = v.get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id))
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="plain.txt"` {
		t.Errorf("ASCII Content-Disposition %q", got)
	}
}

func TestHDVoice(t *testing.T) {
	v := newEnv(t)
	voice := amrBytes(10)
	for _, p := range []struct {
		platform emulator.Platform
		owner    string
		base     string
		tok      string
	}{
		{emulator.OfficialAccount, appID, v.oa, v.oaToken()},
		{emulator.WeCom, corpID, v.work, v.workToken()},
	} {
		id, err := v.e.SeedTemporary(p.platform, p.owner, "voice", "v.amr", voice)
		must(t, err)
		resp, b := v.get(withToken(p.base+"/cgi-bin/media/get/jssdk", p.tok, "media_id", id))
		if resp.Header.Get("Content-Type") != "voice/speex" || !bytes.Equal(b, voice) ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="`+id+`.speex"` {
			t.Errorf("%s jssdk: %v %d bytes", p.platform, resp.Header, len(b))
		}
		img, err := v.e.SeedTemporary(p.platform, p.owner, "image", "i.jpg", jpegBytes(t, 4, 4))
		must(t, err)
		wantCode(t, v.getJSON(withToken(p.base+"/cgi-bin/media/get/jssdk", p.tok, "media_id", img)), 40007)
	}
}

// TestRangeChunkLimit: WithRangeChunkLimit moves the size above which WeCom
// media/get answers 830002 to a whole-file request or an oversized chunk.
func TestRangeChunkLimit(t *testing.T) {
	const limit = 5_000_000
	tests := []struct {
		name   string
		size   int
		rng    string
		status int
		code   int
	}{
		{name: "at the limit, whole", size: limit, status: 200},
		{name: "over the limit, whole", size: limit + 1, status: 200, code: 830002},
		{name: "over the limit, open-ended range", size: limit + 1, rng: "bytes=0-", status: 200, code: 830002},
		{name: "a chunk of the limit", size: limit + 1, rng: "bytes=0-4999999", status: 206},
		{name: "a chunk one byte over", size: 2 * limit, rng: "bytes=0-5000000", status: 200, code: 830002},
		{name: "the last byte", size: limit + 1, rng: "bytes=5000000-", status: 206},
	}
	v := newEnv(t, emulator.WithRangeChunkLimit(limit), emulator.WithDiscard())
	tok := v.workToken()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.e.SeedTemporary(emulator.WeCom, corpID, "file", "big.bin", make([]byte, tt.size))
			must(t, err)
			var h []string
			if tt.rng != "" {
				h = []string{"Range", tt.rng}
			}
			resp, b := v.get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id), h...)
			if resp.StatusCode != tt.status {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.code != 0 {
				wantCode(t, decode(t, resp, b), tt.code)
			} else if resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("Content-Type %q, want the file", resp.Header.Get("Content-Type"))
			}
		})
	}
	if _, err := emulator.Open(emulator.WithRangeChunkLimit(0)); err == nil {
		t.Error("WithRangeChunkLimit(0) was accepted")
	}
}
