package core_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/work"
)

// TestErrorMessagesNameEachLayerOnce pins a few representative messages
// of both clients: the client's package and operation first, once, then
// what failed (the platform's rule, or its reply), naming the platform
// once and never a second package prefix.
func TestErrorMessagesNameEachLayerOnce(t *testing.T) {
	e := emutest.New(t)
	ctx := t.Context()
	big := make([]byte, 3<<20)
	copy(big, pngBytes)
	rid := regexp.MustCompile(` \(rid [^)]*\)$`)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{
			name: "a kind the Official Account lacks",
			call: func() error {
				_, err := e.OA.Upload(ctx, material.KindFile, material.FromBytes("a.txt", []byte("hello")))
				return err
			},
			want: "officialaccount: upload: Official Account temporary file: not a kind these uploads take (image, voice, video, thumb)",
		},
		{
			name: "a kind WeCom lacks",
			call: func() error {
				_, err := e.WeCom.Upload(ctx, material.KindThumb, material.FromBytes("a.jpg", []byte("x")))
				return err
			},
			want: "work: upload: WeCom temporary thumb: not a kind these uploads take (image, voice, video, file)",
		},
		{
			name: "a file over the limit",
			call: func() error { _, err := e.WeCom.UploadImage(ctx, material.FromBytes("big.png", big)); return err },
			want: `work: upload image: WeCom uploadimg image "big.png": 3 MB (3145728 bytes) is over the 2 MB (2097152 bytes) limit`,
		},
		{
			name: "an empty media id",
			call: func() error { _, err := e.OA.Download(ctx, " "); return err },
			want: "officialaccount: download: Official Account: empty media id",
		},
		{
			name: "the platform's errcode",
			call: func() error { _, err := e.OA.Download(ctx, "no-such-id"); return err },
			want: "officialaccount: download: Official Account cgi-bin/media/get: errcode 40007: invalid media_id",
		},
		{
			name: "WeCom's errcode",
			call: func() error { _, err := e.WeCom.Download(ctx, "no-such-id"); return err },
			want: "work: download: WeCom cgi-bin/media/get: errcode 40007: invalid media_id",
		},
		{
			name: "a bad option",
			call: func() error { _, err := work.New("ww1", 1, "s", work.WithHTTPClient(nil)); return err },
			want: `work: new: option "WithHTTPClient": a nil *http.Client`,
		},
		{
			name: "missing credentials",
			call: func() error {
				_, err := officialaccount.New("", "", officialaccount.WithHTTPClient(http.DefaultClient))
				return err
			},
			want: "officialaccount: new: Official Account: an app id and a secret are needed (or WithTokenSource)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			got := rid.ReplaceAllString(err.Error(), "")
			if got != tt.want {
				t.Errorf("message\n got %s\nwant %s", got, tt.want)
			}
			for _, layer := range []string{"officialaccount:", "work:", "material:", "transport:", "Official Account", "WeCom"} {
				if n := strings.Count(got, layer); n > 1 {
					t.Errorf("%q names %q %d times", got, layer, n)
				}
			}
		})
	}
}
