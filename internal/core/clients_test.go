package core_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// TestNilOptionsOnBothClients: every shared option given nil, and a nil
// Option itself, is refused by both clients' New with an error matching
// material.ErrInvalidInput that names the option.
func TestNilOptionsOnBothClients(t *testing.T) {
	tests := []struct {
		option string
		oa     officialaccount.Option
		wc     work.Option
	}{
		{option: "WithTokenSource", oa: officialaccount.WithTokenSource(nil), wc: work.WithTokenSource(nil)},
		{option: "WithBaseURL", oa: officialaccount.WithBaseURL(""), wc: work.WithBaseURL("")},
		{option: "WithBaseURL", oa: officialaccount.WithBaseURL("ftp://x"), wc: work.WithBaseURL("ftp://x")},
		{option: "WithHTTPClient", oa: officialaccount.WithHTTPClient(nil), wc: work.WithHTTPClient(nil)},
		{option: "WithLogger", oa: officialaccount.WithLogger(nil), wc: work.WithLogger(nil)},
		{option: "WithClock", oa: officialaccount.WithClock(nil), wc: work.WithClock(nil)},
		{option: "WithObserver", oa: officialaccount.WithObserver(nil), wc: work.WithObserver(nil)},
		{option: "WithRetry", oa: officialaccount.WithRetry(transport.RetryPolicy{MaxAttempts: -1}), wc: work.WithRetry(transport.RetryPolicy{MaxAttempts: -1})},
		{option: "option 1", oa: nil, wc: nil},
	}
	for _, tt := range tests {
		t.Run(tt.option, func(t *testing.T) {
			_, oaErr := officialaccount.New("wx1", "secret", tt.oa)
			_, wcErr := work.New("ww1", 1, "secret", tt.wc)
			for name, err := range map[string]error{"officialaccount": oaErr, "work": wcErr} {
				if !errors.Is(err, material.ErrInvalidInput) {
					t.Errorf("%s: err = %v, want material.ErrInvalidInput", name, err)
					continue
				}
				if tt.option != "WithRetry" && !strings.Contains(err.Error(), tt.option) {
					t.Errorf("%s: %q does not name %s", name, err, tt.option)
				}
				if !strings.HasPrefix(err.Error(), name+": new: ") {
					t.Errorf("%s: %q does not start with %q", name, err, name+": new: ")
				}
			}
		})
	}
}

// TestMediaIDCheckedAlike: both clients trim a media id and refuse one
// that is then empty, with the same error, before anything is sent.
func TestMediaIDCheckedAlike(t *testing.T) {
	e := emutest.New(t)
	ctx := t.Context()
	oaMedia, err := e.OA.Upload(ctx, material.KindImage, material.FromBytes("a.png", pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	wcMedia, err := e.WeCom.Upload(ctx, material.KindImage, material.FromBytes("a.png", pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	downloads := map[string]func(id string) (*material.Content, error){
		"officialaccount": func(id string) (*material.Content, error) { return e.OA.Download(ctx, id) },
		"work":            func(id string) (*material.Content, error) { return e.WeCom.Download(ctx, id) },
	}
	ids := map[string]string{"officialaccount": oaMedia.ID, "work": wcMedia.ID}
	before := len(e.Requests(t))
	for name, download := range downloads {
		for _, blank := range []string{"", "  ", "\n\t"} {
			_, err := download(blank)
			var ve *material.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, material.ErrInvalidInput) || ve.Field != "media_id" {
				t.Errorf("%s: Download(%q) = %v, want a media_id ValidationError", name, blank, err)
			}
		}
		c, err := download(" " + ids[name] + "\n")
		if err != nil {
			t.Errorf("%s: Download of a padded id: %v", name, err)
			continue
		}
		if b, _ := io.ReadAll(c.Body); string(b) != string(pngBytes) {
			t.Errorf("%s: downloaded %d bytes, want the upload", name, len(b))
		}
		c.Close()
	}
	if got := len(e.Requests(t)) - before; got != 2 {
		t.Errorf("%d requests for the downloads, want 2 (the blank ids refused before sending)", got)
	}
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
