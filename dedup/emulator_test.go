package dedup_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/work"
)

// The tests below run the wrapper over the clients, on the emulator.

// clientOf returns the client of platform p.
func clientOf(e *emutest.Env, p material.Platform) material.Service {
	if p == material.WeCom {
		return e.WeCom
	}
	return e.OA
}

// emuPlatform names p as the emulator does.
func emuPlatform(p material.Platform) emulator.Platform {
	if p == material.WeCom {
		return emulator.WeCom
	}
	return emulator.OfficialAccount
}

// download reads media id through s.
func download(t testing.TB, s material.Service, id string) []byte {
	t.Helper()
	c, err := s.Download(t.Context(), id)
	if err != nil {
		t.Fatalf("Download(%s): %v", id, err)
	}
	defer c.Close()
	data, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEmulatorUploadOnce(t *testing.T) {
	for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
		t.Run(string(p), func(t *testing.T) {
			e := emutest.New(t)
			s, err := dedup.New(clientOf(e, p), dedup.WithClock(e.Clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			name, img := materialtest.SampleBytes(material.KindImage)
			a := upload(t, s, material.KindImage, material.FromBytes(name, img))
			b := upload(t, s, material.KindImage, material.FromBytes(name, img))
			if a.ID != b.ID {
				t.Errorf("ids %q and %q, want one", a.ID, b.ID)
			}
			if got := download(t, s, b.ID); !bytes.Equal(got, img) {
				t.Errorf("the remembered id holds %d bytes, want %d", len(got), len(img))
			}
			if ups := e.Calls(t, emuPlatform(p), "/cgi-bin/media/upload"); len(ups) != 1 {
				t.Errorf("%d uploads reached the emulator, want 1", len(ups))
			}
			e.Clock.Advance(material.TemporaryLifetime - dedup.DefaultMargin)
			c := upload(t, s, material.KindImage, material.FromBytes(name, img))
			if c.ID == a.ID || len(e.Calls(t, emuPlatform(p), "/cgi-bin/media/upload")) != 2 {
				t.Errorf("an id with only the margin left was reused")
			}
		})
	}
}

func TestEmulatorRejectedIDIsForgotten(t *testing.T) {
	for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
		t.Run(string(p), func(t *testing.T) {
			e := emutest.New(t)
			client := clientOf(e, p)
			s, err := dedup.New(client, dedup.WithClock(e.Clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			src := materialtest.Sample(material.KindVoice)
			first := upload(t, s, material.KindVoice, src)
			lost := emulator.Fault{Platform: emuPlatform(p), Path: "/cgi-bin/media/get", Action: emulator.Errcode(40007, "")}

			// Use: the caller's own use of the id meets 40007.
			e.Emu.Inject(lost)
			var used []string
			m, err := s.Use(t.Context(), material.KindVoice, src, func(ctx context.Context, m material.Media) error {
				used = append(used, m.ID)
				c, err := client.Download(ctx, m.ID)
				if err == nil {
					c.Close()
				}
				return err
			})
			if err != nil {
				t.Fatalf("Use: %v", err)
			}
			if len(used) != 2 || used[0] != first.ID || m.ID == first.ID || used[1] != m.ID {
				t.Errorf("Use called with %v and returned %q; want %q, then a new id", used, m.ID, first.ID)
			}

			// Download through the wrapper meets 40007.
			e.Emu.Inject(lost)
			if _, err := s.Download(t.Context(), m.ID); err == nil {
				t.Fatal("Download through the fault succeeded")
			}
			third := upload(t, s, material.KindVoice, src)
			if third.ID == m.ID {
				t.Errorf("the id the platform rejected on Download was handed out again")
			}
			if ups := e.Calls(t, emuPlatform(p), "/cgi-bin/media/upload"); len(ups) != 3 {
				t.Errorf("%d uploads, want 3", len(ups))
			}
			if got := s.Stats(); got.Forgotten != 2 {
				t.Errorf("Stats = %+v, want 2 forgotten", got)
			}
		})
	}
}

func TestEmulatorFleetSharesAStore(t *testing.T) {
	e := emutest.New(t)
	// A second agent of the same corp: WeCom media ids are the corp's.
	const agent2, secret2 = int64(1000006), "emutest-agent-2-secret-0123456789abcdefgh"
	if err := e.Emu.AddWeComAgent(emutest.CorpID, agent2, secret2); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	other, err := work.New(emutest.CorpID, agent2, secret2, work.WithBaseURL(e.URL+"/work"), work.WithClock(e.Clock.Now),
		work.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	store := dedup.NewMemoryStore() // a Store on Redis, for a fleet
	var svcs []*dedup.Service
	for _, c := range []material.Service{e.WeCom, other} {
		s, err := dedup.New(c, dedup.WithStore(store), dedup.WithClock(e.Clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	name, data := materialtest.SampleBytes(material.KindFile)
	a := upload(t, svcs[0], material.KindFile, material.FromBytes(name, data))
	b := upload(t, svcs[1], material.KindFile, material.FromBytes(name, data))
	if a.ID != b.ID {
		t.Errorf("the two agents got %q and %q, want the corp's one id", a.ID, b.ID)
	}
	if got := download(t, svcs[1], b.ID); !bytes.Equal(got, data) {
		t.Errorf("the second agent downloads %d bytes, want %d", len(got), len(data))
	}
	if ups := e.Calls(t, emulator.WeCom, "/cgi-bin/media/upload"); len(ups) != 1 {
		t.Errorf("%d uploads, want 1 for the corp", len(ups))
	}
}
