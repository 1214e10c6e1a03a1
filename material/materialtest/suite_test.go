package materialtest

import (
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// fakeHarness runs the suite on a new Fake of platform p per subtest, as
// wrap presents it (nil: the Fake itself).
func fakeHarness(p material.Platform, wrap func(f *Fake) material.Service) Harness {
	return Harness{
		Platform: p,
		New: func(t testing.TB) Env {
			f := NewFake(p)
			var svc material.Service = f
			if wrap != nil {
				svc = wrap(f)
			}
			return Env{
				Service:  svc,
				Advance:  f.Advance,
				SeedNews: func(a ...material.Article) (string, error) { return f.SeedNews(a...), nil },
			}
		},
	}
}

func TestSuiteFake(t *testing.T) {
	tests := []struct {
		name     string
		platform material.Platform
		wrap     func(f *Fake) material.Service
	}{
		{name: "OfficialAccount", platform: material.OfficialAccount},
		{name: "WeCom", platform: material.WeCom},
		{name: "OfficialAccountView", platform: material.OfficialAccount, wrap: (*Fake).Service},
		{name: "WeComView", platform: material.WeCom, wrap: (*Fake).Service},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Run(t, fakeHarness(tt.platform, tt.wrap))
		})
	}
}
