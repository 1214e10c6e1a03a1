package dedup_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// hooked is a Service that runs before (with the Source it is given)
// ahead of each upload: after the wrapper hashed the Source and before the
// wrapped Service reads it.
type hooked struct {
	material.Service
	before func(src material.Source)
}

func (h hooked) Upload(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	h.before(src)
	return h.Service.Upload(ctx, kind, src)
}

func (h hooked) UploadImage(ctx context.Context, src material.Source) (string, error) {
	h.before(src)
	return h.Service.UploadImage(ctx, src)
}

// changedCopy returns data with its middle byte changed: the same size, the
// same format.
func changedCopy(data []byte) []byte {
	c := bytes.Clone(data)
	c[len(c)/2] ^= 0xff
	return c
}

// TestChangedBeforeUpload rewrites the file (or the slice) after the
// wrapper hashed it and before the client reads it to upload it, over the
// emulator: the upload's result is returned, nothing is remembered for the
// hash of the original bytes, and a later upload of those uploads them.
func TestChangedBeforeUpload(t *testing.T) {
	tests := []struct {
		name     string
		platform material.Platform
		kind     material.Kind
		file     bool // FromFile, else FromBytes
		image    bool // UploadImage, else Upload
		change   bool // rewrite the bytes in the hook
		partial  bool // the hook also reads half of the Source (a pass that stops early)
		remember bool // the first upload is remembered
	}{
		{name: "file rewritten", platform: material.OfficialAccount, kind: material.KindImage, file: true, change: true},
		{name: "slice changed in place", platform: material.WeCom, kind: material.KindFile, change: true},
		{name: "file rewritten on WeCom", platform: material.WeCom, kind: material.KindFile, file: true, change: true},
		{name: "rich-text image file rewritten", platform: material.OfficialAccount, kind: material.KindImage, file: true, image: true, change: true},
		{name: "rich-text image slice changed", platform: material.WeCom, kind: material.KindImage, image: true, change: true},
		{name: "unchanged, with a partial read first", platform: material.OfficialAccount, kind: material.KindImage, file: true, partial: true, remember: true},
		{name: "changed after a partial read", platform: material.WeCom, kind: material.KindFile, partial: true, change: true},
		{name: "unchanged", platform: material.WeCom, kind: material.KindFile, remember: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := emutest.New(t)
			client := clientOf(e, tt.platform)
			name, orig := materialtest.SampleBytes(tt.kind)
			data := bytes.Clone(orig) // the slice of FromBytes
			changed := changedCopy(orig)
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			first := true
			before := func(src material.Source) {
				if !first {
					return
				}
				first = false
				if tt.partial {
					rc, err := src.Open()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := io.CopyN(io.Discard, rc, src.Size()/2); err != nil {
						t.Fatal(err)
					}
					rc.Close()
				}
				if tt.change {
					copy(data, changed)
					if err := os.WriteFile(path, changed, 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			var logs fleettest.LogBuffer
			s, err := dedup.New(hooked{client, before}, dedup.WithAccount(tt.platform, client.(material.Identifier).Account()),
				dedup.WithClock(e.Clock.Now), dedup.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			source := func() material.Source {
				if !tt.file {
					return material.FromBytes(name, data)
				}
				src, err := material.FromFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return src
			}
			send := func() string {
				t.Helper()
				if tt.image {
					link, err := s.UploadImage(t.Context(), source())
					if err != nil {
						t.Fatalf("UploadImage: %v", err)
					}
					return link
				}
				return upload(t, s, tt.kind, source()).ID
			}

			a := send()
			sent := orig
			if tt.change {
				sent = changed
			}
			if !tt.image {
				if got := download(t, client, a); !bytes.Equal(got, sent) {
					t.Errorf("the first upload's id holds other bytes than those sent")
				}
			}
			// The original bytes again: uploaded anew unless remembered.
			copy(data, orig)
			if err := os.WriteFile(path, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			b := send()
			if (a == b) != tt.remember {
				t.Errorf("the second upload of the original bytes answered %q after %q; want the same id: %t", b, a, tt.remember)
			}
			if !tt.image {
				if got := download(t, client, b); !bytes.Equal(got, orig) {
					t.Errorf("the original bytes' upload answered an id holding other bytes")
				}
			}
			want := dedup.Stats{Uploads: 2}
			if tt.remember {
				want = dedup.Stats{Uploads: 1, Reused: 1}
			}
			if diff := cmp.Diff(want, s.Stats()); diff != "" {
				t.Errorf("Stats (-want +got):\n%s", diff)
			}
			warned := strings.Contains(logs.String(), "level=WARN")
			if warned != tt.change {
				t.Errorf("warned: %t, want %t; log:\n%s", warned, tt.change, logs.String())
			}
			if tt.change && !strings.Contains(logs.String(), "name="+name) {
				t.Errorf("the warning does not name the file %q:\n%s", name, logs.String())
			}
		})
	}
}

// TestChangedNotShared: an upload waiting for another of the same hash
// does not take the id of that upload when its bytes changed before they
// were sent; it uploads its own.
func TestChangedNotShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := materialtest.NewFake(material.OfficialAccount, materialtest.WithClock(func() time.Time { return start }))
		name, orig := materialtest.SampleBytes(material.KindImage)
		leader := bytes.Clone(orig)
		release := make(chan struct{})
		var calls int
		before := func(material.Source) {
			calls++
			if calls == 1 {
				<-release
				copy(leader, changedCopy(orig))
			}
		}
		s, err := dedup.New(hooked{f, before}, dedup.WithAccount(material.OfficialAccount, f.Account()), dedup.WithClock(f.Now))
		if err != nil {
			t.Fatal(err)
		}
		var led, waited material.Media
		var wg sync.WaitGroup
		wg.Go(func() { led = upload(t, s, material.KindImage, material.FromBytes(name, leader)) })
		synctest.Wait() // the leader is at the platform
		wg.Go(func() { waited = upload(t, s, material.KindImage, material.FromBytes(name, bytes.Clone(orig))) })
		synctest.Wait() // the other waits for it
		close(release)
		wg.Wait()
		if got, _ := f.Bytes(led.ID); !bytes.Equal(got, changedCopy(orig)) {
			t.Errorf("the leader's id does not hold the bytes it sent")
		}
		if got, _ := f.Bytes(waited.ID); !bytes.Equal(got, orig) || waited.ID == led.ID {
			t.Errorf("the waiting upload answered %q (the leader's: %q), holding other bytes than its own", waited.ID, led.ID)
		}
		if diff := cmp.Diff(dedup.Stats{Uploads: 2}, s.Stats()); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
		// The original bytes are remembered from the second upload.
		again := upload(t, s, material.KindImage, material.FromBytes(name, bytes.Clone(orig)))
		if again.ID != waited.ID {
			t.Errorf("a third upload of the original bytes answered %q, want the remembered %q", again.ID, waited.ID)
		}
	})
}
