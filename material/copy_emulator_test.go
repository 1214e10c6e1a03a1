package material_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// The tests below copy between the clients over real HTTP, on the
// emulator.

// readContent reads and closes c.
func readContent(t testing.TB, c *material.Content) []byte {
	t.Helper()
	defer c.Close()
	data, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fetchOA downloads temporary media of the Official Account, following a
// video's link.
func fetchOA(t testing.TB, c *officialaccount.Client, id string) []byte {
	t.Helper()
	content, err := c.Download(t.Context(), id)
	if err != nil {
		t.Fatalf("Download(%s): %v", id, err)
	}
	if content.URL != "" {
		content.Close()
		if content, err = c.DownloadURL(t.Context(), content.URL); err != nil {
			t.Fatalf("DownloadURL: %v", err)
		}
	}
	return readContent(t, content)
}

// checkUploads checks the logged uploads of the endpoint path on platform
// p: each streamed with a Content-Length, never chunked, and the last one
// carrying data.
func checkUploads(t *testing.T, e *emutest.Env, p emulator.Platform, path string, data []byte) {
	t.Helper()
	ups := e.Calls(t, p, path)
	if len(ups) == 0 {
		t.Fatalf("no %s %s request was logged", p, path)
	}
	last := ups[len(ups)-1]
	if last.ContentLength <= 0 || len(last.TransferEncoding) != 0 {
		t.Errorf("upload sent with Content-Length %d and Transfer-Encoding %v, want an exact length and no chunking", last.ContentLength, last.TransferEncoding)
	}
	sum := sha256.Sum256(data)
	for _, part := range last.Parts {
		if part.FormName == "media" && (part.Size != int64(len(data)) || part.SHA256 != hex.EncodeToString(sum[:])) {
			t.Errorf("the media part holds %d bytes (sha %s), want the %d of the source", part.Size, part.SHA256, len(data))
		}
	}
}

func TestCopyEmulatorOfficialAccountToWeCom(t *testing.T) {
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindVideo, material.KindThumb} {
		t.Run(string(k), func(t *testing.T) {
			e := emutest.New(t)
			name, data := materialtest.SampleBytes(k)
			up, err := e.OA.Upload(t.Context(), k, material.FromBytes(name, data))
			if err != nil {
				t.Fatal(err)
			}
			m, err := material.Copy(t.Context(), e.WeCom, e.OA, up.ID, k)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if want, _ := material.CopyKind(k, material.WeCom, material.APITemporary); m.Kind != want {
				t.Errorf("the copy is a %s, want a %s", m.Kind, want)
			}
			c, err := e.WeCom.Download(t.Context(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := readContent(t, c); !bytes.Equal(got, data) {
				t.Errorf("WeCom holds %d bytes, want the %d uploaded to the Official Account", len(got), len(data))
			}
			checkUploads(t, e, emulator.WeCom, "/cgi-bin/media/upload", data)
			if k == material.KindVideo && len(e.Calls(t, emulator.OfficialAccount, "/cgi-bin/media/get")) != 1 {
				t.Errorf("want one media/get answered with a link")
			}
		})
	}
}

func TestCopyEmulatorWeComToOfficialAccount(t *testing.T) {
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindVideo} {
		t.Run(string(k), func(t *testing.T) {
			e := emutest.New(t)
			name, data := materialtest.SampleBytes(k)
			up, err := e.WeCom.Upload(t.Context(), k, material.FromBytes(name, data))
			if err != nil {
				t.Fatal(err)
			}
			m, err := material.Copy(t.Context(), e.OA, e.WeCom, up.ID, k)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if got := fetchOA(t, e.OA, m.ID); !bytes.Equal(got, data) {
				t.Errorf("the Official Account holds %d bytes, want the %d uploaded to WeCom", len(got), len(data))
			}
			checkUploads(t, e, emulator.OfficialAccount, "/cgi-bin/media/upload", data)
		})
	}
}

func TestCopyEmulatorLibraryToAnotherAccount(t *testing.T) {
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindThumb, material.KindVideo} {
		t.Run(string(k), func(t *testing.T) {
			e := emutest.New(t)
			name, data := materialtest.SampleBytes(k)
			desc := material.VideoDescription{Title: "标题 " + name, Introduction: "intro"}
			var added material.Media
			var err error
			if k == material.KindVideo {
				added, err = e.OA.AddVideo(t.Context(), material.FromBytes(name, data), desc)
			} else {
				added, err = e.OA.Add(t.Context(), k, material.FromBytes(name, data))
			}
			if err != nil {
				t.Fatal(err)
			}
			m, err := material.Copy(t.Context(), e.OA2, e.OA, added.ID, k, material.FromLibrary(), material.ToLibrary())
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			info, ok := e.Emu.Media(m.ID)
			if !ok || info.Owner != emutest.AppID2 || info.Family != "permanent" || info.Kind != string(k) {
				t.Fatalf("the copy is %+v, want a permanent %s of %s", info, k, emutest.AppID2)
			}
			// A video's link carries no file name: the copy is named after
			// the title.
			if wantName := map[bool]string{false: name, true: desc.Title}[k == material.KindVideo]; info.Name != wantName {
				t.Errorf("the copy is named %q, want %q", info.Name, wantName)
			}
			a, err := e.OA2.Get(t.Context(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			if k == material.KindVideo {
				if a.Video.Title != desc.Title || a.Video.Description != desc.Introduction {
					t.Errorf("the copy's description is %q/%q, want %+v", a.Video.Title, a.Video.Description, desc)
				}
				c, err := e.OA2.DownloadURL(t.Context(), a.Video.DownURL)
				if err != nil {
					t.Fatal(err)
				}
				got = readContent(t, c)
			} else {
				got = readContent(t, a.Content)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("the copy holds %d bytes, want %d", len(got), len(data))
			}
			checkUploads(t, e, emulator.OfficialAccount, "/cgi-bin/material/add_material", data)
		})
	}
}

func TestCopyEmulatorUnknownSize(t *testing.T) {
	e := emutest.New(t)
	name, data := materialtest.SampleBytes(material.KindImage)
	up, err := e.WeCom.Upload(t.Context(), material.KindImage, material.FromBytes(name, data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := material.Copy(t.Context(), e.OA, unsized{e.WeCom}, up.ID, material.KindImage)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got := fetchOA(t, e.OA, m.ID); !bytes.Equal(got, data) {
		t.Errorf("the copy holds %d bytes, want %d", len(got), len(data))
	}
	checkUploads(t, e, emulator.OfficialAccount, "/cgi-bin/media/upload", data)
}

func TestCopyEmulatorRefusals(t *testing.T) {
	t.Run("a kind the target lacks, before any download", func(t *testing.T) {
		e := emutest.New(t)
		up, err := e.WeCom.Upload(t.Context(), material.KindFile, material.FromBytes("prices.pdf", []byte("%PDF-1.4 prices")))
		if err != nil {
			t.Fatal(err)
		}
		_, err = material.Copy(t.Context(), e.OA, e.WeCom, up.ID, material.KindFile)
		if !errors.Is(err, material.ErrUnsupported) {
			t.Errorf("Copy(file to the Official Account) = %v, want ErrUnsupported", err)
		}
		if gets := e.Calls(t, emulator.WeCom, "/cgi-bin/media/get"); len(gets) != 0 {
			t.Errorf("%d downloads were made, want none", len(gets))
		}
	})
	t.Run("over the target's limit, before the body", func(t *testing.T) {
		e := emutest.New(t)
		_, mp4 := materialtest.SampleBytes(material.KindVideo)
		big := make([]byte, 10<<20+1) // WeCom upload-by-URL videos reach 200 MB; the Official Account takes 10 MB
		copy(big, mp4)
		id, err := e.Emu.SeedTemporary(emulator.WeCom, emutest.CorpID, "video", "big.mp4", big)
		if err != nil {
			t.Fatal(err)
		}
		_, err = material.Copy(t.Context(), e.OA, e.WeCom, id, material.KindVideo)
		if !errors.Is(err, material.ErrTooLarge) {
			t.Errorf("Copy(10 MB + 1 video to the Official Account) = %v, want ErrTooLarge", err)
		}
		if ups := e.Calls(t, emulator.OfficialAccount, "/cgi-bin/media/upload"); len(ups) != 0 {
			t.Errorf("%d uploads were made, want none", len(ups))
		}
	})
	t.Run("a format the target refuses, before the upload", func(t *testing.T) {
		e := emutest.New(t)
		gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
		up, err := e.OA.Upload(t.Context(), material.KindImage, material.FromBytes("a.gif", gif))
		if err != nil {
			t.Fatal(err)
		}
		_, err = material.Copy(t.Context(), e.WeCom, e.OA, up.ID, material.KindImage)
		if !errors.Is(err, material.ErrInvalidFormat) {
			t.Errorf("Copy(GIF to WeCom) = %v, want ErrInvalidFormat", err)
		}
		if ups := e.Calls(t, emulator.WeCom, "/cgi-bin/media/upload"); len(ups) != 0 {
			t.Errorf("%d uploads were made, want none", len(ups))
		}
	})
	t.Run("a straight-through copy is not resent, a spooled one is", func(t *testing.T) {
		e := emutest.New(t)
		name, data := materialtest.SampleBytes(material.KindImage)
		up, err := e.WeCom.Upload(t.Context(), material.KindImage, material.FromBytes(name, data))
		if err != nil {
			t.Fatal(err)
		}
		revoke := emulator.Fault{Platform: emulator.OfficialAccount, Path: "/cgi-bin/media/upload", Action: emulator.Revoke()}
		e.Emu.Inject(revoke)
		_, err = material.Copy(t.Context(), e.OA, e.WeCom, up.ID, material.KindImage)
		if !errors.Is(err, material.ErrNotReplayable) || !errors.Is(err, material.ErrUnauthorized) {
			t.Errorf("Copy through a revoked token = %v, want ErrNotReplayable and ErrUnauthorized", err)
		}
		e.Emu.Inject(revoke)
		m, err := material.Copy(t.Context(), e.OA, unsized{e.WeCom}, up.ID, material.KindImage)
		if err != nil {
			t.Fatalf("Copy of a spooled file through a revoked token: %v", err)
		}
		if got := fetchOA(t, e.OA, m.ID); !bytes.Equal(got, data) {
			t.Errorf("the copy holds %d bytes, want %d", len(got), len(data))
		}
		if ups := e.Calls(t, emulator.OfficialAccount, "/cgi-bin/media/upload"); len(ups) != 3 {
			t.Errorf("%d uploads were logged, want 3: refused, refused and replayed", len(ups))
		}
	})
}
