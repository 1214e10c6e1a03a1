package exampleapp_test

import (
	"context"
	"fmt"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/material/materialtest/internal/exampleapp"
)

// The app runs on the Fake as on a client: only the constructor differs
// (officialaccount.New(...) or work.New(...) against the emulator).
func ExampleArchive() {
	svc := materialtest.NewFake(material.WeCom)

	receipts, err := exampleapp.Archive(context.Background(), svc,
		materialtest.Sample(material.KindVoice),
		material.FromBytes("minutes.txt", []byte("minutes of the meeting")),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range receipts {
		fmt.Println(r.Name, r.Kind, r.MediaID, r.Size, r.SHA256[:12])
	}
	// Output:
	// sample.amr voice fake-voice-1 266 b10e2a523a36
	// minutes.txt file fake-file-2 22 af1175d2808c
}
