package material_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// methods lists the methods of the calls a Fake recorded.
func methods(f *materialtest.Fake) []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Method)
	}
	return out
}

func TestCopyBetweenPlatforms(t *testing.T) {
	tests := []struct {
		name     string
		from, to material.Platform
		kind     material.Kind
		wantKind material.Kind
		wantSrc  []string // the source's calls
	}{
		{name: "OA image to WeCom", from: material.OfficialAccount, to: material.WeCom, kind: material.KindImage, wantKind: material.KindImage, wantSrc: []string{"Upload", "Download"}},
		{name: "OA voice to WeCom", from: material.OfficialAccount, to: material.WeCom, kind: material.KindVoice, wantKind: material.KindVoice, wantSrc: []string{"Upload", "Download"}},
		{name: "OA video link followed to WeCom", from: material.OfficialAccount, to: material.WeCom, kind: material.KindVideo, wantKind: material.KindVideo, wantSrc: []string{"Upload", "Download", "DownloadURL"}},
		{name: "OA thumb to WeCom image", from: material.OfficialAccount, to: material.WeCom, kind: material.KindThumb, wantKind: material.KindImage, wantSrc: []string{"Upload", "Download"}},
		{name: "WeCom image to OA", from: material.WeCom, to: material.OfficialAccount, kind: material.KindImage, wantKind: material.KindImage, wantSrc: []string{"Upload", "Download"}},
		{name: "WeCom voice to OA", from: material.WeCom, to: material.OfficialAccount, kind: material.KindVoice, wantKind: material.KindVoice, wantSrc: []string{"Upload", "Download"}},
		{name: "WeCom video to OA", from: material.WeCom, to: material.OfficialAccount, kind: material.KindVideo, wantKind: material.KindVideo, wantSrc: []string{"Upload", "Download"}},
		{name: "WeCom file to WeCom", from: material.WeCom, to: material.WeCom, kind: material.KindFile, wantKind: material.KindFile, wantSrc: []string{"Upload", "Download"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dst := materialtest.NewFake(tt.from), materialtest.NewFake(tt.to)
			name, data := materialtest.SampleBytes(tt.kind)
			up, err := src.Upload(t.Context(), tt.kind, material.FromBytes(name, data))
			if err != nil {
				t.Fatal(err)
			}
			m, err := material.Copy(t.Context(), dst.Service(), src.Service(), up.ID, tt.kind)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if m.Kind != tt.wantKind || m.ExpiresAt.IsZero() {
				t.Errorf("Copy returned %+v, want temporary media of kind %s", m, tt.wantKind)
			}
			got, ok := dst.Bytes(m.ID)
			if !ok || !bytes.Equal(got, data) {
				t.Errorf("the target holds %d bytes (found %v), want the %d of the source", len(got), ok, len(data))
			}
			if diff := cmp.Diff(tt.wantSrc, methods(src)); diff != "" {
				t.Errorf("source calls (-want +got):\n%s", diff)
			}
			calls := dst.Calls()
			if len(calls) != 1 || calls[0].Method != "Upload" || calls[0].Kind != tt.wantKind || calls[0].Size != int64(len(data)) {
				t.Errorf("target calls = %+v, want one Upload of %s with %d bytes", calls, tt.wantKind, len(data))
			}
		})
	}
}

func TestCopyLibraryToLibrary(t *testing.T) {
	a := materialtest.NewFake(material.OfficialAccount, materialtest.WithAccount("wx-a"))
	b := materialtest.NewFake(material.OfficialAccount, materialtest.WithAccount("wx-b"))
	ctx := t.Context()
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindThumb} {
		t.Run(string(k), func(t *testing.T) {
			name, data := materialtest.SampleBytes(k)
			added, err := a.Add(ctx, k, material.FromBytes(name, data))
			if err != nil {
				t.Fatal(err)
			}
			m, err := material.Copy(ctx, b, a, added.ID, k, material.FromLibrary(), material.ToLibrary())
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			got, ok := b.Bytes(m.ID)
			if !ok || !bytes.Equal(got, data) || m.Kind != k || !m.ExpiresAt.IsZero() {
				t.Errorf("Copy gave %+v holding %d bytes, want a permanent %s of the %d bytes", m, len(got), k, len(data))
			}
		})
	}
	t.Run("video keeps its description", func(t *testing.T) {
		name, data := materialtest.SampleBytes(material.KindVideo)
		desc := material.VideoDescription{Title: "Launch", Introduction: "The launch film"}
		added, err := a.AddVideo(ctx, material.FromBytes(name, data), desc)
		if err != nil {
			t.Fatal(err)
		}
		m, err := material.Copy(ctx, b, a, added.ID, material.KindVideo, material.FromLibrary(), material.ToLibrary())
		if err != nil {
			t.Fatalf("Copy: %v", err)
		}
		got, err := b.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Video == nil || got.Video.Title != desc.Title || got.Video.Description != desc.Introduction {
			t.Errorf("the copy's video = %+v, want %+v", got.Video, desc)
		}
		if stored, _ := b.Bytes(m.ID); !bytes.Equal(stored, data) {
			t.Errorf("the copy holds %d bytes, want the %d of the original", len(stored), len(data))
		}
	})
	t.Run("temporary video into a library", func(t *testing.T) {
		name, data := materialtest.SampleBytes(material.KindVideo)
		up, err := a.Upload(ctx, material.KindVideo, material.FromBytes(name, data))
		if err != nil {
			t.Fatal(err)
		}
		m, err := material.Copy(ctx, b, a, up.ID, material.KindVideo, material.ToLibrary(), material.WithFileName("clip.mp4"))
		if err != nil {
			t.Fatalf("Copy: %v", err)
		}
		got, err := b.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Video == nil || got.Video.Title != "clip" {
			t.Errorf("the copy's video = %+v, want the title taken from the file name", got.Video)
		}
	})
	t.Run("news refused before any call", func(t *testing.T) {
		thumb, err := a.Add(ctx, material.KindThumb, materialtest.Sample(material.KindThumb))
		if err != nil {
			t.Fatal(err)
		}
		news := a.SeedNews(material.Article{Title: "t", ThumbMediaID: thumb.ID})
		before := len(a.Calls())
		_, err = material.Copy(ctx, b, a, news, material.KindNews, material.FromLibrary(), material.ToLibrary())
		if !errors.Is(err, material.ErrUnsupported) {
			t.Errorf("Copy(news) = %v, want ErrUnsupported", err)
		}
		if n := len(a.Calls()); n != before {
			t.Errorf("the source got %d calls, want none", n-before)
		}
	})
}

func TestCopyRefusesBeforeDownload(t *testing.T) {
	oa, wc := materialtest.NewFake(material.OfficialAccount), materialtest.NewFake(material.WeCom)
	file, err := wc.Upload(t.Context(), material.KindFile, materialtest.Sample(material.KindFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dst, src material.Service
		kind     material.Kind
		opts     []material.CopyOption
		want     []error
	}{
		{name: "file to the Official Account", dst: oa, src: wc, kind: material.KindFile, want: []error{material.ErrUnsupported}},
		{name: "file to a library", dst: oa, src: wc, kind: material.KindFile, opts: []material.CopyOption{material.ToLibrary()}, want: []error{material.ErrUnsupported}},
		{name: "thumb from WeCom", dst: oa, src: wc, kind: material.KindThumb, want: []error{material.ErrUnsupported}},
		{name: "news from temporary media", dst: oa, src: wc, kind: material.KindNews, want: []error{material.ErrUnsupported}},
		{name: "library of WeCom", dst: oa, src: wc, kind: material.KindImage, opts: []material.CopyOption{material.FromLibrary()}, want: []error{material.ErrUnsupported}},
		{name: "to a WeCom library", dst: wc.Service(), src: oa, kind: material.KindImage, opts: []material.CopyOption{material.ToLibrary()}, want: []error{material.ErrUnsupported}},
		{name: "not a kind", dst: oa, src: wc, kind: "sticker", want: []error{material.ErrInvalidInput}},
		{name: "no target", dst: nil, src: wc, kind: material.KindFile, want: []error{material.ErrInvalidInput}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(wc.Calls()) + len(oa.Calls())
			_, err := material.Copy(t.Context(), tt.dst, tt.src, file.ID, tt.kind, tt.opts...)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Copy = %v, want it to match %v", err, w)
				}
			}
			var ve *material.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("Copy = %v (%T), want a *material.ValidationError", err, err)
			}
			if n := len(wc.Calls()) + len(oa.Calls()); n != before {
				t.Errorf("%d calls were made, want none", n-before)
			}
		})
	}
	t.Run("empty id", func(t *testing.T) {
		_, err := material.Copy(t.Context(), oa, wc, " ", material.KindImage)
		if !errors.Is(err, material.ErrInvalidInput) {
			t.Errorf("Copy = %v, want ErrInvalidInput", err)
		}
	})
}

// sized is a source Service whose Download answers a Content of a declared
// size and counts what is read of its body.
type sized struct {
	material.Service // nil: only Download is called
	size             int64
	head             []byte
	read             atomic.Int64
}

func (s *sized) Download(context.Context, string) (*material.Content, error) {
	return &material.Content{Name: "big.mp4", Size: s.size, Body: io.NopCloser(&counting{r: io.MultiReader(bytes.NewReader(s.head), zeros{}), n: &s.read})}, nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type counting struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestCopyTooLargeRefusedBeforeTheBody(t *testing.T) {
	_, mp4 := materialtest.SampleBytes(material.KindVideo)
	rule, err := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindVideo)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("known size", func(t *testing.T) {
		src := &sized{size: rule.MaxSize + 1, head: mp4}
		dst := materialtest.NewFake(material.OfficialAccount)
		_, err := material.Copy(t.Context(), dst, src, "big", material.KindVideo)
		if !errors.Is(err, material.ErrTooLarge) {
			t.Errorf("Copy = %v, want ErrTooLarge", err)
		}
		if n := src.read.Load(); n != 0 {
			t.Errorf("%d bytes of the body were read, want none", n)
		}
		if calls := dst.Calls(); len(calls) != 0 {
			t.Errorf("the target got %v", calls)
		}
	})
	t.Run("unknown size", func(t *testing.T) {
		src := &sized{size: -1, head: mp4}
		dst := materialtest.NewFake(material.OfficialAccount)
		_, err := material.Copy(t.Context(), dst, src, "big", material.KindVideo)
		if !errors.Is(err, material.ErrTooLarge) {
			t.Errorf("Copy = %v, want ErrTooLarge", err)
		}
		if n, most := src.read.Load(), rule.MaxSize+64<<10; n > most {
			t.Errorf("%d bytes of the stream were read, want at most %d (the limit and a buffer)", n, most)
		}
		if calls := dst.Calls(); len(calls) != 0 {
			t.Errorf("the target got %v", calls)
		}
	})
}

// unsized hides the size of a Service's downloads, as a reply without a
// Content-Length would.
type unsized struct{ material.Service }

func (u unsized) Download(ctx context.Context, id string) (*material.Content, error) {
	c, err := u.Service.Download(ctx, id)
	if c != nil {
		c.Size = -1
	}
	return c, err
}

func TestCopyUnknownSizeIsSpooled(t *testing.T) {
	src, dst := materialtest.NewFake(material.WeCom), materialtest.NewFake(material.OfficialAccount)
	name, data := materialtest.SampleBytes(material.KindImage)
	up, err := src.Upload(t.Context(), material.KindImage, material.FromBytes(name, data))
	if err != nil {
		t.Fatal(err)
	}
	// Fail the first upload: a spooled copy can be sent again.
	dst.FailNext("Upload", 1, &material.APIError{Platform: material.OfficialAccount, Code: -1})
	_, err = material.Copy(t.Context(), dst, unsized{src}, up.ID, material.KindImage)
	if !errors.Is(err, material.ErrBusy) {
		t.Fatalf("Copy = %v, want the injected busy error", err)
	}
	m, err := material.Copy(t.Context(), dst, unsized{src}, up.ID, material.KindImage)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got, _ := dst.Bytes(m.ID); !bytes.Equal(got, data) {
		t.Errorf("the copy holds %d bytes, want the %d of the source", len(got), len(data))
	}
	calls := dst.Calls()
	if last := calls[len(calls)-1]; last.Size != int64(len(data)) || last.Name != name {
		t.Errorf("the target's upload was %+v, want %q with its size known (%d)", last, name, len(data))
	}
}

// opaque hides every method but those of Service, as a user's own
// implementation might.
type opaque struct{ material.Service }

func TestCopyThroughPlainServices(t *testing.T) {
	oa, wc := materialtest.NewFake(material.OfficialAccount), materialtest.NewFake(material.WeCom)
	name, data := materialtest.SampleBytes(material.KindVideo)
	video, err := oa.Upload(t.Context(), material.KindVideo, material.FromBytes(name, data))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a source that cannot follow its link", func(t *testing.T) {
		_, err := material.Copy(t.Context(), wc, opaque{oa}, video.ID, material.KindVideo)
		if !errors.Is(err, material.ErrUnsupported) {
			t.Errorf("Copy = %v, want ErrUnsupported", err)
		}
	})
	t.Run("a target of unknown platform judges itself", func(t *testing.T) {
		m, err := material.Copy(t.Context(), opaque{wc}, oa, video.ID, material.KindVideo)
		if err != nil {
			t.Fatalf("Copy: %v", err)
		}
		if got, _ := wc.Bytes(m.ID); !bytes.Equal(got, data) {
			t.Errorf("the copy holds %d bytes, want %d", len(got), len(data))
		}
		thumb, err := oa.Upload(t.Context(), material.KindThumb, materialtest.Sample(material.KindThumb))
		if err != nil {
			t.Fatal(err)
		}
		_, err = material.Copy(t.Context(), opaque{wc}, oa, thumb.ID, material.KindThumb)
		if !errors.Is(err, material.ErrUnsupported) {
			t.Errorf("Copy(thumb) to an unknown WeCom = %v, want its own ErrUnsupported", err)
		}
	})
}

func TestCopyNames(t *testing.T) {
	oa, wc := materialtest.NewFake(material.OfficialAccount), materialtest.NewFake(material.WeCom)
	_, data := materialtest.SampleBytes(material.KindImage)
	up, err := wc.Upload(t.Context(), material.KindImage, material.FromBytes("photo.png", data))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := oa.Add(t.Context(), material.KindImage, material.FromBytes("lib.png", data))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dst, src *materialtest.Fake
		id       string
		kind     material.Kind
		opts     []material.CopyOption
		want     string
	}{
		{name: "the source's name", dst: oa, src: wc, id: up.ID, kind: material.KindImage, want: "photo.png"},
		{name: "WithFileName", dst: oa, src: wc, id: up.ID, kind: material.KindImage, opts: []material.CopyOption{material.WithFileName("dir/cover.png")}, want: "cover.png"},
		{name: "an Official Account download's name", dst: wc, src: oa, id: lib.ID, kind: material.KindImage, opts: []material.CopyOption{material.FromLibrary()}, want: "lib.png"},
		{name: "a WeCom file keeps its extension", dst: wc, src: wc, id: up.ID, kind: material.KindFile, opts: []material.CopyOption{material.WithFileName("photo.bin")}, want: "photo.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.kind == material.KindFile {
				f, err := wc.Upload(t.Context(), material.KindFile, material.FromBytes("photo.bin", data))
				if err != nil {
					t.Fatal(err)
				}
				tt.id = f.ID
			}
			if _, err := material.Copy(t.Context(), tt.dst, tt.src, tt.id, tt.kind, tt.opts...); err != nil {
				t.Fatalf("Copy: %v", err)
			}
			calls := tt.dst.Calls()
			if got := calls[len(calls)-1].Name; got != tt.want {
				t.Errorf("the target received %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("an extension from the bytes", func(t *testing.T) {
		src := &named{Service: wc, name: "no-extension"}
		if _, err := material.Copy(t.Context(), oa, src, up.ID, material.KindImage); err != nil {
			t.Fatalf("Copy: %v", err)
		}
		calls := oa.Calls()
		if got := calls[len(calls)-1].Name; got != "no-extension.png" {
			t.Errorf("the target received %q, want no-extension.png", got)
		}
	})
}

// TestCopyCleansSourceNames: a source's name holding what no name may hold
// (a control character, a bidirectional override) is kept, cleaned, rather
// than failing the copy.
func TestCopyCleansSourceNames(t *testing.T) {
	wc, oa := materialtest.NewFake(material.WeCom), materialtest.NewFake(material.OfficialAccount)
	up, err := wc.Upload(t.Context(), material.KindImage, materialtest.Sample(material.KindImage))
	if err != nil {
		t.Fatal(err)
	}
	src := &named{Service: wc, name: "bad\x1b[31m\u202egnp.png"}
	if _, err := material.Copy(t.Context(), oa, src, up.ID, material.KindImage); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	calls := oa.Calls()
	if got := calls[len(calls)-1].Name; got != "bad[31mgnp.png" {
		t.Errorf("the target received %q, want bad[31mgnp.png", got)
	}
}

// named renames a Service's downloads.
type named struct {
	material.Service
	name string
}

func (n *named) Download(ctx context.Context, id string) (*material.Content, error) {
	c, err := n.Service.Download(ctx, id)
	if c != nil {
		c.Name = n.name
	}
	return c, err
}

func TestCopyLibraryKindMismatch(t *testing.T) {
	oa := materialtest.NewFake(material.OfficialAccount)
	video, err := oa.AddVideo(t.Context(), materialtest.Sample(material.KindVideo), material.VideoDescription{Title: "v"})
	if err != nil {
		t.Fatal(err)
	}
	image, err := oa.Add(t.Context(), material.KindImage, materialtest.Sample(material.KindImage))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id   string
		kind material.Kind
	}{{video.ID, material.KindImage}, {image.ID, material.KindVideo}} {
		_, err := material.Copy(t.Context(), oa, oa, tt.id, tt.kind, material.FromLibrary())
		if !errors.Is(err, material.ErrInvalidInput) {
			t.Errorf("Copy(%s as %s) = %v, want ErrInvalidInput", tt.id, tt.kind, err)
		}
	}
	if slices.Contains(methods(oa), "Upload") {
		t.Errorf("an upload was made: %v", methods(oa))
	}
}

func TestCopyKind(t *testing.T) {
	type row struct {
		OATemp, OALib, WeCom material.Kind
	}
	got := map[material.Kind]row{}
	for _, k := range material.Kinds() {
		var r row
		r.OATemp, _ = material.CopyKind(k, material.OfficialAccount, material.APITemporary)
		r.OALib, _ = material.CopyKind(k, material.OfficialAccount, material.APIPermanent)
		r.WeCom, _ = material.CopyKind(k, material.WeCom, material.APITemporary)
		got[k] = r
	}
	want := map[material.Kind]row{
		material.KindImage: {material.KindImage, material.KindImage, material.KindImage},
		material.KindVoice: {material.KindVoice, material.KindVoice, material.KindVoice},
		material.KindVideo: {material.KindVideo, material.KindVideo, material.KindVideo},
		material.KindThumb: {material.KindThumb, material.KindThumb, material.KindImage},
		material.KindFile:  {"", "", material.KindFile},
		material.KindNews:  {"", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CopyKind table (-want +got):\n%s", diff)
	}
	for _, k := range []material.Kind{material.KindFile, material.KindNews} {
		if _, err := material.CopyKind(k, material.OfficialAccount, material.APITemporary); !errors.Is(err, material.ErrUnsupported) {
			t.Errorf("CopyKind(%s) = %v, want ErrUnsupported", k, err)
		}
	}
}
