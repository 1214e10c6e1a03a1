package exampleapp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/material/materialtest/internal/exampleapp"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/work"
)

// backends are the material.Service implementations the app is tested on.
// Only the constructor differs: the Fake, or a client pointed at the
// emulator.
var backends = []struct {
	name     string
	platform material.Platform
	new      func(t *testing.T) material.Service
}{
	{name: "Fake/OfficialAccount", platform: material.OfficialAccount, new: func(*testing.T) material.Service { return materialtest.NewFake(material.OfficialAccount) }},
	{name: "Fake/WeCom", platform: material.WeCom, new: func(*testing.T) material.Service { return materialtest.NewFake(material.WeCom) }},
	{name: "Client/OfficialAccount", platform: material.OfficialAccount, new: newOfficialAccount},
	{name: "Client/WeCom", platform: material.WeCom, new: newWorkClient},
}

// newOfficialAccount returns an officialaccount.Client on a fresh emulator.
func newOfficialAccount(t *testing.T) material.Service {
	t.Helper()
	emu := emulator.New()
	if err := emu.AddOfficialAccount(emulator.DemoAppID, emulator.DemoAppSecret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	c, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret, officialaccount.WithBaseURL(srv.URL+emulator.OfficialAccountPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newWorkClient returns a work.Client for one WeCom agent on a fresh
// emulator.
func newWorkClient(t *testing.T) material.Service {
	t.Helper()
	emu := emulator.New()
	const corpID, agentID, secret = "wwexampleapp", 1000002, "exampleapp-agent-secret"
	if err := emu.AddWeComAgent(corpID, agentID, secret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	c, err := work.New(corpID, agentID, secret, work.WithBaseURL(srv.URL+emulator.WeComPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestArchive(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			files := []material.Source{
				materialtest.Sample(material.KindImage),
				materialtest.Sample(material.KindVoice),
				materialtest.Sample(material.KindVideo),
			}
			if b.platform == material.WeCom {
				files = append(files, material.FromBytes("notes.txt", []byte("minutes of the meeting")))
			}
			receipts, err := exampleapp.Archive(t.Context(), b.new(t), files...)
			if err != nil {
				t.Fatalf("Archive: %v", err)
			}
			type summary struct {
				Name    string
				Kind    material.Kind
				HasLink bool
			}
			var got, want []summary
			for i, r := range receipts {
				got = append(got, summary{Name: r.Name, Kind: r.Kind, HasLink: r.Link != ""})
				if r.MediaID == "" || r.Size != files[i].Size() || len(r.SHA256) != 64 || r.ExpiresAt.IsZero() {
					t.Errorf("receipt %d = %+v: want an id, the size %d, a SHA-256 and an expiry", i, r, files[i].Size())
				}
			}
			want = []summary{
				{Name: "sample.png", Kind: material.KindImage},
				{Name: "sample.amr", Kind: material.KindVoice},
				// The Official Account answers a video with a link: nothing to compare.
				{Name: "sample.mp4", Kind: material.KindVideo, HasLink: b.platform == material.OfficialAccount},
			}
			if b.platform == material.WeCom {
				want = append(want, summary{Name: "notes.txt", Kind: material.KindFile})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("receipts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArchiveFailures(t *testing.T) {
	tests := []struct {
		name         string
		platform     material.Platform
		setup        func(f *materialtest.Fake) material.Service
		files        []material.Source
		want         error
		wantReceipts int
	}{
		{
			name: "the platform has no files", platform: material.OfficialAccount,
			files: []material.Source{materialtest.Sample(material.KindImage), material.FromBytes("a.txt", []byte("text"))},
			want:  material.ErrUnsupported, wantReceipts: 1,
		},
		{
			name: "quota on the second upload", platform: material.WeCom,
			setup: func(f *materialtest.Fake) material.Service {
				f.Prepend("Upload", func(c materialtest.Call) error {
					if c.Name == "sample.amr" {
						return &material.APIError{Platform: material.WeCom, Code: 45009}
					}
					return nil
				})
				return f
			},
			files: []material.Source{materialtest.Sample(material.KindImage), materialtest.Sample(material.KindVoice)},
			want:  material.ErrQuota, wantReceipts: 1,
		},
		{
			name: "the download differs", platform: material.WeCom,
			setup: func(f *materialtest.Fake) material.Service { return corrupting{f} },
			files: []material.Source{materialtest.Sample(material.KindImage)},
			want:  exampleapp.ErrMismatch,
		},
		{
			name: "the media expired before the check", platform: material.OfficialAccount,
			setup: func(f *materialtest.Fake) material.Service {
				f.Prepend("Download", func(materialtest.Call) error { f.Advance(material.TemporaryLifetime); return nil })
				return f
			},
			files: []material.Source{materialtest.Sample(material.KindImage)},
			want:  material.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := materialtest.NewFake(tt.platform)
			var svc material.Service = f
			if tt.setup != nil {
				svc = tt.setup(f)
			}
			receipts, err := exampleapp.Archive(t.Context(), svc, tt.files...)
			if !errors.Is(err, tt.want) {
				t.Errorf("Archive: err = %v, want %v", err, tt.want)
			}
			if len(receipts) != tt.wantReceipts {
				t.Errorf("Archive returned %d receipts, want %d", len(receipts), tt.wantReceipts)
			}
		})
	}
}

// corrupting serves every download with its first byte changed.
type corrupting struct{ *materialtest.Fake }

func (c corrupting) Download(ctx context.Context, id string) (*material.Content, error) {
	content, err := c.Fake.Download(ctx, id)
	if err != nil {
		return nil, err
	}
	data, _ := c.Fake.Bytes(id)
	data[0] ^= 0xFF
	content.Body = io.NopCloser(bytes.NewReader(data))
	return content, nil
}
