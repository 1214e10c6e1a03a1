package hostile_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// uploadOps are every upload of both clients, taking the source to send.
var uploadOps = []struct {
	name string
	kind material.Kind
	path string
	call func(ctx context.Context, c *clients, src material.Source) error
}{
	{name: "OA Upload", kind: material.KindImage, path: "/cgi-bin/media/upload", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.oa.Upload(ctx, material.KindImage, src)
		return err
	}},
	{name: "OA UploadImage", kind: material.KindImage, path: "/cgi-bin/media/uploadimg", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.oa.UploadImage(ctx, src)
		return err
	}},
	{name: "OA Add", kind: material.KindImage, path: "/cgi-bin/material/add_material", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.oa.Add(ctx, material.KindImage, src)
		return err
	}},
	{name: "OA AddVideo", kind: material.KindVideo, path: "/cgi-bin/material/add_material", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.oa.AddVideo(ctx, src, material.VideoDescription{Title: "t", Introduction: "i"})
		return err
	}},
	{name: "WeCom Upload", kind: material.KindFile, path: "/cgi-bin/media/upload", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.work.Upload(ctx, material.KindFile, src)
		return err
	}},
	{name: "WeCom UploadImage", kind: material.KindImage, path: "/cgi-bin/media/uploadimg", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.work.UploadImage(ctx, src)
		return err
	}},
	{name: "WeCom UploadAttachment", kind: material.KindImage, path: "/cgi-bin/media/upload_attachment", call: func(ctx context.Context, c *clients, src material.Source) error {
		_, err := c.work.UploadAttachment(ctx, material.KindImage, work.AttachmentProductAlbum, src)
		return err
	}},
}

// sampleBytes returns the name and bytes of a sample of kind k.
func sampleBytes(t *testing.T, k material.Kind) (string, []byte) {
	t.Helper()
	src := sample(k)
	rc, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return src.Name(), b
}

// TestLyingSourcesEveryUpload: a source that yields more or fewer bytes
// than it declared, a file that grows after FromFile and a nil reader fail
// every upload of both clients with an error matching
// material.ErrInvalidInput; the server never receives a complete request,
// nothing is retried, and nothing is an unknown outcome.
func TestLyingSourcesEveryUpload(t *testing.T) {
	lies := []struct {
		name string
		src  func(t *testing.T, name string, data []byte) material.Source
	}{
		{name: "one-shot reader longer than declared", src: func(t *testing.T, name string, data []byte) material.Source {
			return material.FromReader(name, io.MultiReader(bytes.NewReader(data), bytes.NewReader([]byte("MORE"))), int64(len(data)))
		}},
		{name: "one-shot reader shorter than declared", src: func(t *testing.T, name string, data []byte) material.Source {
			return material.FromReader(name, io.MultiReader(bytes.NewReader(data[:len(data)-1])), int64(len(data)))
		}},
		{name: "file that grew after FromFile", src: func(t *testing.T, name string, data []byte) material.Source {
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			src, err := material.FromFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(bytes.Clone(data), "MORE"...), 0o600); err != nil {
				t.Fatal(err)
			}
			return src
		}},
		{name: "nil reader", src: func(t *testing.T, name string, data []byte) material.Source {
			return material.FromReader(name, nil, int64(len(data)))
		}},
	}
	for _, op := range uploadOps {
		for _, lie := range lies {
			t.Run(op.name+"/"+lie.name, func(t *testing.T) {
				var complete, partial atomic.Int32
				s := newServer(t)
				s.raw = true
				s.api = func(w http.ResponseWriter, r *http.Request) {
					n, err := io.Copy(io.Discard, r.Body)
					if err != nil || n != r.ContentLength {
						partial.Add(1)
						return
					}
					complete.Add(1)
					io.WriteString(w, `{"errcode":0,"media_id":"M","url":"u","type":"image","created_at":1}`)
				}
				c := newClients(t, s, clientOptions{})
				name, data := sampleBytes(t, op.kind)
				err := op.call(t.Context(), c, lie.src(t, name, data))
				if !errors.Is(err, material.ErrInvalidInput) {
					t.Errorf("err = %v, want ErrInvalidInput", err)
				}
				if errors.Is(err, material.ErrOutcomeUnknown) {
					t.Errorf("err = %v: a request never sent in full cannot have been applied", err)
				}
				if complete.Load() != 0 || partial.Load() > 1 {
					t.Errorf("the server received %d complete and %d partial requests; want none complete, at most one partial", complete.Load(), partial.Load())
				}
			})
		}
	}
}
