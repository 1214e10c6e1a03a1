package transport_test

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

func TestDownloadTellsFilesFromJSON(t *testing.T) {
	tests := []struct {
		name     string
		header   map[string]string
		status   int
		body     string
		wantFile bool
		wantJSON string
		wantErr  error
		wantName string
	}{
		{name: "image with disposition", header: map[string]string{"Content-Type": "image/jpeg", "Content-Disposition": `attachment; filename="MEDIA.jpg"`}, body: "\xff\xd8\xff", wantFile: true, wantName: "MEDIA.jpg"},
		{name: "a JSON file is still a file", header: map[string]string{"Content-Type": "application/json", "Content-Disposition": `attachment; filename="data.json"`}, body: `{"name":"x","errcode":0}`, wantFile: true, wantName: "data.json"},
		{name: "an errcode is an error, disposition or not", header: map[string]string{"Content-Type": "application/json", "Content-Disposition": `attachment; filename="data.json"`}, body: `{"errcode":40007}`, wantErr: material.ErrNotFound},
		{name: "video link", header: map[string]string{"Content-Type": "application/json"}, body: `{"video_url":"http://v/1.mp4"}`, wantJSON: `{"video_url":"http://v/1.mp4"}`},
		{name: "error JSON", header: map[string]string{"Content-Type": "application/json"}, body: `{"errcode":40007,"errmsg":"invalid media_id"}`, wantErr: material.ErrNotFound},
		{name: "error as text/plain", header: map[string]string{"Content-Type": "text/plain"}, body: ` {"errcode":40007,"errmsg":"invalid media_id"}`, wantErr: material.ErrNotFound},
		{name: "error without content type", body: `{"errcode":42001,"errmsg":"access_token expired"}`, wantErr: material.ErrUnauthorized},
		{name: "bytes without headers", body: "GIF89a....", wantFile: true},
		{name: "voice", header: map[string]string{"Content-Type": "voice/speex"}, body: "Speex", wantFile: true},
		{name: "HTTP 502", status: 502, body: "bad gateway", wantErr: material.ErrBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil // no sniffing by net/http
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				io.WriteString(w, tt.body)
			}), func(c *transport.Config) { c.Retry.MaxAttempts = 1 })
			rep, err := c.Download(t.Context(), &transport.Request{Path: "/cgi-bin/media/get"})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantFile {
				if rep.Content == nil || rep.JSON != nil {
					t.Fatalf("reply = %+v, want a file", rep)
				}
				defer rep.Content.Close()
				got, _ := io.ReadAll(rep.Content)
				if string(got) != tt.body || rep.Content.Name != tt.wantName {
					t.Errorf("file %q named %q, want %q named %q", got, rep.Content.Name, tt.body, tt.wantName)
				}
				return
			}
			if rep.Content != nil || string(rep.JSON) != tt.wantJSON {
				t.Errorf("reply JSON %q content %v, want JSON %q", rep.JSON, rep.Content, tt.wantJSON)
			}
		})
	}
}

func TestDownloadRange(t *testing.T) {
	c, _ := setup(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Range"); got != "bytes=2-5" {
			t.Errorf("Range = %q", got)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Range", "bytes 2-5/10")
		w.Header().Set("Content-Disposition", `attachment; filename="f.bin"`)
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, "2345")
	}))
	rep, err := c.Download(t.Context(), &transport.Request{Path: "/cgi-bin/media/get", Header: http.Header{"Range": {"bytes=2-5"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Content.Close()
	got, _ := io.ReadAll(rep.Content)
	if rep.StatusCode != http.StatusPartialContent || string(got) != "2345" || rep.Header.Get("Content-Range") != "bytes 2-5/10" || rep.Content.Size != 4 {
		t.Errorf("status %d body %q range %q size %d", rep.StatusCode, got, rep.Header.Get("Content-Range"), rep.Content.Size)
	}
}

func TestFilenameOf(t *testing.T) {
	tests := []struct {
		name, header, want string
	}{
		{name: "plain", header: `attachment; filename="MEDIA_ID.jpg"`, want: "MEDIA_ID.jpg"},
		{name: "WeCom both forms prefer filename*", header: "attachment; filename*=utf-8''%E6%B5%8B%E8%AF%95.xlsx; filename=\"\xe6\xb5\x8b\xe8\xaf\x95.xlsx\"", want: "测试.xlsx"},
		{name: "filename* only", header: "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf", want: "报告.pdf"},
		{name: "raw UTF-8", header: "attachment; filename=\"\xe7\x85\xa7\xe7\x89\x87.png\"", want: "照片.png"},
		{name: "unquoted non-token", header: "attachment; filename=照片 1.png", want: "照片 1.png"},
		{name: "path traversal", header: `attachment; filename="../../etc/passwd"`, want: "passwd"},
		{name: "windows path", header: `attachment; filename="C:\\Users\\x\\a.txt"`, want: "a.txt"},
		{name: "dot dot only", header: `attachment; filename=".."`, want: ""},
		{name: "control characters", header: "attachment; filename=\"a\x01b.txt\"", want: "ab.txt"},
		{name: "none", header: `attachment`, want: ""},
		{name: "empty", header: ``, want: ""},
	}
	for _, tt := range tests {
		if got := transport.FilenameOf(tt.header); got != tt.want {
			t.Errorf("%s: FilenameOf(%q) = %q, want %q", tt.name, tt.header, got, tt.want)
		}
	}
}

func TestCleanFilename(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "folders", in: "a/b/c.txt", want: "c.txt"},
		{name: "backslashes and dots", in: `..\..\x.bin`, want: "x.bin"},
		{name: "root", in: "/", want: ""},
		{name: "dot dot", in: "..", want: ""},
		{name: "plain", in: "ok.mp4", want: "ok.mp4"},
		{name: "non-ASCII kept", in: "图片 1.jpg", want: "图片 1.jpg"},
		{name: "C0 and DEL", in: "a\x1b[31m\x00b\x7f.jpg", want: "a[31mb.jpg"},
		{name: "C1 (CSI)", in: "a\u009b31mb.jpg", want: "a31mb.jpg"},
		{name: "bidirectional override", in: "photo\u202egpj.exe", want: "photogpj.exe"},
		{name: "bidirectional isolate and mark", in: "a\u2066b\u200fc.png", want: "abc.png"},
		{name: "invalid UTF-8", in: "a\xffb.jpg", want: "a_b.jpg"},
		{name: "only controls", in: "\u202e\x01", want: ""},
	}
	for _, tt := range tests {
		if got := transport.CleanFilename(tt.in); got != tt.want {
			t.Errorf("%s: CleanFilename(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
