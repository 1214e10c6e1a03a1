package work_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// wire is what a test asserts of one request in the emulator's log.
type wire struct {
	Method      string
	Path        string
	Query       url.Values // the access token shows as emulator.Redacted
	Range       string
	ContentType string // the media type, without parameters
	Parts       []wirePart
	JSON        map[string]any // the JSON body, decoded
	Errcode     int
}

type wirePart struct {
	FormName, FileName, ContentType string
	ContentDisposition              string
	Size                            int64
	SHA256                          string
}

// wireOf projects the log, checking on the way what every request must
// satisfy: an exact Content-Length, never chunked.
func wireOf(t *testing.T, reqs []emulator.Request) []wire {
	t.Helper()
	var out []wire
	for _, r := range reqs {
		if len(r.TransferEncoding) != 0 {
			t.Errorf("%s %s was sent with Transfer-Encoding %v", r.Method, r.Path, r.TransferEncoding)
		}
		if r.Method == "POST" && r.ContentLength <= 0 {
			t.Errorf("POST %s was sent with Content-Length %d", r.Path, r.ContentLength)
		}
		w := wire{Method: r.Method, Path: r.Path, Query: r.Query, Range: r.Header.Get("Range"), Errcode: r.Errcode}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			w.ContentType, _, _ = mime.ParseMediaType(ct)
		}
		for _, p := range r.Parts {
			w.Parts = append(w.Parts, wirePart{FormName: p.FormName, FileName: p.FileName, ContentType: p.ContentType,
				ContentDisposition: p.ContentDisposition, Size: p.Size, SHA256: p.SHA256})
		}
		if len(r.JSON) > 0 {
			if err := json.Unmarshal(r.JSON, &w.JSON); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, w)
	}
	return out
}

func tok(kv ...string) url.Values {
	q := url.Values{"access_token": {emulator.Redacted}}
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// filePart is the media part WeCom uploads send: the raw UTF-8 file name
// and filelength, the exact size, in its Content-Disposition.
func filePart(name, ct string, data []byte) wirePart {
	sum := sha256.Sum256(data)
	return wirePart{FormName: "media", FileName: name, ContentType: ct,
		ContentDisposition: fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`, name, len(data)),
		Size:               int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// TestWire checks every method's request as the emulator received it.
func TestWire(t *testing.T) {
	tests := []struct {
		name string
		// do makes the call(s) and returns the requests they must have
		// sent (token fetches aside).
		do func(t *testing.T, e *env) []wire
	}{
		{name: "Upload", do: func(t *testing.T, e *env) []wire {
			var want []wire
			for _, tc := range []struct {
				kind material.Kind
				ct   string
			}{{material.KindImage, "image/png"}, {material.KindVoice, "audio/amr"}, {material.KindVideo, "video/mp4"}, {material.KindFile, "text/plain; charset=utf-8"}} {
				src, data := sample(t, tc.kind)
				m, err := e.c.Upload(t.Context(), tc.kind, src)
				if err != nil {
					t.Fatalf("Upload(%s): %v", tc.kind, err)
				}
				if m.Kind != tc.kind || !m.CreatedAt.Equal(start) || !m.ExpiresAt.Equal(start.Add(material.TemporaryLifetime)) {
					t.Errorf("Upload(%s) = %+v", tc.kind, m)
				}
				want = append(want, wire{Method: "POST", Path: "/cgi-bin/media/upload", Query: tok("type", string(tc.kind)),
					ContentType: "multipart/form-data", Parts: []wirePart{filePart(src.Name(), src.ContentType(), data)}})
			}
			// A UTF-8 name is sent raw, never as filename*.
			data := []byte("季度报告: the figures")
			if _, err := e.c.Upload(t.Context(), material.KindFile, material.FromBytes("季度报告.txt", data)); err != nil {
				t.Fatalf("Upload(季度报告.txt): %v", err)
			}
			want = append(want, wire{Method: "POST", Path: "/cgi-bin/media/upload", Query: tok("type", "file"),
				ContentType: "multipart/form-data", Parts: []wirePart{filePart("季度报告.txt", "text/plain; charset=utf-8", data)}})
			return want
		}},
		{name: "UploadImage", do: func(t *testing.T, e *env) []wire {
			src, data := sample(t, material.KindImage)
			u, err := e.c.UploadImage(t.Context(), src)
			if err != nil || u == "" {
				t.Fatalf("UploadImage = %q, %v", u, err)
			}
			return []wire{{Method: "POST", Path: "/cgi-bin/media/uploadimg", Query: tok(), ContentType: "multipart/form-data",
				Parts: []wirePart{filePart("sample.png", "image/png", data)}}}
		}},
		{name: "UploadAttachment", do: func(t *testing.T, e *env) []wire {
			src, data := sample(t, material.KindVideo)
			m, err := e.c.UploadAttachment(t.Context(), material.KindVideo, work.AttachmentMoments, src)
			if err != nil || m.ID == "" || m.Kind != material.KindVideo {
				t.Fatalf("UploadAttachment = %+v, %v", m, err)
			}
			return []wire{{Method: "POST", Path: "/cgi-bin/media/upload_attachment", Query: tok("media_type", "video", "attachment_type", "1"),
				ContentType: "multipart/form-data", Parts: []wirePart{filePart("sample.mp4", "video/mp4", data)}}}
		}},
		{name: "Download", do: func(t *testing.T, e *env) []wire {
			id, err := e.emu.SeedTemporary(emulator.WeCom, corpID, "file", "報告.txt", []byte("quarterly figures"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := e.c.Download(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			got, n := sha(t, c)
			c.Close()
			sum := sha256.Sum256([]byte("quarterly figures"))
			if got != hex.EncodeToString(sum[:]) || n != c.Size || c.Name != "報告.txt" {
				t.Errorf("Download: %d bytes, Content{Name %q, Size %d}", n, c.Name, c.Size)
			}
			return []wire{{Method: "GET", Path: "/cgi-bin/media/get", Query: tok("media_id", id)}}
		}},
		{name: "DownloadHDVoice", do: func(t *testing.T, e *env) []wire {
			_, data := sample(t, material.KindVoice)
			id, err := e.emu.SeedTemporary(emulator.WeCom, corpID, "voice", "v.amr", data)
			if err != nil {
				t.Fatal(err)
			}
			c, err := e.c.DownloadHDVoice(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			_, n := sha(t, c)
			c.Close()
			if n != int64(len(data)) || c.ContentType != "voice/speex" {
				t.Errorf("DownloadHDVoice: %d bytes of %q", n, c.ContentType)
			}
			return []wire{{Method: "GET", Path: "/cgi-bin/media/get/jssdk", Query: tok("media_id", id)}}
		}},
		{name: "UploadByURL", do: func(t *testing.T, e *env) []wire {
			g := newPattern(1000)
			u := serveFile(t, "clip.bin", g)
			sum := md5Of(t, g)
			id, err := e.c.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: "clip.bin", URL: u, MD5: sum})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.emu.WaitIdle(t.Context()); err != nil {
				t.Fatal(err)
			}
			j, err := e.c.UploadByURLResult(t.Context(), id)
			if err != nil || j.State != material.JobFinished || j.Media.Kind != material.KindFile || j.Media.ID == "" {
				t.Fatalf("UploadByURLResult = %+v, %v", j, err)
			}
			return []wire{
				{Method: "POST", Path: "/cgi-bin/media/upload_by_url", Query: tok(), ContentType: "application/json",
					JSON: map[string]any{"scene": 1.0, "type": "file", "filename": "clip.bin", "url": u, "md5": sum}},
				{Method: "POST", Path: "/cgi-bin/media/get_upload_by_url_result", Query: tok(), ContentType: "application/json",
					JSON: map[string]any{"jobid": id}},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			want := tt.do(t, e)
			if diff := cmp.Diff(want, wireOf(t, e.calls())); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTokenFetch checks the token request and that one token serves many
// calls.
func TestTokenFetch(t *testing.T) {
	e := newEnv(t, nil)
	for range 3 {
		if _, err := e.c.Upload(t.Context(), material.KindFile, material.FromBytes("a.txt", []byte("some text"))); err != nil {
			t.Fatal(err)
		}
	}
	var got []wire
	for _, r := range e.log() {
		if r.Path == "/cgi-bin/gettoken" {
			got = append(got, wire{Method: r.Method, Path: r.Path, Query: r.Query})
		}
	}
	want := []wire{{Method: "GET", Path: "/cgi-bin/gettoken", Query: url.Values{"corpid": {corpID}, "corpsecret": {emulator.Redacted}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
}
