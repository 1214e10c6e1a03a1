package emulator

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// The demo accounts SeedDemo adds, for the command-line tool's quick start.
const (
	// DemoAppID and DemoAppSecret are the demo Official Account, whose
	// library SeedDemo fills.
	DemoAppID     = "wx0123456789abcdef"
	DemoAppSecret = "0123456789abcdef0123456789abcdef"
	// DemoAppID2 and DemoAppSecret2 are a second demo Official Account,
	// whose library SeedDemo leaves empty: a target to restore or copy the
	// first one's library into.
	DemoAppID2     = "wxfedcba9876543210"
	DemoAppSecret2 = "fedcba9876543210fedcba9876543210"
	// DemoCorpID, DemoAgentID and DemoAgentSecret are the demo WeCom
	// agent.
	DemoCorpID      = "ww0123456789abcdef"
	DemoAgentID     = int64(1000002)
	DemoAgentSecret = "demo-agent-secret-0123456789abcdefghijklmnop"
)

// SeedDemo adds the two demo Official Accounts and the demo WeCom agent
// and, when the first demo Official Account's library is empty, fills it
// with three images, a thumb, a voice (AMR, 2 s), a video (a minimal MP4)
// and two news items; the second one's library is left as it is (empty
// at first). It is safe to call on every start.
func (e *Emulator) SeedDemo() error {
	if err := e.AddOfficialAccount(DemoAppID, DemoAppSecret); err != nil {
		return err
	}
	if err := e.AddOfficialAccount(DemoAppID2, DemoAppSecret2); err != nil {
		return err
	}
	if err := e.AddWeComAgent(DemoCorpID, DemoAgentID, DemoAgentSecret); err != nil {
		return err
	}
	if e.LibraryCounts(DemoAppID) != (Counts{}) {
		return nil
	}
	type item struct {
		kind, name string
		data       []byte
	}
	items := []item{
		{"image", "sunrise.png", demoPNG(96, 64, color.RGBA{255, 140, 0, 255})},
		{"image", "sea.jpg", demoJPEG(96, 64, color.RGBA{0, 105, 148, 255})},
		{"image", "forest.png", demoPNG(64, 64, color.RGBA{34, 139, 34, 255})},
		{"voice", "hello.amr", demoAMR(100)},
	}
	for _, it := range items {
		if _, err := e.SeedPermanent(DemoAppID, it.kind, it.name, it.data); err != nil {
			return err
		}
	}
	thumb, err := e.SeedPermanent(DemoAppID, "thumb", "cover.jpg", demoJPEG(32, 32, color.RGBA{200, 30, 60, 255}))
	if err != nil {
		return err
	}
	if _, err := e.SeedVideo(DemoAppID, "clip.mp4", "A demo clip", "A minimal MP4 header, not a playable film", demoMP4()); err != nil {
		return err
	}
	news := [][]Article{
		{{Title: "Welcome to wxmaterial", ThumbMediaID: thumb, ShowCoverPic: 1, Author: "wxmaterial", Digest: "What the emulator holds",
			Content: "<p>This library was seeded by the emulator.</p>", ContentSourceURL: "https://example.com/welcome"}},
		{{Title: "Two articles, part 1", ThumbMediaID: thumb, Author: "wxmaterial", Digest: "The first of two",
			Content: "<p>Part one.</p>"},
			{Title: "Two articles, part 2", ThumbMediaID: thumb, Author: "wxmaterial", Digest: "The second of two",
				Content: "<p>Part two.</p>"}},
	}
	for _, arts := range news {
		if _, err := e.SeedNews(DemoAppID, arts...); err != nil {
			return err
		}
	}
	return nil
}

func demoImage(w, h int, c color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f := float64(x+y) / float64(w+h)
			img.SetRGBA(x, y, color.RGBA{uint8(float64(c.R) * (0.5 + f/2)), uint8(float64(c.G) * (0.5 + f/2)), uint8(float64(c.B) * (0.5 + f/2)), 255})
		}
	}
	return img
}

func demoPNG(w, h int, c color.RGBA) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, demoImage(w, h, c)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func demoJPEG(w, h int, c color.RGBA) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, demoImage(w, h, c), &jpeg.Options{Quality: 80}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// demoAMR returns an AMR-NB file of frames 12.2 kbit/s frames (20 ms each).
func demoAMR(frames int) []byte {
	b := []byte(amrNBMagic)
	for i := 0; i < frames; i++ {
		b = append(b, 7<<3|0x04)
		b = append(b, make([]byte, amrNBSizes[7])...)
	}
	return b
}

// demoMP4 returns an ftyp box followed by an empty mdat box: enough for the
// format to be recognised, not to be played.
func demoMP4() []byte {
	var b bytes.Buffer
	box := func(typ string, payload []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(8+len(payload)))
		b.WriteString(typ)
		b.Write(payload)
	}
	box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2avc1mp41"))
	box("free", nil)
	box("mdat", make([]byte, 64))
	return b.Bytes()
}
