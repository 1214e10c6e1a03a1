package core_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/core"
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

// TestMediaIDCheckedAlike: both clients trim a media id and refuse, with
// the same error, before anything is sent, one that is then empty, longer
// than core.MaxMediaIDLen, not UTF-8 or holding a control character, in
// every call that takes an id.
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
	drop := func(c *material.Content, err error) error {
		if c != nil {
			c.Close()
		}
		return err
	}
	calls := []struct {
		name  string
		field string
		empty string // the field naming an empty id, when not field
		call  func(id string) error
	}{
		{name: "officialaccount Download", field: "media_id", call: func(id string) error { return drop(e.OA.Download(ctx, id)) }},
		{name: "officialaccount DownloadHDVoice", field: "media_id", call: func(id string) error { return drop(e.OA.DownloadHDVoice(ctx, id)) }},
		{name: "officialaccount Get", field: "media_id", call: func(id string) error {
			a, err := e.OA.Get(ctx, id)
			if a != nil {
				a.Close()
			}
			return err
		}},
		{name: "officialaccount Delete", field: "media_id", call: func(id string) error { return e.OA.Delete(ctx, id) }},
		{name: "officialaccount UploadVideo", field: "media_id", call: func(id string) error {
			_, err := e.OA.UploadVideo(ctx, id, "title", "description")
			return err
		}},
		{name: "officialaccount UploadNews", field: "thumb_media_id", empty: "articles", call: func(id string) error {
			_, err := e.OA.UploadNews(ctx, material.Article{Title: "t", Content: "<p>c</p>", ThumbMediaID: oaMedia.ID},
				material.Article{Title: "t", Content: "<p>c</p>", ThumbMediaID: id})
			return err
		}},
		{name: "work Download", field: "media_id", call: func(id string) error { return drop(e.WeCom.Download(ctx, id)) }},
		{name: "work DownloadHDVoice", field: "media_id", call: func(id string) error { return drop(e.WeCom.DownloadHDVoice(ctx, id)) }},
	}
	bad := []struct {
		name    string
		id      string
		problem string // in the error
	}{
		{name: "empty", id: "", problem: "empty media id"},
		{name: "blank", id: "  ", problem: "empty media id"},
		{name: "white space", id: "\n\t", problem: "empty media id"},
		{name: "NUL inside", id: "a\x00b", problem: "control character (U+0000 at byte 1)"},
		{name: "newline inside", id: "a\nb", problem: "control character (U+000A at byte 1)"},
		{name: "DEL", id: "ab\x7f", problem: "control character (U+007F at byte 2)"},
		{name: "C1 control", id: "a\u0085b", problem: "control character (U+0085 at byte 1)"},
		{name: "not UTF-8", id: "a\xffb", problem: "not valid UTF-8"},
		{name: "too long", id: strings.Repeat("x", core.MaxMediaIDLen+1), problem: "a media id of 513 bytes"},
	}
	before := len(e.Requests(t))
	for _, c := range calls {
		for _, b := range bad {
			err := c.call(b.id)
			field, problem := c.field, b.problem
			if c.empty != "" && b.problem == "empty media id" {
				field, problem = c.empty, "has no "+c.field // a missing field of the article
			}
			var ve *material.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, material.ErrInvalidInput) || ve.Field != field || !strings.Contains(err.Error(), problem) {
				t.Errorf("%s(%s) = %v, want a %s ValidationError saying %q", c.name, b.name, err, field, problem)
			}
		}
	}
	if got := len(e.Requests(t)) - before; got != 0 {
		t.Errorf("%d requests sent for refused ids, want none", got)
	}

	// Padded ids are trimmed and work; an id of the longest length accepted
	// is sent (and unknown to the platform).
	ids := map[string]string{"officialaccount": oaMedia.ID, "work": wcMedia.ID}
	downloads := map[string]func(id string) (*material.Content, error){
		"officialaccount": func(id string) (*material.Content, error) { return e.OA.Download(ctx, id) },
		"work":            func(id string) (*material.Content, error) { return e.WeCom.Download(ctx, id) },
	}
	for name, download := range downloads {
		c, err := download(" " + ids[name] + "\n")
		if err != nil {
			t.Errorf("%s: Download of a padded id: %v", name, err)
			continue
		}
		if b, _ := io.ReadAll(c.Body); string(b) != string(pngBytes) {
			t.Errorf("%s: downloaded %d bytes, want the upload", name, len(b))
		}
		c.Close()
		if _, err := download(strings.Repeat("x", core.MaxMediaIDLen)); !errors.Is(err, material.ErrNotFound) {
			t.Errorf("%s: Download of an unknown id of %d bytes = %v, want the platform's ErrNotFound", name, core.MaxMediaIDLen, err)
		}
	}
	if got := len(e.Requests(t)) - before; got != 4 {
		t.Errorf("%d requests for the downloads, want 4", got)
	}
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// TestBadSizeRefusedAlike: a FromReader size below -1 is refused by both
// clients' uploads, naming the size, before anything is sent.
func TestBadSizeRefusedAlike(t *testing.T) {
	e := emutest.New(t)
	uploads := []struct {
		name string
		svc  material.Service
	}{
		{name: "officialaccount", svc: e.OA},
		{name: "work", svc: e.WeCom},
	}
	before := len(e.Requests(t))
	for _, u := range uploads {
		for _, r := range []io.Reader{strings.NewReader(string(pngBytes)), io.MultiReader(strings.NewReader(string(pngBytes)))} {
			_, err := u.svc.Upload(t.Context(), material.KindImage, material.FromReader("a.png", r, -2))
			if !errors.Is(err, material.ErrInvalidInput) || !strings.Contains(fmt.Sprint(err), "size -2") {
				t.Errorf("%s: Upload of FromReader(%T, size -2) = %v, want ErrInvalidInput naming the size", u.name, r, err)
			}
		}
	}
	if got := len(e.Requests(t)) - before; got != 0 {
		t.Errorf("%d requests sent, want none", got)
	}
}
