package emulator_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// source serves data at any path with Range support, counting requests.
func source(t *testing.T, data []byte) (*httptest.Server, *[]string) {
	t.Helper()
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ranges = append(ranges, r.Header.Get("Range"))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	return srv, &ranges
}

func (v *env) submit(req map[string]any) obj {
	v.t.Helper()
	return v.postJSON(withToken(v.work+"/cgi-bin/media/upload_by_url", v.workToken()), req)
}

func (v *env) result(jobid string) obj {
	v.t.Helper()
	return v.postJSON(withToken(v.work+"/cgi-bin/media/get_upload_by_url_result", v.workToken()), map[string]string{"jobid": jobid})
}

func (v *env) waitJobs() {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	must(v.t, v.e.WaitIdle(ctx))
}

func jobRequest(typ, url, sum string) map[string]any {
	return map[string]any{"scene": 1, "type": typ, "filename": "视频.mp4", "url": url, "md5": sum}
}

func TestUploadByURLLargeMediaAndChunkedGet(t *testing.T) {
	v := newEnv(t)
	const mb = 1 << 20
	data := mp4Bytes(21 * mb)
	data[len(data)-1] = 7
	src, ranges := source(t, data)
	o := v.submit(jobRequest("video", src.URL+"/v.mp4?sig=secret", strings.ToUpper(md5hex(data))))
	wantCode(t, o, 0)
	jobid := o.str("jobid")
	if !strings.HasPrefix(jobid, "jobid_") || len(jobid) > 128 {
		t.Fatalf("jobid %q", jobid)
	}
	v.waitJobs()
	r := v.result(jobid)
	wantCode(t, r, 0)
	d := r.obj("detail")
	if r.num("status") != 2 || d.num("errcode") != 0 || d.str("media_id") == "" || d.str("created_at") != strconv.FormatInt(epoch.Unix(), 10) {
		t.Fatalf("result %v", r)
	}
	// The job downloaded with Range requests of at most 4 MB.
	if len(*ranges) != 6 || (*ranges)[0] != "bytes=0-4194303" || (*ranges)[5] != "bytes=20971520-22020095" {
		t.Errorf("ranges requested: %q", *ranges)
	}
	info, _ := v.e.Media(d.str("media_id"))
	if !info.FromURL || info.Size != int64(len(data)) || info.Name != "视频.mp4" {
		t.Errorf("media %+v", info)
	}
	tok := v.workToken()
	u := withToken(v.work+"/cgi-bin/media/get", tok, "media_id", d.str("media_id"))
	wantCode(t, v.getJSON(u), 830002)
	resp, b := v.get(u, "Range", "bytes=0-")
	wantCode(t, decode(t, resp, b), 830002)
	resp, b = v.get(u, "Range", "bytes=0-20971520") // 20 MB + 1
	wantCode(t, decode(t, resp, b), 830002)
	resp, b = v.get(u, "Range", "bytes=0-20971519")
	if resp.StatusCode != 206 || resp.Header.Get("Content-Range") != "bytes 0-20971519/22020096" || !bytes.Equal(b, data[:20*mb]) {
		t.Errorf("first 20 MB: HTTP %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	resp, b = v.get(u, "Range", "bytes=20971520-")
	if resp.StatusCode != 206 || resp.Header.Get("Content-Range") != "bytes 20971520-22020095/22020096" || !bytes.Equal(b, data[20*mb:]) {
		t.Errorf("rest: HTTP %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
}

func TestUploadByURLFailures(t *testing.T) {
	v := newEnv(t)
	small := []byte("hello, world: more than five bytes")
	src, _ := source(t, small)
	noRange := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(small) }))
	defer noRange.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-4194303/314572800")
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write([]byte("ftyp"))
	}))
	defer huge.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tiny, _ := source(t, []byte("12345"))

	for _, tc := range []struct {
		name string
		req  map[string]any
		want int
	}{
		{"no Range support", jobRequest("file", noRange.URL+"/f", md5hex(small)), 830001},
		{"not http", jobRequest("file", "ftp://example.com/f", md5hex(small)), 830001},
		{"404", jobRequest("file", notFound.URL+"/f", md5hex(small)), 830003},
		{"connection refused", jobRequest("file", closed.URL+"/f", md5hex(small)), 830003},
		{"5 bytes", jobRequest("file", tiny.URL+"/f", md5hex([]byte("12345"))), 45001},
		{"300 MB", jobRequest("file", huge.URL+"/f", md5hex(small)), 45001},
		{"md5 mismatch", jobRequest("file", src.URL+"/f", md5hex([]byte("other"))), 301019},
		{"video not MP4", jobRequest("video", src.URL+"/f", md5hex(small)), emulator.CodeJobNotMP4},
	} {
		o := v.submit(tc.req)
		wantCode(t, o, 0)
		v.waitJobs()
		r := v.result(o.str("jobid"))
		if r.num("status") != 3 || r.obj("detail").num("errcode") != int64(tc.want) {
			t.Errorf("%s: result %v, want status 3 with detail.errcode %d", tc.name, r, tc.want)
		}
		if strings.Contains(r.obj("detail").str("errmsg"), "sig=") {
			t.Errorf("%s: detail leaks the URL: %v", tc.name, r)
		}
	}
	// The file kind accepts any bytes.
	o := v.submit(jobRequest("file", src.URL+"/f", md5hex(small)))
	v.waitJobs()
	if r := v.result(o.str("jobid")); r.num("status") != 2 {
		t.Errorf("file job: %v", r)
	}
}

func TestUploadByURLValidationAndExpiry(t *testing.T) {
	v := newEnv(t)
	long := func(n int) string { return strings.Repeat("a", n) }
	ok := jobRequest("file", "http://127.0.0.1:1/f", md5hex(nil))
	with := func(k string, val any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		m[k] = val
		return m
	}
	for _, tc := range []struct {
		name string
		req  map[string]any
		want int
	}{
		{"scene 2", with("scene", 2), 40058},
		{"type image", with("type", "image"), 40005},
		{"filename 129 bytes", with("filename", long(129)), 40058},
		{"filename .", with("filename", "."), 40058},
		{"filename ..", with("filename", ".."), 40058},
		{"filename of a folder", with("filename", "clips/"), 40058},
		{"filename ending in /..", with("filename", `clips\..`), 40058},
		{"url 1025 bytes", with("url", "http://x/"+long(1016)), 40058},
		{"md5 33 bytes", with("md5", long(33)), 40058},
		{"no url", with("url", ""), 40058},
	} {
		if c := v.submit(tc.req).code(); c != tc.want {
			t.Errorf("%s: errcode %d, want %d", tc.name, c, tc.want)
		}
	}
	resp, b := v.post(withToken(v.work+"/cgi-bin/media/upload_by_url", v.workToken()), "application/json", []byte("{not json"))
	o := decode(t, resp, b)
	if o.code() != 47001 || !strings.Contains(o.str("errmsg"), "Warning: wrong json format.") {
		t.Errorf("bad JSON: %v", o)
	}

	// A job still downloading reports status 1; jobs live 60 minutes.
	release := make(chan struct{})
	data := []byte("slow file contents")
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}))
	defer slow.Close()
	j := v.submit(jobRequest("file", slow.URL+"/f", md5hex(data))).str("jobid")
	if r := v.result(j); r.num("status") != 1 || r.obj("detail").num("errcode") != 0 {
		t.Errorf("running job: %v", r)
	}
	close(release)
	v.waitJobs()
	if r := v.result(j); r.num("status") != 2 {
		t.Errorf("finished job: %v", r)
	}
	must(t, v.e.AddWeComAgent("wwother", 1, "other-secret"))
	otherTok := v.getJSON(v.work + "/cgi-bin/gettoken?corpid=wwother&corpsecret=other-secret").str("access_token")
	wantCode(t, v.postJSON(withToken(v.work+"/cgi-bin/media/get_upload_by_url_result", otherTok), map[string]string{"jobid": j}), emulator.CodeJobNotFound)
	v.clock.Advance(59 * time.Minute)
	wantCode(t, v.result(j), 0)
	v.clock.Advance(time.Minute)
	wantCode(t, v.result(j), emulator.CodeJobNotFound)
	if info, ok := v.e.Job(j); !ok || info.Status != 2 {
		t.Errorf("Job(%s) = %+v", j, info)
	}
}

func TestWorkUploadImageQuota(t *testing.T) {
	q := emulator.DefaultQuotas()
	if q.WeComUploadImagePerDay != 1000 || q.WeComUploadImagePerMonth != 3000 {
		t.Fatalf("defaults %+v", q)
	}
	q.WeComUploadImagePerDay, q.WeComUploadImagePerMonth = 2, 3
	v := newEnv(t, emulator.WithQuotas(q))
	img := pngBytes(t, 4, 4)
	up := func() obj {
		return v.upload(withToken(v.work+"/cgi-bin/media/uploadimg", v.workToken()), file("a.png", img))
	}
	if o := up(); o.code() != 0 || o.str("url") == "" {
		t.Fatalf("uploadimg %v", o)
	}
	wantCode(t, up(), 0)
	wantCode(t, up(), emulator.CodeUploadImageQuota) // daily
	v.clock.Advance(24 * time.Hour)
	wantCode(t, up(), 0)
	v.clock.Advance(24 * time.Hour)
	wantCode(t, up(), emulator.CodeUploadImageQuota) // monthly
	v.clock.Advance(31 * 24 * time.Hour)
	wantCode(t, up(), 0)
	wantCode(t, v.upload(withToken(v.work+"/cgi-bin/media/uploadimg", v.workToken()), file("a.gif", sized([]byte("GIF89a"), 40))), 40004)
	wantCode(t, v.upload(withToken(v.work+"/cgi-bin/media/uploadimg", v.workToken()), file("a.png", sized(img, 2<<20+1))), 40009)
	// More than 5 bytes, as every WeCom file (docs/wire.md §5.2).
	wantCode(t, v.upload(withToken(v.work+"/cgi-bin/media/uploadimg", v.workToken()), file("a.png", img[:5])), 40006)
}

func TestUploadAttachment(t *testing.T) {
	v := newEnv(t)
	tok := v.workToken()
	u := func(mt, at string) string {
		return withToken(v.work+"/cgi-bin/media/upload_attachment", tok, "media_type", mt, "attachment_type", at)
	}
	o := v.upload(u("image", "1"), file("a.jpg", jpegBytes(t, 4, 4)))
	if o.code() != 0 || o.str("type") != "image" || o.str("media_id") == "" || o.str("created_at") == "" {
		t.Errorf("attachment: %v", o)
	}
	wantCode(t, v.upload(u("file", "1"), file("a.txt", []byte("moments take no files"))), 40005)
	wantCode(t, v.upload(u("file", "2"), file("a.txt", []byte("product album takes files"))), 0)
	wantCode(t, v.upload(u("image", "3"), file("a.jpg", jpegBytes(t, 4, 4))), 40058)
}
