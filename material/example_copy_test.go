package material_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/work"
)

// Copy moves an image of an Official Account's permanent library to a WeCom
// agent's temporary media, here on the emulator's demo accounts.
func ExampleCopy() {
	ctx := context.Background()
	emu := emulator.New()
	defer emu.Close()
	if err := emu.SeedDemo(); err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	oa, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret, officialaccount.WithBaseURL(srv.URL+"/oa"))
	if err != nil {
		fmt.Println(err)
		return
	}
	wc, err := work.New(emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret, work.WithBaseURL(srv.URL+"/work"))
	if err != nil {
		fmt.Println(err)
		return
	}

	for item, err := range oa.List(ctx, material.KindImage) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if item.Name != "sunrise.png" {
			continue
		}
		m, err := material.Copy(ctx, wc, oa, item.MediaID, material.KindImage, material.FromLibrary())
		if err != nil {
			fmt.Println(err)
			return
		}
		c, err := wc.Download(ctx, m.ID)
		if err != nil {
			fmt.Println(err)
			return
		}
		copied, _ := io.ReadAll(c)
		c.Close()
		a, err := oa.Get(ctx, item.MediaID)
		if err != nil {
			fmt.Println(err)
			return
		}
		original, _ := io.ReadAll(a.Content)
		a.Close()
		fmt.Printf("WeCom %s %s: %d bytes, the library's: %v, expires %s after upload\n",
			m.Kind, c.Name, len(copied), bytes.Equal(copied, original), m.ExpiresAt.Sub(m.CreatedAt))
	}
	// Output:
	// WeCom image sunrise.png: 425 bytes, the library's: true, expires 72h0m0s after upload
}

// Moving an item between two Official Accounts is the same call, from one
// library to the other; a video keeps its title and introduction.
func ExampleCopy_betweenAccounts() {
	ctx := context.Background()
	from := materialtest.NewFake(material.OfficialAccount, materialtest.WithAccount("wx-from"))
	to := materialtest.NewFake(material.OfficialAccount, materialtest.WithAccount("wx-to"))
	video, err := from.AddVideo(ctx, materialtest.Sample(material.KindVideo), material.VideoDescription{Title: "Launch", Introduction: "The launch film"})
	if err != nil {
		fmt.Println(err)
		return
	}

	m, err := material.Copy(ctx, to, from, video.ID, material.KindVideo, material.FromLibrary(), material.ToLibrary())
	if err != nil {
		fmt.Println(err)
		return
	}

	a, err := to.Get(ctx, m.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	original, _ := from.Bytes(video.ID)
	copied, _ := to.Bytes(m.ID)
	fmt.Printf("%s %q (%s), same bytes: %v\n", m.Kind, a.Video.Title, a.Video.Description, bytes.Equal(original, copied))

	// News cannot be copied: add_news is offline. Nothing is requested.
	_, err = material.Copy(ctx, to, from, "some-news-id", material.KindNews, material.FromLibrary(), material.ToLibrary())
	fmt.Println(err)
	// Output:
	// video "Launch" (The launch film), same bytes: true
	// material: copy news "some-news-id": Official Account permanent news: news cannot be copied: the Official Account's add_news API is offline since 2022-02-28
}
