package work_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// TestFileNames: a WeCom file goes up under any base name, with or without
// an extension (README), and the emulator keeps that name; a name that is
// empty, "." or ".." once its folders are dropped names no file and is
// refused before anything is sent (docs/limits.md, "File names").
func TestFileNames(t *testing.T) {
	doc := []byte("the price list, without an extension")
	for _, name := range []string{"README", "Makefile", "notes.", "...", "..txt", "季度报告"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			m, err := e.c.Upload(t.Context(), material.KindFile, material.FromBytes("docs/"+name, doc))
			if err != nil {
				t.Fatalf("upload of a file named %q: %v", name, err)
			}
			if info, ok := e.emu.Media(m.ID); !ok || info.Name != name {
				t.Errorf("the emulator holds %+v, want the name %q", info, name)
			}
		})
	}
	for _, name := range []string{".", "..", "docs/..", `c:\docs\.`, "docs/", ""} {
		t.Run("refused "+name, func(t *testing.T) {
			e := newEnv(t, nil)
			for _, up := range []struct {
				api  string
				call func() error
			}{
				{"upload", func() error {
					_, err := e.c.Upload(t.Context(), material.KindFile, material.FromBytes(name, doc))
					return err
				}},
				{"attachment", func() error {
					_, err := e.c.UploadAttachment(t.Context(), material.KindFile, work.AttachmentProductAlbum, material.FromBytes(name, doc))
					return err
				}},
				{"upload by URL", func() error {
					_, err := e.c.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: name, URL: "https://example.com/a", MD5: strings.Repeat("a", 32)})
					return err
				}},
			} {
				err := up.call()
				var ve *material.ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, material.ErrInvalidInput) || !strings.Contains(err.Error(), "file name") {
					t.Errorf("%s of a file named %q: err = %v; want a *material.ValidationError naming the file name, matching ErrInvalidInput", up.api, name, err)
				}
			}
			if reqs := e.log(); len(reqs) != 0 {
				t.Errorf("%d requests were sent, the first %s %s; want none", len(reqs), reqs[0].Method, reqs[0].Path)
			}
		})
	}
}
