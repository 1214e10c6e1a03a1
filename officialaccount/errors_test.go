package officialaccount_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// countingReader yields a file header then zeros, counting what is read.
type countingReader struct {
	head []byte
	read atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	off := r.read.Load()
	n := copy(p, r.head[min(int(off), len(r.head)):])
	for i := n; i < len(p); i++ {
		p[i] = 0
	}
	r.read.Add(int64(len(p)))
	return len(p), nil
}

func TestErrors(t *testing.T) {
	_, png := sample(t, material.KindImage)
	_, amr := sample(t, material.KindVoice)
	tests := []struct {
		name string
		emu  []emulator.Option
		// call runs the failing call; it may prepare state first.
		call     func(ctx context.Context, e *env) error
		want     []error
		wantCode int  // the errcode the emulator answered last, 0 when nothing may be sent
		sent     bool // whether a business call reached the emulator
	}{
		{
			name: "40007 unknown id to Download",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Download(ctx, "no-such-media")
				return err
			},
			want: []error{material.ErrNotFound}, wantCode: 40007, sent: true,
		},
		{
			name: "40007 expired id to Download",
			call: func(ctx context.Context, e *env) error {
				m, err := e.c.Upload(ctx, material.KindImage, material.FromBytes("a.png", png))
				if err != nil {
					return err
				}
				e.clock.Advance(material.TemporaryLifetime + time.Second)
				_, err = e.c.Download(ctx, m.ID)
				return err
			},
			want: []error{material.ErrNotFound}, wantCode: 40007, sent: true,
		},
		{
			name: "40007 temporary id to Get",
			call: func(ctx context.Context, e *env) error {
				m, err := e.c.Upload(ctx, material.KindImage, material.FromBytes("a.png", png))
				if err != nil {
					return err
				}
				_, err = e.c.Get(ctx, m.ID)
				return err
			},
			want: []error{material.ErrNotFound}, wantCode: 40007, sent: true,
		},
		{
			name: "40007 temporary id to Delete",
			call: func(ctx context.Context, e *env) error {
				m, err := e.c.Upload(ctx, material.KindImage, material.FromBytes("a.png", png))
				if err != nil {
					return err
				}
				return e.c.Delete(ctx, m.ID)
			},
			want: []error{material.ErrNotFound}, wantCode: 40007, sent: true,
		},
		{
			name: "40007 permanent id to Download",
			call: func(ctx context.Context, e *env) error {
				id, err := e.emu.SeedPermanent(testAppID, "image", "a.png", png)
				if err != nil {
					return err
				}
				_, err = e.c.Download(ctx, id)
				return err
			},
			want: []error{material.ErrNotFound}, wantCode: 40007, sent: true,
		},
		{
			name: "45009 library full",
			emu:  []emulator.Option{emulator.WithQuotas(emulator.Quotas{LibraryOther: 1})},
			call: func(ctx context.Context, e *env) error {
				if _, err := e.c.Add(ctx, material.KindVoice, material.FromBytes("1.amr", amr)); err != nil {
					return err
				}
				_, err := e.c.Add(ctx, material.KindVoice, material.FromBytes("2.amr", amr))
				return err
			},
			want: []error{material.ErrQuota}, wantCode: 45009, sent: true,
		},
		{
			name: "40004 from the platform (a type it no longer takes)",
			call: func(ctx context.Context, e *env) error {
				e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/upload", Action: emulator.Errcode(40004, "")})
				_, err := e.c.Upload(ctx, material.KindImage, material.FromBytes("a.png", png))
				return err
			},
			want: []error{material.ErrUnsupported}, wantCode: 40004, sent: true,
		},
		{
			name: "40009 size verdict from the platform",
			call: func(ctx context.Context, e *env) error {
				e.emu.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: emulator.Errcode(40009, "")})
				_, err := e.c.Add(ctx, material.KindImage, material.FromBytes("a.png", png))
				return err
			},
			want: []error{material.ErrTooLarge, material.ErrInvalidSize}, wantCode: 40009, sent: true,
		},
		{
			name: "40005 format verdict from the platform",
			call: func(ctx context.Context, e *env) error {
				e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/uploadimg", Action: emulator.Errcode(40005, "")})
				_, err := e.c.UploadImage(ctx, material.FromBytes("a.png", png))
				return err
			},
			want: []error{material.ErrInvalidFormat}, wantCode: 40005, sent: true,
		},
		{
			name: "file kind, which the Official Account lacks",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Upload(ctx, material.KindFile, material.FromBytes("a.txt", []byte("text")))
				return err
			},
			want: []error{material.ErrUnsupported},
		},
		{
			name: "unknown kind",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Upload(ctx, "sticker", material.FromBytes("a.png", png))
				return err
			},
			want: []error{material.ErrUnsupported, material.ErrInvalidInput},
		},
		{
			name: "news to Add",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Add(ctx, material.KindNews, material.FromBytes("a.png", png))
				return err
			},
			want: []error{material.ErrUnsupported},
		},
		{
			name: "video to Add without a description",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Add(ctx, material.KindVideo, material.FromBytes("a.mp4", png))
				return err
			},
			want: []error{material.ErrInvalidInput},
		},
		{
			name: "temporary image over 10 MB",
			call: func(ctx context.Context, e *env) error {
				r := &countingReader{head: png}
				_, err := e.c.Upload(ctx, material.KindImage, material.FromReader("big.png", r, 10<<20+1))
				if n := r.read.Load(); n > material.SniffLen {
					return errors.New("the source was read past the format check")
				}
				return err
			},
			want: []error{material.ErrTooLarge},
		},
		{
			name: "thumb stream of unknown size over 64 KB",
			call: func(ctx context.Context, e *env) error {
				_, jpeg := sample(t, material.KindThumb)
				_, err := e.c.Upload(ctx, material.KindThumb, material.FromReader("big.jpg", io.LimitReader(&countingReader{head: jpeg}, 1<<20), -1))
				return err
			},
			want: []error{material.ErrTooLarge},
		},
		{
			name: "uploadimg at 1 MB",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.UploadImage(ctx, material.FromReader("big.png", &countingReader{head: png}, 1<<20))
				return err
			},
			want: []error{material.ErrTooLarge},
		},
		{
			name: "AMR bytes named .png",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Upload(ctx, material.KindImage, material.FromBytes("a.png", amr))
				return err
			},
			want: []error{material.ErrInvalidFormat},
		},
		{
			name: "GIF to uploadimg",
			call: func(ctx context.Context, e *env) error {
				gif := append([]byte("GIF89a"), make([]byte, 64)...)
				_, err := e.c.UploadImage(ctx, material.FromBytes("a.gif", gif))
				return err
			},
			want: []error{material.ErrInvalidFormat},
		},
		{
			name: "empty file",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Add(ctx, material.KindImage, material.FromBytes("a.png", nil))
				return err
			},
			want: []error{material.ErrEmpty},
		},
		{
			name: "empty media id",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.Get(ctx, "")
				return err
			},
			want: []error{material.ErrInvalidInput},
		},
		{
			name: "BatchGet count over 20",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.BatchGet(ctx, material.KindImage, 0, 21)
				return err
			},
			want: []error{material.ErrInvalidInput},
		},
		{
			name: "BatchGet of thumbs",
			call: func(ctx context.Context, e *env) error {
				_, err := e.c.BatchGet(ctx, material.KindThumb, 0, 20)
				return err
			},
			want: []error{material.ErrUnsupported},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{emu: tt.emu})
			err := tt.call(t.Context(), e)
			if err == nil {
				t.Fatal("err = nil")
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v; want it to match %v", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "officialaccount: ") {
				t.Errorf("err = %q, want the package prefix", err)
			}
			rs := e.business()
			if !tt.sent {
				if len(rs) != 0 {
					t.Errorf("%d calls reached the emulator (%s first); want the input refused before sending", len(rs), rs[0].Path)
				}
				var ve *material.ValidationError
				if !errors.As(err, &ve) {
					t.Errorf("err = %T, want a *material.ValidationError", err)
				}
				return
			}
			var apiErr *material.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.wantCode || len(rs) == 0 || rs[len(rs)-1].Errcode != tt.wantCode {
				t.Errorf("err = %v; want the platform's errcode %d", err, tt.wantCode)
			}
		})
	}
}
