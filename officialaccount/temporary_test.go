package officialaccount_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// part is what a test asserts of a multipart part on the wire.
type part struct {
	FormName, FileName, ContentType string
	Size                            int64
	SHA256, Value                   string
}

func partsOf(r emulator.Request) []part {
	out := make([]part, len(r.Parts))
	for i, p := range r.Parts {
		out[i] = part{FormName: p.FormName, FileName: p.FileName, ContentType: p.ContentType, Size: p.Size, SHA256: p.SHA256, Value: p.Value}
	}
	return out
}

func TestUpload(t *testing.T) {
	tests := []struct {
		name        string
		kind        material.Kind
		contentType string
		alias       bool // the emulator also answers media_id for thumbs
	}{
		{name: "image", kind: material.KindImage, contentType: "image/png"},
		{name: "voice", kind: material.KindVoice, contentType: "audio/amr"},
		{name: "video", kind: material.KindVideo, contentType: "video/mp4"},
		{name: "thumb answered with thumb_media_id only", kind: material.KindThumb, contentType: "image/jpeg"},
		{name: "thumb answered with both ids", kind: material.KindThumb, contentType: "image/jpeg", alias: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{emu: []emulator.Option{emulator.WithThumbMediaIDAlias(tt.alias)}})
			name, data := sample(t, tt.kind)
			m, err := e.c.Upload(t.Context(), tt.kind, material.FromBytes(name, data))
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			diff(t, "Media", material.Media{ID: m.ID, Kind: tt.kind, CreatedAt: start, ExpiresAt: start.Add(material.TemporaryLifetime)}, m)
			if info, ok := e.emu.Media(m.ID); !ok || info.Family != "temporary" || info.Kind != string(tt.kind) || info.SHA256 != sha(data) {
				t.Errorf("the emulator holds %+v (found %v), want the temporary %s uploaded", info, ok, tt.kind)
			}
			rs := e.calls("/cgi-bin/media/upload")
			diff(t, "wire", []wire{{Method: "POST", Path: "/cgi-bin/media/upload", Query: "type=" + string(tt.kind)}}, wireOf(rs))
			diff(t, "parts", []part{{FormName: "media", FileName: name, ContentType: tt.contentType, Size: int64(len(data)), SHA256: sha(data)}}, partsOf(rs[0]))
			// filelength is WeCom's; the Official Account's part is as ever.
			if d, want := rs[0].Parts[0].ContentDisposition, `form-data; name="media"; filename="`+name+`"`; d != want {
				t.Errorf("Content-Disposition %q, want %q", d, want)
			}
			if rs[0].ContentLength <= int64(len(data)) || len(rs[0].TransferEncoding) != 0 {
				t.Errorf("Content-Length %d, Transfer-Encoding %q: want an exact length, never chunked", rs[0].ContentLength, rs[0].TransferEncoding)
			}
		})
	}
}

func TestDownload(t *testing.T) {
	e := newEnv(t, setup{})
	_, png := sample(t, material.KindImage)
	img, err := e.c.Upload(t.Context(), material.KindImage, material.FromBytes("photo.png", png))
	if err != nil {
		t.Fatal(err)
	}
	_, mp4 := sample(t, material.KindVideo)
	vid, err := e.c.Upload(t.Context(), material.KindVideo, material.FromBytes("clip.mp4", mp4))
	if err != nil {
		t.Fatal(err)
	}
	e.resetLog()

	c, err := e.c.Download(t.Context(), img.ID)
	if err != nil {
		t.Fatalf("Download(image): %v", err)
	}
	type meta struct {
		Name, ContentType, URL string
		Size                   int64
	}
	diff(t, "Download(image)", meta{Name: img.ID + ".png", ContentType: "image/png", Size: int64(len(png))}, meta{c.Name, c.ContentType, c.URL, c.Size})
	sameBytes(t, "Download(image)", readAll(t, c), png)

	c, err = e.c.Download(t.Context(), vid.ID)
	if err != nil {
		t.Fatalf("Download(video): %v", err)
	}
	if !strings.HasPrefix(c.URL, e.srv.URL+"/oa/") || c.Size != 0 {
		t.Errorf("Download(video) = URL %q, Size %d; want the emulator's video_url and no bytes", c.URL, c.Size)
	}
	if b := readAll(t, c); len(b) != 0 {
		t.Errorf("Download(video): %d bytes in the body, want none", len(b))
	}
	link, err := e.c.DownloadURL(t.Context(), c.URL)
	if err != nil {
		t.Fatalf("DownloadURL(video_url): %v", err)
	}
	sameBytes(t, "DownloadURL(video_url)", readAll(t, link), mp4)

	diff(t, "wire", []wire{
		{Method: "GET", Path: "/cgi-bin/media/get", Query: "media_id=" + img.ID},
		{Method: "GET", Path: "/cgi-bin/media/get", Query: "media_id=" + vid.ID},
	}, wireOf(e.business()[:2]))
	for _, r := range e.requests() {
		if r.Query.Has("access_token") && strings.Contains(r.URLPath, "/_media/") {
			t.Errorf("DownloadURL sent an access_token to %s", r.URLPath)
		}
	}
}

func TestDownloadHDVoice(t *testing.T) {
	e := newEnv(t, setup{})
	_, amr := sample(t, material.KindVoice)
	id, err := e.emu.SeedTemporary(emulator.OfficialAccount, testAppID, "voice", "jssdk.amr", amr) // as JS-SDK uploadVoice leaves it
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.c.DownloadHDVoice(t.Context(), id)
	if err != nil {
		t.Fatalf("DownloadHDVoice: %v", err)
	}
	if c.ContentType != "voice/speex" || c.Name != id+".speex" {
		t.Errorf("DownloadHDVoice: Content-Type %q, name %q; want voice/speex and %s.speex", c.ContentType, c.Name, id)
	}
	sameBytes(t, "DownloadHDVoice", readAll(t, c), amr) // the emulator does not transcode
	diff(t, "wire", []wire{{Method: "GET", Path: "/cgi-bin/media/get/jssdk", Query: "media_id=" + id}}, wireOf(e.business()))
}

func TestUploadImage(t *testing.T) {
	tests := []struct {
		name string
		kind material.Kind // the sample: a PNG image or a JPEG thumb
	}{
		{name: "png", kind: material.KindImage},
		{name: "jpeg", kind: material.KindThumb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			name, data := sample(t, tt.kind)
			link, err := e.c.UploadImage(t.Context(), material.FromBytes(name, data))
			if err != nil {
				t.Fatalf("UploadImage: %v", err)
			}
			if !strings.HasPrefix(link, e.srv.URL+"/oa/") {
				t.Errorf("UploadImage = %q, want a link on the emulator", link)
			}
			c, err := e.c.DownloadURL(t.Context(), link)
			if err != nil {
				t.Fatalf("DownloadURL: %v", err)
			}
			sameBytes(t, "DownloadURL", readAll(t, c), data)
			rs := e.calls("/cgi-bin/media/uploadimg")
			diff(t, "wire", []wire{{Method: "POST", Path: "/cgi-bin/media/uploadimg"}}, wireOf(rs))
			diff(t, "parts", []part{{FormName: "media", FileName: name, ContentType: materialtest.Sample(tt.kind).ContentType(), Size: int64(len(data)), SHA256: sha(data)}}, partsOf(rs[0]))
			if got := e.emu.LibraryCounts(testAppID); got != (emulator.Counts{}) {
				t.Errorf("the library counts %+v after UploadImage, want none", got)
			}
		})
	}
}
