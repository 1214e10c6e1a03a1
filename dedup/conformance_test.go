package dedup_test

import (
	"testing"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// TestConformance runs the material conformance suite on the wrapper,
// over the Fake and over both clients on the emulator. The wrapper is a
// Service only: the suite skips the library and upload-by-URL subtests.
func TestConformance(t *testing.T) {
	for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
		t.Run("Fake/"+string(p), func(t *testing.T) {
			materialtest.Run(t, materialtest.Harness{Platform: p, New: func(t testing.TB) materialtest.Env {
				f := materialtest.NewFake(p)
				s, err := dedup.New(f, dedup.WithClock(f.Now))
				if err != nil {
					t.Fatal(err)
				}
				return materialtest.Env{Service: s, Advance: f.Advance}
			}})
		})
		t.Run("Emulator/"+string(p), func(t *testing.T) {
			materialtest.Run(t, materialtest.Harness{Platform: p, New: func(t testing.TB) materialtest.Env {
				e := emutest.New(t)
				var svc material.Service = e.OA
				if p == material.WeCom {
					svc = e.WeCom
				}
				s, err := dedup.New(svc, dedup.WithClock(e.Clock.Now))
				if err != nil {
					t.Fatal(err)
				}
				return materialtest.Env{Service: s, Advance: e.Clock.Advance}
			}})
		})
	}
}
