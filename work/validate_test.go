package work_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/voicegen"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/work"
)

// oneShot is a source that claims size bytes and counts what is read of it.
func oneShot(name string, head []byte, size int64, read *int64) material.Source {
	return material.FromReader(name, &countReader{r: io.MultiReader(bytes.NewReader(head), zeros{}), n: read}, size)
}

type countReader struct {
	r io.Reader
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestRefusedBeforeSending checks that bad input fails with the right
// sentinel, names the limit, reads at most the sniffed head of the file and
// sends nothing at all.
func TestRefusedBeforeSending(t *testing.T) {
	_, png := sample(t, material.KindImage)
	var read int64
	tests := []struct {
		name     string
		call     func(ctx context.Context, c *work.Client) error
		want     error
		wantText string // in the message: the limit
	}{
		{name: "thumb", want: material.ErrUnsupported, wantText: "thumb",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Upload(ctx, material.KindThumb, materialtest.Sample(material.KindImage))
				return err
			}},
		{name: "five bytes", want: material.ErrTooSmall, wantText: "more than 5 bytes",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Upload(ctx, material.KindFile, material.FromBytes("five.txt", []byte("12345")))
				return err
			}},
		{name: "image over 10 MB", want: material.ErrTooLarge, wantText: "10 MB",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Upload(ctx, material.KindImage, oneShot("big.png", png, 10<<20+1, &read))
				return err
			}},
		{name: "file over 20 MB", want: material.ErrTooLarge, wantText: "20 MB",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Upload(ctx, material.KindFile, oneShot("big.bin", nil, 20<<20+1, &read))
				return err
			}},
		{name: "MP3 voice", want: material.ErrInvalidFormat, wantText: "amr",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Upload(ctx, material.KindVoice, material.FromBytes("talk.mp3", append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), make([]byte, 100)...)))
				return err
			}},
		{name: "voice over 60 s", want: material.ErrTooLong, wantText: `"61 s": plays longer than the 60 s limit`,
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Upload(ctx, material.KindVoice, material.FromBytes("long.amr", voicegen.AMR(false, 0, 3050)))
				return err
			}},
		{name: "uploadimg over 2 MB", want: material.ErrTooLarge, wantText: "2 MB",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadImage(ctx, oneShot("big.png", png, 2<<20+1, &read))
				return err
			}},
		{name: "file attachment for Moments", want: material.ErrUnsupported, wantText: "Moments",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadAttachment(ctx, material.KindFile, work.AttachmentMoments, material.FromBytes("a.txt", []byte("some text")))
				return err
			}},
		{name: "attachment type 3", want: material.ErrInvalidInput, wantText: "attachment type",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadAttachment(ctx, material.KindImage, 3, materialtest.Sample(material.KindImage))
				return err
			}},
		{name: "voice attachment", want: material.ErrUnsupported, wantText: "voice",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadAttachment(ctx, material.KindVoice, work.AttachmentProductAlbum, materialtest.Sample(material.KindVoice))
				return err
			}},
		{name: "image by URL", want: material.ErrUnsupported, wantText: "video",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadByURL(ctx, material.URLUpload{Kind: material.KindImage, Filename: "a.png", URL: "http://example.com/a.png", MD5: strings.Repeat("a", 32)})
				return err
			}},
		{name: "short md5", want: material.ErrInvalidInput, wantText: "md5",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadByURL(ctx, material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: "http://example.com/a.bin", MD5: "abc"})
				return err
			}},
		{name: "URL with user info", want: material.ErrInvalidInput, wantText: "user info",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadByURL(ctx, material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: "https://u:p@example.com/a.bin", MD5: strings.Repeat("a", 32)})
				return err
			}},
		{name: "file name with a folder part", want: material.ErrInvalidInput, wantText: "file name",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadByURL(ctx, material.URLUpload{Kind: material.KindFile, Filename: "../../a.bin", URL: "https://example.com/a.bin", MD5: strings.Repeat("a", 32)})
				return err
			}},
		{name: "empty job id", want: material.ErrInvalidInput, wantText: "job id",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadByURLResult(ctx, "")
				return err
			}},
		{name: "job id with a control character", want: material.ErrInvalidInput, wantText: "control character",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.UploadByURLResult(ctx, "job\x001")
				return err
			}},
		{name: "empty media id", want: material.ErrInvalidInput, wantText: "media id",
			call: func(ctx context.Context, c *work.Client) error {
				_, err := c.Download(ctx, "")
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			read = 0
			err := tt.call(t.Context(), e.c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want it to match %v", err, tt.want)
			}
			var ve *material.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("err = %v, want a *material.ValidationError", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to name %q", err, tt.wantText)
			}
			if read > material.SniffLen {
				t.Errorf("%d bytes of the source were read; want at most the %d sniffed", read, material.SniffLen)
			}
			if reqs := e.log(); len(reqs) != 0 {
				t.Errorf("%d requests were sent, the first %s %s; want none", len(reqs), reqs[0].Method, reqs[0].Path)
			}
		})
	}
}

// TestVoiceLength: a one-shot voice is measured (spooled first) and sent
// when short enough; the platform's own 45007 matches ErrTooLong as the
// client's check does.
func TestVoiceLength(t *testing.T) {
	long, short := voicegen.AMR(true, 2, 3050), voicegen.AMR(true, 2, 2950)
	e := newEnv(t, nil)
	_, err := e.c.Upload(t.Context(), material.KindVoice, material.FromReader("long.amr", io.MultiReader(bytes.NewReader(long)), int64(len(long))))
	if !errors.Is(err, material.ErrTooLong) {
		t.Errorf("one-shot 61 s voice: err = %v, want ErrTooLong", err)
	}
	m, err := e.c.Upload(t.Context(), material.KindVoice, material.FromReader("short.amr", io.MultiReader(bytes.NewReader(short)), int64(len(short))))
	if err != nil {
		t.Fatalf("one-shot 59 s voice: %v", err)
	}
	if info, ok := e.emu.Media(m.ID); !ok || info.Size != int64(len(short)) {
		t.Errorf("the emulator holds %+v, want the %d bytes sent", info, len(short))
	}
	e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/upload", Action: emulator.Errcode(45007, "voice playtime out of limit")})
	_, err = e.c.Upload(t.Context(), material.KindVoice, material.FromBytes("short.amr", short))
	var apiErr *material.APIError
	if !errors.Is(err, material.ErrTooLong) || !errors.As(err, &apiErr) || apiErr.Code != 45007 {
		t.Errorf("45007 from the platform: err = %v, want an APIError matching ErrTooLong", err)
	}
	var uploads int
	for _, r := range e.log() {
		if r.Path == "/cgi-bin/media/upload" {
			uploads++
		}
	}
	if uploads != 2 {
		t.Errorf("%d uploads sent, want 2 (the long voice is refused before sending)", uploads)
	}
}
