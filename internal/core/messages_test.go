package core_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// quick is a retry policy of tiny delays.
var quick = transport.RetryPolicy{MaxAttempts: 2, MinDelay: time.Microsecond, MaxDelay: time.Microsecond}

// readStalled downloads, from a server that sends the first bytes of a
// file and then nothing, reads them, lets the context's deadline pass, and
// returns the error of reading the rest; it must match
// context.DeadlineExceeded. client is "oa" (Download) or "hd" (WeCom's
// DownloadHDVoice).
func readStalled(t *testing.T, client, path string) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/token", "/cgi-bin/gettoken":
			io.WriteString(w, `{"errcode":0,"access_token":"TOKEN-STALLED","expires_in":7200}`)
			return
		case path:
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", `attachment; filename="a.jpg"`)
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "\xff\xd8\xff\xe0")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx := &deadline{Context: context.Background(), done: make(chan struct{})}
	var content *material.Content
	switch client {
	case "oa":
		c, err := officialaccount.New("wx1", "secret-stalled", officialaccount.WithBaseURL(srv.URL), officialaccount.WithRetry(quick))
		if err != nil {
			return err
		}
		if content, err = c.Download(ctx, "M1"); err != nil {
			return err
		}
	default:
		c, err := work.New("ww1", 1, "secret-stalled", work.WithBaseURL(srv.URL), work.WithRetry(quick))
		if err != nil {
			return err
		}
		if content, err = c.DownloadHDVoice(ctx, "M1"); err != nil {
			return err
		}
	}
	defer content.Close()
	if _, err := io.ReadFull(content, make([]byte, 4)); err != nil {
		return err
	}
	close(ctx.done)
	_, err := io.ReadAll(content)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to match context.DeadlineExceeded", err)
	}
	return err
}

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
			name: "a reply cut off",
			call: func() error {
				f := e.Emu.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Times: -1, Action: emulator.TruncateBody(10)})
				defer f.Remove()
				_, err := e.OA.Count(ctx)
				return err
			},
			want: "officialaccount: get material count: cgi-bin/material/get_materialcount: read the reply: unexpected EOF",
		},
		{
			name: "a write's reply cut off",
			call: func() error {
				f := e.Emu.Inject(emulator.Fault{Path: "/cgi-bin/media/uploadimg", Times: -1, Action: emulator.TruncateBody(10)})
				defer f.Remove()
				_, err := e.WeCom.UploadImage(ctx, material.FromBytes("a.png", pngBytes))
				return err
			},
			want: "work: upload image: cgi-bin/media/uploadimg: read the reply: unexpected EOF " +
				"(material: outcome of the write unknown: the request was sent in full before the failure)",
		},
		{
			name: "a dropped connection",
			call: func() error {
				f := e.Emu.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Times: -1, Action: emulator.DropResponse(0)})
				defer f.Remove()
				_, err := e.WeCom.Download(ctx, "W1")
				return err
			},
			want: "work: download: cgi-bin/media/get: EOF",
		},
		{
			name: "a token reply cut off",
			call: func() error {
				f := e.Emu.Inject(emulator.Fault{Path: "/cgi-bin/token", Times: -1, Action: emulator.TruncateBody(5)})
				defer f.Remove()
				c, err := officialaccount.New(emutest.AppID, emutest.AppSecret, officialaccount.WithBaseURL(e.URL+"/oa"), officialaccount.WithRetry(quick))
				if err != nil {
					return err
				}
				_, err = c.Count(ctx)
				return err
			},
			want: "officialaccount: get material count: cgi-bin/material/get_materialcount: get access token: auth: Official Account cgi-bin/token: read reply: unexpected EOF",
		},
		{
			name: "a file cut off by the deadline",
			call: func() error { return readStalled(t, "oa", "/cgi-bin/media/get") },
			want: "officialaccount: download: read the file: context deadline exceeded",
		},
		{
			name: "WeCom HD voice cut off by the deadline",
			call: func() error { return readStalled(t, "hd", "/cgi-bin/media/get/jssdk") },
			want: "work: download HD voice: read the file: context deadline exceeded",
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

// deadline is a context whose deadline passes when done is closed: a
// transfer is cut off by it at a known point, however slow the machine.
type deadline struct {
	context.Context // Background: no value, no deadline, no cause of its own
	done            chan struct{}
}

func (d *deadline) Done() <-chan struct{} { return d.done }

func (d *deadline) Err() error {
	select {
	case <-d.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}
