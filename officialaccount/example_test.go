package officialaccount_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// exampleClient starts an emulator with the demo account and a client on
// it; the caller closes the server.
func exampleClient() (*officialaccount.Client, *emulator.Emulator, *httptest.Server) {
	emu := emulator.New()
	emu.AddOfficialAccount(emulator.DemoAppID, emulator.DemoAppSecret)
	srv := httptest.NewServer(emu)
	c, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret,
		officialaccount.WithStableToken(),
		officialaccount.WithBaseURL(srv.URL+"/oa"))
	if err != nil {
		panic(err)
	}
	return c, emu, srv
}

func Example() {
	c, _, srv := exampleClient()
	defer srv.Close()
	ctx := context.Background()

	m, err := c.Upload(ctx, material.KindImage, materialtest.Sample(material.KindImage))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Kind, m.ExpiresAt.Sub(m.CreatedAt))

	content, err := c.Download(ctx, m.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer content.Close()
	n, _ := io.Copy(io.Discard, content)
	fmt.Println(content.ContentType, n, "bytes")
	// Output:
	// image 72h0m0s
	// image/png 93 bytes
}

// A temporary video comes back as a link, not as bytes.
func ExampleClient_Download_video() {
	c, _, srv := exampleClient()
	defer srv.Close()
	ctx := context.Background()

	m, err := c.Upload(ctx, material.KindVideo, materialtest.Sample(material.KindVideo))
	if err != nil {
		fmt.Println(err)
		return
	}
	content, err := c.Download(ctx, m.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	content.Close()
	fmt.Println("link:", content.URL != "", "size:", content.Size)

	video, err := c.DownloadURL(ctx, content.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer video.Close()
	n, _ := io.Copy(io.Discard, video)
	fmt.Println("video bytes:", n == materialtest.Sample(material.KindVideo).Size())
	// Output:
	// link: true size: 0
	// video bytes: true
}

// Get tells a file, a video and a news item apart without being told.
func ExampleClient_Get() {
	c, _, srv := exampleClient()
	defer srv.Close()
	ctx := context.Background()

	img, err := c.Add(ctx, material.KindImage, materialtest.Sample(material.KindImage))
	if err != nil {
		fmt.Println(err)
		return
	}
	vid, err := c.AddVideo(ctx, materialtest.Sample(material.KindVideo), material.VideoDescription{Title: "Launch", Introduction: "Our launch day"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{img.ID, vid.ID} {
		a, err := c.Get(ctx, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch {
		case a.Content != nil:
			fmt.Println("file:", a.Content.Name, a.Content.ContentType)
		case a.Video != nil:
			fmt.Println("video:", a.Video.Title, "/", a.Video.Description)
		case a.News != nil:
			fmt.Println("news:", len(a.News), "articles")
		}
		a.Close()
	}
	// Output:
	// file: sample.png image/png
	// video: Launch / Our launch day
}

// List pages through the whole library, 20 items a call.
func ExampleClient_List() {
	c, emu, srv := exampleClient()
	defer srv.Close()
	ctx := context.Background()
	for i := range 45 {
		emu.SeedPermanent(emulator.DemoAppID, "image", fmt.Sprintf("photo-%02d.png", i), []byte("\x89PNG\r\n\x1a\n"))
	}

	n := 0
	for item, err := range c.List(ctx, material.KindImage) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if n == 0 {
			fmt.Println("newest:", item.Name)
		}
		n++
	}
	fmt.Println(n, "images")
	// Output:
	// newest: photo-44.png
	// 45 images
}

// An Add whose answer was lost is not resent; FindAdded settles it.
func ExampleOutcomeUnknownError() {
	c, emu, srv := exampleClient()
	defer srv.Close()
	ctx := context.Background()
	emu.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: emulator.DropResponse(0)})

	_, err := c.Add(ctx, material.KindImage, materialtest.Sample(material.KindImage))
	var unknown *officialaccount.OutcomeUnknownError
	if errors.As(err, &unknown) {
		found, err := c.FindAdded(ctx, unknown)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("outcome unknown; found in the library:", len(found))
	}
	// Output:
	// outcome unknown; found in the library: 1
}
