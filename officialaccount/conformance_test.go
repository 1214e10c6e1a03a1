package officialaccount_test

import (
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// TestConformance runs the material conformance suite on the client, with
// a fresh emulator per subtest.
func TestConformance(t *testing.T) {
	materialtest.Run(t, materialtest.Harness{
		Platform: material.OfficialAccount,
		New: func(t testing.TB) materialtest.Env {
			e := newEnv(t, setup{})
			return materialtest.Env{
				Service: e.c,
				Advance: e.clock.Advance,
				SeedNews: func(articles ...material.Article) (string, error) {
					seeded := make([]emulator.Article, len(articles))
					for i, a := range articles {
						seeded[i] = emulator.Article{Title: a.Title, ThumbMediaID: a.ThumbMediaID, ShowCoverPic: a.ShowCoverPic, Author: a.Author,
							Digest: a.Digest, Content: a.Content, URL: a.URL, ContentSourceURL: a.ContentSourceURL}
					}
					return e.emu.SeedNews(testAppID, seeded...)
				},
			}
		},
	})
}
