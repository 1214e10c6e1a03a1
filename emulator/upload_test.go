package emulator_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

func TestChunkedUploadIs412(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	body, ct := multipartBody(t, file("a.jpg", jpegBytes(t, 8, 8)))
	// io.MultiReader hides the length, so net/http sends it chunked.
	req, err := http.NewRequest(http.MethodPost, withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"),
		io.MultiReader(bytes.NewReader(body)))
	must(t, err)
	req.Header.Set("Content-Type", ct)
	resp, b := v.do(req)
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("chunked upload: HTTP %d, want 412 (%s)", resp.StatusCode, b)
	}
	r := v.lastRequest("/cgi-bin/media/upload")
	if r.ContentLength != -1 || len(r.TransferEncoding) != 1 || r.TransferEncoding[0] != "chunked" || r.Status != 412 {
		t.Errorf("log entry: ContentLength %d, TransferEncoding %v, Status %d", r.ContentLength, r.TransferEncoding, r.Status)
	}
	// Nothing was stored; the same body with a length works.
	resp, b = v.post(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), ct, body)
	wantCode(t, decode(t, resp, b), 0)
	// WeCom refuses chunked bodies too.
	req, _ = http.NewRequest(http.MethodPost, withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "image"),
		io.MultiReader(bytes.NewReader(body)))
	req.Header.Set("Content-Type", ct)
	if resp, _ := v.do(req); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("WeCom chunked upload: HTTP %d, want 412", resp.StatusCode)
	}
}

func TestUploadMultipartRules(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	u := withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image")
	img := jpegBytes(t, 8, 8)
	for _, tc := range []struct {
		name  string
		parts []part
		want  int
	}{
		{"no media part", []part{{name: "file", filename: "a.jpg", data: img}}, 41005},
		{"no filename", []part{{name: "media", data: img}}, 41005},
		{"RFC 2231 filename only", []part{{disposition: `form-data; name="media"; filename*=UTF-8''%E6%B5%8B.jpg`, data: img}}, 41005},
		{"path as filename", []part{file("dir/a.jpg", img)}, 41005},
		{"empty file", []part{file("a.jpg", nil)}, 44001},
		{"text named .jpg", []part{file("a.jpg", []byte("this is not an image at all"))}, 40005},
		{"jpeg named .txt", []part{file("a.txt", img)}, 40005},
		{"png named .png", []part{file("a.png", pngBytes(t, 4, 4))}, 0},
		{"jpeg named .png", []part{file("a.png", img)}, 0}, // both allowed image formats
		{"raw UTF-8 filename", []part{file("测试.jpg", img)}, 0},
		{"media part not first", []part{{name: "x", data: []byte("1")}, file("a.jpg", img)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, v.upload(u, tc.parts...), tc.want)
		})
	}
	// A Content-Type set by hand, without the boundary: 44001.
	body, _ := multipartBody(t, file("a.jpg", img))
	resp, b := v.post(u, "multipart/form-data", body)
	wantCode(t, decode(t, resp, b), 44001)
	// Bad type parameter: 40004 on the OA, 40005 on WeCom.
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "file"), file("a.jpg", img)), 40004)
	wantCode(t, v.upload(withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "thumb"), file("a.jpg", img)), 40005)
}

// TestUploadFileLength: WeCom checks a filelength given in the media part's
// Content-Disposition against the part's size; the Official Account
// ignores it.
func TestUploadFileLength(t *testing.T) {
	v := newEnv(t)
	data := []byte("quarterly figures")
	disposition := func(name, length string) part {
		return part{disposition: `form-data; name="media"; filename="` + name + `"; filelength=` + length, data: data}
	}
	work := withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "file")
	oa := withToken(v.oa+"/cgi-bin/media/upload", v.oaToken(), "type", "image")
	img := jpegBytes(t, 8, 8)
	for _, tc := range []struct {
		name string
		url  string
		part part
		want int
	}{
		{"WeCom exact filelength", work, disposition("a.txt", "17"), 0},
		{"WeCom raw UTF-8 name with filelength", work, disposition("报告.txt", "17"), 0},
		{"WeCom no filelength", work, file("a.txt", data), 0},
		{"WeCom filelength too small", work, disposition("a.txt", "16"), emulator.CodeFileLengthMismatch},
		{"WeCom filelength too large", work, disposition("a.txt", "18"), emulator.CodeFileLengthMismatch},
		{"WeCom filelength not a number", work, disposition("a.txt", "seventeen"), emulator.CodeFileLengthMismatch},
		{"WeCom filelength empty", work, disposition("a.txt", `""`), emulator.CodeFileLengthMismatch},
		{"OA ignores filelength", oa, part{disposition: `form-data; name="media"; filename="a.jpg"; filelength=1`, data: img}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, v.upload(tc.url, tc.part), tc.want)
		})
	}
}

// TestUploadFileNames: a filename that is "." or ".." is refused as a path
// is (CodeDotFileName); one without an extension is refused where the kind
// has formats, since the extension must be one of them, and accepted for a
// WeCom file (docs/limits.md, "File names").
func TestUploadFileNames(t *testing.T) {
	v := newEnv(t)
	doc := []byte("the price list")
	img := jpegBytes(t, 8, 8)
	workFile := withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "file")
	workImage := withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "image")
	attachment := withToken(v.work+"/cgi-bin/media/upload_attachment", v.workToken(), "media_type", "file", "attachment_type", "2")
	oaImage := withToken(v.oa+"/cgi-bin/media/upload", v.oaToken(), "type", "image")
	oaPermanent := withToken(v.oa+"/cgi-bin/material/add_material", v.oaToken(), "type", "image")
	for _, tc := range []struct {
		name string
		url  string
		part part
		want int
	}{
		{"WeCom file README", workFile, file("README", doc), 0},
		{"WeCom file ending in a dot", workFile, file("notes.", doc), 0},
		{"WeCom file ...", workFile, file("...", doc), 0},
		{"WeCom file .", workFile, file(".", doc), emulator.CodeDotFileName},
		{"WeCom file ..", workFile, file("..", doc), emulator.CodeDotFileName},
		{"WeCom attachment file ..", attachment, file("..", doc), emulator.CodeDotFileName},
		{"WeCom image without extension", workImage, file("photo", img), 40004},
		{"OA image .", oaImage, file(".", img), emulator.CodeDotFileName},
		{"OA image without extension", oaImage, file("photo", img), 40005},
		{"OA permanent image without extension", oaPermanent, file("photo", img), 40113},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, v.upload(tc.url, tc.part), tc.want)
		})
	}
}

func TestUploadSizeAndFormatLimits(t *testing.T) {
	v := newEnv(t)
	oa := v.oaToken()
	wk := v.workToken()
	type upload struct{ base, tok, endpoint, typ string }
	oaTemp := upload{v.oa, oa, "/cgi-bin/media/upload", ""}
	oaPerm := upload{v.oa, oa, "/cgi-bin/material/add_material", ""}
	wkTemp := upload{v.work, wk, "/cgi-bin/media/upload", ""}
	up := func(u upload, typ string, p part) func(*env) int {
		return func(v *env) int { return v.upload(withToken(u.base+u.endpoint, u.tok, "type", typ), p).code() }
	}
	const mb = 1 << 20
	jpg := jpegBytes(t, 8, 8)
	for _, tc := range []struct {
		name string
		got  func(*env) int
		want int
	}{
		{"OA thumb 64 KB", up(oaTemp, "thumb", file("t.jpg", sized(jpg, 64<<10))), 0},
		{"OA thumb 64 KB + 1", up(oaTemp, "thumb", file("t.jpg", sized(jpg, 64<<10+1))), 40012},
		{"OA thumb png", up(oaTemp, "thumb", file("t.png", pngBytes(t, 4, 4))), 40005},
		{"OA voice 2 MB + 1", up(oaTemp, "voice", file("v.amr", sized(amrBytes(1), 2*mb+1))), 40010},
		{"OA voice mp3", up(oaTemp, "voice", file("v.mp3", mp3Bytes())), 0},
		{"OA voice 60 s", up(oaTemp, "voice", file("v.amr", amrBytes(3000))), 0},
		{"OA voice 61 s", up(oaTemp, "voice", file("v.amr", amrBytes(3050))), 45007},
		{"OA video 10 MB + 1", up(oaTemp, "video", file("v.mp4", mp4Bytes(10*mb+1))), 40011},
		{"OA video not mp4", up(oaTemp, "video", file("v.mp4", jpg)), 40005},
		{"OA image 10 MB + 1", up(oaTemp, "image", file("i.jpg", sized(jpg, 10*mb+1))), 40009},
		{"OA permanent voice wav", up(oaPerm, "voice",
			file("v.wav", sized([]byte("RIFF\x00\x00\x00\x00WAVEfmt "), 100))), 0},
		{"OA permanent image text", up(oaPerm, "image", file("i.jpg", []byte("not an image"))), 40113},
		{"OA permanent image bmp", up(oaPerm, "image", file("i.bmp", sized([]byte("BM"), 100))), 0},
		{"WeCom 5 bytes", up(wkTemp, "file", file("f.txt", []byte("12345"))), 40006},
		{"WeCom 6 bytes", up(wkTemp, "file", file("f.txt", []byte("123456"))), 0},
		{"WeCom file 20 MB + 1", up(wkTemp, "file", file("f.bin", make([]byte, 20*mb+1))), 45001},
		{"WeCom voice mp3", up(wkTemp, "voice", file("v.mp3", mp3Bytes())), 301017},
		{"WeCom voice amr", up(wkTemp, "voice", file("v.amr", amrBytes(50))), 0},
		{"WeCom image gif", up(wkTemp, "image", file("i.gif", sized([]byte("GIF89a"), 100))), 40004},
		{"WeCom image 10 MB + 1", up(wkTemp, "image", file("i.jpg", sized(jpg, 10*mb+1))), 40009},
		{"WeCom video 10 MB + 1", up(wkTemp, "video", file("v.mp4", mp4Bytes(10*mb+1))), 40011},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sub := *v
			sub.t = t
			if got := tc.got(&sub); got != tc.want {
				t.Errorf("errcode %d, want %d", got, tc.want)
			}
		})
	}
}

func TestUploadResponseShapes(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	jpg := jpegBytes(t, 8, 8)
	o := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("a.jpg", jpg))
	if _, has := o["errcode"]; has {
		t.Errorf("OA success carries errcode by default: %v", o)
	}
	if o.str("type") != "image" || len(o.str("media_id")) < 32 || o.num("created_at") != epoch.Unix() {
		t.Errorf("OA upload body %v", o)
	}
	th := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "thumb"), file("t.jpg", jpg))
	if th.str("thumb_media_id") == "" || th["media_id"] != nil {
		t.Errorf("OA thumb upload body %v, want thumb_media_id only", th)
	}
	w := v.upload(withToken(v.work+"/cgi-bin/media/upload", v.workToken(), "type", "image"), file("a.jpg", jpg))
	if w.code() != 0 || w.str("errmsg") != "ok" || w.str("created_at") != "1740823200" || w.str("media_id") == "" {
		t.Errorf("WeCom upload body %v, want created_at as a string", w)
	}

	v2 := newEnv(t, emulator.WithErrcodeOnSuccess(true), emulator.WithThumbMediaIDAlias(true))
	tok2 := v2.oaToken()
	o2 := v2.upload(withToken(v2.oa+"/cgi-bin/media/upload", tok2, "type", "thumb"), file("t.jpg", jpg))
	if _, has := o2["errcode"]; !has || o2.str("errmsg") != "ok" || o2.str("media_id") == "" || o2.str("media_id") != o2.str("thumb_media_id") {
		t.Errorf("with errcode and alias: %v", o2)
	}
}

func TestErrmsgDecorations(t *testing.T) {
	v := newEnv(t)
	o := v.getJSON(withToken(v.oa+"/cgi-bin/media/get", v.oaToken(), "media_id", "nope"))
	if msg := o.str("errmsg"); !strings.HasPrefix(msg, "invalid media_id") || !strings.Contains(msg, " rid: ") {
		t.Errorf("OA errmsg %q", msg)
	}
	o = v.getJSON(withToken(v.oa+"/cgi-bin/media/get", "bad", "media_id", "nope"))
	if msg := o.str("errmsg"); !strings.Contains(msg, "hint: [") || !strings.Contains(msg, " rid: ") {
		t.Errorf("OA token errmsg %q", msg)
	}
	o = v.getJSON(withToken(v.work+"/cgi-bin/media/get", "bad", "media_id", "nope"))
	if msg := o.str("errmsg"); !strings.Contains(msg, ", hint: [") || !strings.Contains(msg, "from ip: 127.0.0.1") ||
		!strings.HasSuffix(msg, "more info at https://open.work.weixin.qq.com/devtool/query?e=40014") {
		t.Errorf("WeCom errmsg %q", msg)
	}
}
