package transport_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// received is what the server saw of one multipart upload.
type received struct {
	Token            string
	ContentLength    int64
	BytesRead        int64
	TransferEncoding []string
	Fields           map[string]string
	Part             string // form name of the file part
	Filename         string
	PartType         string
	FileSHA256       [32]byte
	FileSize         int64
}

// uploadServer records every upload and answers 40001 to the first token.
type uploadServer struct {
	mu   sync.Mutex
	got  []received
	deny string // a token to reject with 40001
}

func (s *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cr := &countingReader{r: r.Body}
	r.Body = io.NopCloser(cr)
	rec := received{Token: r.URL.Query().Get("access_token"), ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding, Fields: map[string]string{}}
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if p.FileName() == "" {
			v, _ := io.ReadAll(p)
			rec.Fields[p.FormName()] = string(v)
			continue
		}
		h := sha256.New()
		n, _ := io.Copy(h, p)
		rec.Part, rec.Filename, rec.PartType, rec.FileSize = p.FormName(), p.FileName(), p.Header.Get("Content-Type"), n
		copy(rec.FileSHA256[:], h.Sum(nil))
	}
	io.Copy(io.Discard, r.Body)
	rec.BytesRead = cr.n
	s.mu.Lock()
	s.got = append(s.got, rec)
	s.mu.Unlock()
	if rec.Token == s.deny {
		writeJSON(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
		return
	}
	writeJSON(w, `{"type":"image","media_id":"MEDIA","created_at":1700000000}`)
}

func (s *uploadServer) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func upload(t *testing.T, c *transport.Client, src material.Source, fields ...transport.Field) error {
	t.Helper()
	var out struct {
		MediaID string `json:"media_id"`
	}
	err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", File: &src, Fields: fields, Write: true}, &out)
	if err == nil && out.MediaID != "MEDIA" {
		t.Errorf("media_id = %q", out.MediaID)
	}
	return err
}

func testFile(t *testing.T, name string, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	copy(data, "\xff\xd8\xff\xe0")
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func TestUploadReplayedByteForByteAfterRejectedToken(t *testing.T) {
	path, data := testFile(t, "相册 照片.jpg", 3<<20+17)
	fromFile, err := material.FromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  material.Source
	}{
		{name: "FromFile", src: fromFile},
		{name: "FromBytes", src: material.FromBytes("相册 照片.jpg", data)},
		{name: "FromReader over a ReaderAt", src: material.FromReader("相册 照片.jpg", bytes.NewReader(data), int64(len(data)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &uploadServer{deny: "TOKEN-1"}
			c, _ := setup(t, material.OfficialAccount, srv)
			if err := upload(t, c, tt.src); err != nil {
				t.Fatalf("upload: %v", err)
			}
			got := srv.requests()
			if len(got) != 2 {
				t.Fatalf("server saw %d uploads, want 2 (rejected, replayed)", len(got))
			}
			want := sha256.Sum256(data)
			for i, r := range got {
				if r.FileSHA256 != want || r.FileSize != int64(len(data)) {
					t.Errorf("attempt %d: file of %d bytes differs from the source (%d bytes)", i+1, r.FileSize, len(data))
				}
				if r.Filename != "相册 照片.jpg" || r.Part != "media" || r.PartType != "image/jpeg" {
					t.Errorf("attempt %d: part %q filename %q type %q", i+1, r.Part, r.Filename, r.PartType)
				}
			}
			if got[0].Token != "TOKEN-1" || got[1].Token != "TOKEN-2" {
				t.Errorf("tokens %q then %q", got[0].Token, got[1].Token)
			}
		})
	}
}

func TestOneShotUploadIsNotReplayed(t *testing.T) {
	srv := &uploadServer{deny: "TOKEN-1"}
	c, _ := setup(t, material.OfficialAccount, srv)
	data := bytes.Repeat([]byte("z"), 10000)
	src := material.FromReader("a.jpg", io.MultiReader(bytes.NewReader(data)), int64(len(data)))
	err := upload(t, c, src)
	if !errors.Is(err, material.ErrNotReplayable) || !errors.Is(err, material.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrNotReplayable and ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "not replayed") || !strings.Contains(err.Error(), "40001") {
		t.Errorf("the error does not say why: %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server saw %d uploads, want 1", n)
	}
}

func TestUploadHasExactContentLength(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		fields []transport.Field
	}{
		{name: "tiny", size: 6},
		{name: "one MiB", size: 1 << 20},
		{name: "with a description field", size: 4096, fields: []transport.Field{{Name: "description", Value: `{"title":"a \"quoted\" title","introduction":"简介"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &uploadServer{}
			c, _ := setup(t, material.WeCom, srv)
			_, data := testFile(t, "x.jpg", tt.size)
			if err := upload(t, c, material.FromBytes("x.jpg", data), tt.fields...); err != nil {
				t.Fatal(err)
			}
			r := srv.requests()[0]
			if r.ContentLength <= 0 || r.ContentLength != r.BytesRead || len(r.TransferEncoding) != 0 {
				t.Errorf("Content-Length %d, bytes read %d, Transfer-Encoding %v: want an exact length and no chunking", r.ContentLength, r.BytesRead, r.TransferEncoding)
			}
			wantFields := map[string]string{}
			for _, f := range tt.fields {
				wantFields[f.Name] = f.Value
			}
			if diff := cmp.Diff(wantFields, r.Fields); diff != "" {
				t.Errorf("form fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUploadNeedsSize(t *testing.T) {
	c, _ := setup(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a file of unknown size was sent")
	}))
	src := material.FromReader("a", strings.NewReader("abc"), -1)
	err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", File: &src, Write: true}, nil)
	if !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("err = %v", err)
	}
}

func TestFormFailsOnShortFile(t *testing.T) {
	src := material.FromReader("a", strings.NewReader("short"), 100)
	if _, _, _, err := transport.Form(nil, src, false); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("reading a form over a short file: %v, want material.ErrInvalidInput", err)
	}
}
