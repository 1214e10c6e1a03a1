package materialtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxmaterial/wxmaterial/material"
)

// epoch is the fixed start of the Fakes' clocks in these tests.
var epoch = time.Date(2025, 3, 1, 8, 0, 0, 500_000_000, time.UTC)

func fixedClock() time.Time { return epoch }

func newFake(p material.Platform, opts ...FakeOption) *Fake {
	return NewFake(p, append([]FakeOption{WithClock(fixedClock)}, opts...)...)
}

func mustUpload(t *testing.T, f *Fake, k material.Kind, src material.Source) material.Media {
	t.Helper()
	m, err := f.Upload(t.Context(), k, src)
	if err != nil {
		t.Fatalf("Upload(%s): %v", k, err)
	}
	return m
}

func TestDownloadContent(t *testing.T) {
	tests := []struct {
		name     string
		platform material.Platform
		kind     material.Kind
		src      material.Source
		want     material.Content // Body ignored
		wantBody bool
	}{
		{name: "OA image is named by its id", platform: material.OfficialAccount, kind: material.KindImage, src: Sample(material.KindImage),
			want: material.Content{Name: "fake-image-1.png", ContentType: "image/png", Size: int64(sampleLen(material.KindImage))}, wantBody: true},
		{name: "OA thumb", platform: material.OfficialAccount, kind: material.KindThumb, src: Sample(material.KindThumb),
			want: material.Content{Name: "fake-thumb-1.jpg", ContentType: "image/jpeg", Size: int64(sampleLen(material.KindThumb))}, wantBody: true},
		{name: "OA video is a link", platform: material.OfficialAccount, kind: material.KindVideo, src: Sample(material.KindVideo),
			want: material.Content{Size: -1, URL: "http://materialtest.invalid/officialaccount/video/fake-video-1.mp4"}},
		{name: "WeCom keeps the file name", platform: material.WeCom, kind: material.KindFile, src: material.FromBytes("报告.pdf", []byte("%PDF-1.4 a report")),
			want: material.Content{Name: "报告.pdf", ContentType: "application/pdf", Size: 17}, wantBody: true},
		{name: "WeCom video is bytes", platform: material.WeCom, kind: material.KindVideo, src: Sample(material.KindVideo),
			want: material.Content{Name: "sample.mp4", ContentType: "video/mp4", Size: int64(sampleLen(material.KindVideo))}, wantBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tt.platform)
			m := mustUpload(t, f, tt.kind, tt.src)
			c, err := f.Download(t.Context(), m.ID)
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			defer c.Close()
			if diff := cmp.Diff(tt.want, *c, cmpopts.IgnoreFields(material.Content{}, "Body")); diff != "" {
				t.Errorf("Content (-want +got):\n%s", diff)
			}
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := f.Bytes(m.ID); !tt.wantBody {
				want = nil
				if len(got) != 0 {
					t.Errorf("body = %d bytes, want none", len(got))
				}
			} else if !bytes.Equal(got, want) {
				t.Errorf("body differs from the upload")
			}
		})
	}
}

func sampleLen(k material.Kind) int { _, b := sample(k, 0); return len(b) }

func TestUploadMedia(t *testing.T) {
	f := newFake(material.WeCom)
	m := mustUpload(t, f, material.KindVoice, Sample(material.KindVoice))
	created := epoch.Truncate(time.Second)
	want := material.Media{ID: "fake-voice-1", Kind: material.KindVoice, CreatedAt: created, ExpiresAt: created.Add(72 * time.Hour)}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Media (-want +got):\n%s", diff)
	}
}

func TestExpiryBoundary(t *testing.T) {
	f := newFake(material.OfficialAccount)
	m := mustUpload(t, f, material.KindImage, Sample(material.KindImage))
	f.Advance(m.ExpiresAt.Sub(f.Now()) - time.Nanosecond)
	if _, err := f.Download(t.Context(), m.ID); err != nil {
		t.Fatalf("Download just before ExpiresAt: %v", err)
	}
	f.Advance(time.Nanosecond)
	if _, err := f.Download(t.Context(), m.ID); !errors.Is(err, material.ErrNotFound) {
		t.Fatalf("Download at ExpiresAt: err = %v, want ErrNotFound", err)
	}
	if _, ok := f.Bytes(m.ID); ok {
		t.Errorf("Bytes still finds expired media")
	}
}

func TestErrors(t *testing.T) {
	oa, wc := newFake(material.OfficialAccount), newFake(material.WeCom)
	image := mustUpload(t, oa, material.KindImage, Sample(material.KindImage))
	tests := []struct {
		name    string
		call    func(ctx context.Context) error
		want    []error
		wantAPI *material.APIError // nil: an error refused before sending
	}{
		{name: "unknown id", call: func(ctx context.Context) error { _, err := oa.Download(ctx, "nope"); return err },
			want: []error{material.ErrNotFound}, wantAPI: &material.APIError{Platform: material.OfficialAccount, Op: "cgi-bin/media/get", Code: 40007, Message: "invalid media_id", HTTPStatus: 200}},
		{name: "empty id", call: func(ctx context.Context) error { _, err := oa.Download(ctx, ""); return err },
			want: []error{material.ErrInvalidInput}},
		{name: "HD voice of an image", call: func(ctx context.Context) error { _, err := oa.DownloadHDVoice(ctx, image.ID); return err },
			want: []error{material.ErrNotFound}, wantAPI: &material.APIError{Platform: material.OfficialAccount, Op: "cgi-bin/media/get/jssdk", Code: 40007, Message: "invalid media_id", HTTPStatus: 200}},
		{name: "WeCom thumb", call: func(ctx context.Context) error {
			_, err := wc.Upload(ctx, material.KindThumb, Sample(material.KindThumb))
			return err
		},
			want: []error{material.ErrUnsupported}},
		{name: "WeCom MP3 voice", call: func(ctx context.Context) error {
			_, err := wc.Upload(ctx, material.KindVoice, material.FromBytes("a.mp3", sampleMP3(0)))
			return err
		}, want: []error{material.ErrInvalidFormat}},
		{name: "WeCom five bytes", call: func(ctx context.Context) error {
			_, err := wc.Upload(ctx, material.KindFile, material.FromBytes("a.txt", []byte("12345")))
			return err
		}, want: []error{material.ErrTooSmall, material.ErrInvalidSize}},
		{name: "a source shorter than it says", call: func(ctx context.Context) error {
			_, err := oa.Upload(ctx, material.KindImage, material.FromReader("a.png", io.MultiReader(bytes.NewReader(samplePNG(0))), 5000))
			return err
		}, want: []error{material.ErrInvalidInput}},
		{name: "cancelled context", call: func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := oa.Upload(ctx, material.KindImage, Sample(material.KindImage))
			return err
		}, want: []error{context.Canceled}},
		{name: "WeCom library", call: func(ctx context.Context) error { _, err := wc.Count(ctx); return err },
			want: []error{material.ErrUnsupported}},
		{name: "OA upload by URL", call: func(ctx context.Context) error { _, err := oa.UploadByURLResult(ctx, "job"); return err },
			want: []error{material.ErrUnsupported}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t.Context())
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want it to match %v", err, w)
				}
			}
			if err != nil && !strings.HasPrefix(err.Error(), "materialtest: ") {
				t.Errorf("err = %q, want the prefix materialtest: ", err)
			}
			var api *material.APIError
			if got := errors.As(err, &api); got != (tt.wantAPI != nil) {
				t.Fatalf("errors.As(*APIError) = %v for %v", got, err)
			}
			if tt.wantAPI != nil {
				if diff := cmp.Diff(tt.wantAPI, api); diff != "" {
					t.Errorf("APIError (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestHDVoice(t *testing.T) {
	f := newFake(material.WeCom)
	m := mustUpload(t, f, material.KindVoice, Sample(material.KindVoice))
	c, err := f.DownloadHDVoice(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := material.Content{Name: m.ID + ".speex", ContentType: "voice/speex", Size: int64(sampleLen(material.KindVoice))}
	if diff := cmp.Diff(want, *c, cmpopts.IgnoreFields(material.Content{}, "Body")); diff != "" {
		t.Errorf("Content (-want +got):\n%s", diff)
	}
}

func TestUploadImage(t *testing.T) {
	f := newFake(material.OfficialAccount)
	url, err := f.UploadImage(t.Context(), Sample(material.KindThumb))
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://materialtest.invalid/officialaccount/uploadimg/img-1.jpg"; url != want {
		t.Errorf("UploadImage = %q, want %q", url, want)
	}
	big := material.FromBytes("big.png", append(samplePNG(0), make([]byte, 1<<20)...))
	if _, err := f.UploadImage(t.Context(), big); !errors.Is(err, material.ErrTooLarge) {
		t.Errorf("UploadImage(over 1 MB): err = %v, want ErrTooLarge", err)
	}
}

func TestOptionsPanic(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{name: "unknown platform", f: func() { NewFake("wechat") }},
		{name: "nil clock", f: func() { WithClock(nil) }},
		{name: "nil client", f: func() { WithHTTPClient(nil) }},
		{name: "cap of files", f: func() { WithLibraryCap(material.KindFile, 1) }},
		{name: "negative cap", f: func() { WithLibraryCap(material.KindImage, -1) }},
		{name: "negative polls", f: func() { WithJobPolls(-1) }},
		{name: "going back in time", f: func() { newFake(material.WeCom).Advance(-time.Second) }},
		{name: "news on WeCom", f: func() { newFake(material.WeCom).SeedNews(material.Article{Title: "x"}) }},
		{name: "no articles", f: func() { newFake(material.OfficialAccount).SeedNews() }},
		{name: "sample of news", f: func() { Sample(material.KindNews) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.f()
		})
	}
}

func TestViewCapabilities(t *testing.T) {
	tests := []struct {
		platform       material.Platform
		library, byURL bool
	}{
		{platform: material.OfficialAccount, library: true},
		{platform: material.WeCom, byURL: true},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform), func(t *testing.T) {
			svc := newFake(tt.platform).Service()
			if _, ok := svc.(material.Library); ok != tt.library {
				t.Errorf("Service().(material.Library) ok = %v, want %v", ok, tt.library)
			}
			if _, ok := svc.(material.URLUploader); ok != tt.byURL {
				t.Errorf("Service().(material.URLUploader) ok = %v, want %v", ok, tt.byURL)
			}
		})
	}
}

// TestConcurrentUse runs every kind of call at once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	f := NewFake(material.OfficialAccount)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			ctx := t.Context()
			name, data := sample(material.KindImage, i)
			m, err := f.Upload(ctx, material.KindImage, material.FromBytes(name, data))
			if err != nil {
				t.Error(err)
				return
			}
			if c, err := f.Download(ctx, m.ID); err == nil {
				io.Copy(io.Discard, c)
				c.Close()
			}
			if _, err := f.Add(ctx, material.KindImage, material.FromBytes(name, data)); err != nil {
				t.Error(err)
			}
			for range f.List(ctx, material.KindImage) {
			}
			f.Count(ctx)
			f.Calls()
			f.Advance(time.Second)
			f.FailNext("Delete", 1, fmt.Errorf("busy %d", i))
		})
	}
	wg.Wait()
	if c, _ := f.Count(t.Context()); c.Image != 16 {
		t.Errorf("Count = %+v, want 16 images", c)
	}
}
