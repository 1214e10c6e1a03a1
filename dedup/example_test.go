package dedup_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// The wrapper uploads a welcome image once and hands its media id out
// again, here on the emulator's demo Official Account.
func Example() {
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

	svc, err := dedup.New(oa) // keyed by the client's app id
	if err != nil {
		fmt.Println(err)
		return
	}
	welcome := materialtest.Sample(material.KindImage) // material.FromFile("welcome.png") in an app
	first, err := svc.Upload(ctx, material.KindImage, welcome)
	if err != nil {
		fmt.Println(err)
		return
	}
	again, err := svc.Upload(ctx, material.KindImage, welcome)
	if err != nil {
		fmt.Println(err)
		return
	}

	if err := emu.Settle(ctx); err != nil { // every answered request is in the log
		fmt.Println(err)
		return
	}
	uploads := 0
	for _, r := range emu.Requests() {
		if r.Path == "/cgi-bin/media/upload" {
			uploads++
		}
	}
	fmt.Println("same id:", first.ID == again.ID)
	fmt.Println("uploads the platform saw:", uploads)
	fmt.Printf("%+v\n", svc.Stats())
	// Output:
	// same id: true
	// uploads the platform saw: 1
	// {Uploads:1 Reused:1 Passed:0 Forgotten:0}
}

// Use hands the media to the code that sends it; when the platform has
// lost a remembered id (errcode 40007), the id is forgotten, the file
// uploaded again and the code called once more.
func ExampleService_Use() {
	ctx := context.Background()
	wc := materialtest.NewFake(material.WeCom, materialtest.WithAccount("ww0123456789abcdef"))
	svc, err := dedup.New(wc)
	if err != nil {
		fmt.Println(err)
		return
	}
	prices := material.FromBytes("prices.pdf", []byte("%PDF-1.4 the price list"))
	first, err := svc.Upload(ctx, material.KindFile, prices)
	if err != nil {
		fmt.Println(err)
		return
	}

	send := func(ctx context.Context, m material.Media) error { // an app's own message sending
		if m.ID == first.ID {
			return &material.APIError{Platform: material.WeCom, Op: "cgi-bin/message/send", Code: 40007, Message: "invalid media_id"}
		}
		fmt.Println("sent", m.ID)
		return nil
	}
	m, err := svc.Use(ctx, material.KindFile, prices, send)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("new id:", m.ID != first.ID, "forgotten:", svc.Stats().Forgotten)

	// Another error is returned as it is, and nothing is forgotten.
	_, err = svc.Use(ctx, material.KindFile, prices, func(context.Context, material.Media) error { return errors.New("no such user") })
	fmt.Println(err)
	// Output:
	// sent fake-file-2
	// new id: true forgotten: 1
	// no such user
}
