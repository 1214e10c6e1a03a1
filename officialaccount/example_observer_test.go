package officialaccount_test

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
)

// Call an endpoint the client does not wrap: the request gets the client's
// token, retries and observer, and an errcode comes back typed. The
// platform took material/add_news offline in 2022 (the draft API replaced
// it), and the emulator answers 45106 as the platform does.
func ExampleClient_Do() {
	c, _, srv := exampleClient()
	defer srv.Close()

	article := map[string]any{"articles": []map[string]string{{"title": "Hello", "content": "<p>Hi</p>", "thumb_media_id": "THUMB"}}}
	var reply struct {
		MediaID string `json:"media_id"`
	}
	err := c.Do(context.Background(), &transport.Request{
		Op:     "add news",
		Method: http.MethodPost,
		Path:   "/cgi-bin/material/add_news",
		JSON:   article,
		Write:  true,
	}, &reply)

	var apiErr *material.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Op, "errcode", apiErr.Code, "unsupported:", errors.Is(err, material.ErrUnsupported))
		fmt.Println(apiErr.Message)
	}
	// Output:
	// cgi-bin/material/add_news errcode 45106 unsupported: true
	// This API has been unsupported, use the draft box (cgi-bin/draft/add) instead
}

// Count calls by operation, outcome and errcode with expvar (published at
// /debug/vars by an http.Server that serves http.DefaultServeMux).
func ExampleWithObserver_expvar() {
	emu := emulator.New()
	emu.AddOfficialAccount(emulator.DemoAppID, emulator.DemoAppSecret)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	calls := new(expvar.Map) // expvar.NewMap("wxmaterial_calls") to publish it
	count := transport.ObserverFunc(func(_ context.Context, e transport.Event) {
		if e.Kind == transport.EventCall {
			calls.Add(e.Operation+" "+e.Class.String()+" "+strconv.Itoa(e.Code), 1)
		}
	})
	c, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret,
		officialaccount.WithBaseURL(srv.URL+"/oa"), officialaccount.WithObserver(count))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for range 3 {
		c.Upload(ctx, material.KindImage, materialtest.Sample(material.KindImage))
	}
	c.Download(ctx, "no-such-id")
	c.Download(ctx, " ") // refused before sending: not a call

	calls.Do(func(kv expvar.KeyValue) { fmt.Println(kv.Key, kv.Value) })
	// Output:
	// download platform 40007 1
	// upload ok 0 3
}

// Log every attempt with log/slog: no query string, token or secret ever
// reaches the observer.
func ExampleWithObserver_slog() {
	emu := emulator.New()
	emu.AddOfficialAccount(emulator.DemoAppID, emulator.DemoAppSecret)
	srv := httptest.NewServer(emu)
	defer srv.Close()

	// A handler without the time and the duration, so the output is stable.
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	logCalls := transport.ObserverFunc(func(ctx context.Context, e transport.Event) {
		log.LogAttrs(ctx, slog.LevelInfo, "wechat "+e.Kind.String(),
			slog.String("op", e.Operation), slog.String("path", e.Path), slog.Int("attempt", e.Attempt),
			slog.Int("status", e.Status), slog.Int("errcode", e.Code), slog.String("class", e.Class.String()),
			slog.Duration("duration", e.Duration))
	})
	c, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret,
		officialaccount.WithBaseURL(srv.URL+"/oa"), officialaccount.WithObserver(logCalls))
	if err != nil {
		panic(err)
	}
	c.Count(context.Background())
	// Output:
	// level=INFO msg="wechat attempt" op="get material count" path=/cgi-bin/material/get_materialcount attempt=1 status=200 errcode=0 class=ok
	// level=INFO msg="wechat call" op="get material count" path=/cgi-bin/material/get_materialcount attempt=1 status=200 errcode=0 class=ok
}
