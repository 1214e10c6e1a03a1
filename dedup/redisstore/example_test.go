//go:build unix

package redisstore_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// Two processes of a fleet send the same welcome image: each wraps its
// client with a dedup.Service over the shared Redis, and the platform gets
// one upload. (Here the "processes" are two calls of one function, each
// with its own Redis client, Store and Service, on the emulator and a
// redis-server of the tests.)
func Example() {
	ctx := context.Background()
	srv, err := redistest.New() // in an app: the fleet's Redis
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	emu := emulator.New()
	defer emu.Close()
	if err := emu.AddOfficialAccount(emulator.DemoAppID, emulator.DemoAppSecret); err != nil {
		fmt.Println(err)
		return
	}
	platform := httptest.NewServer(emu)
	defer platform.Close()

	process := func() (material.Media, error) {
		// In an app: redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
		rdb := redis.NewClient(srv.Options(0))
		defer rdb.Close()
		store, err := redisstore.New(rdb) // keys under "wxmaterial:dedup:"
		if err != nil {
			return material.Media{}, err
		}
		oa, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret,
			officialaccount.WithBaseURL(platform.URL+"/oa"), officialaccount.WithStableToken())
		if err != nil {
			return material.Media{}, err
		}
		svc, err := dedup.New(oa, dedup.WithStore(store))
		if err != nil {
			return material.Media{}, err
		}
		welcome := materialtest.Sample(material.KindImage) // material.FromFile("welcome.png") in an app
		return svc.Upload(ctx, material.KindImage, welcome)
	}
	first, err := process()
	if err != nil {
		fmt.Println(err)
		return
	}
	second, err := process()
	if err != nil {
		fmt.Println(err)
		return
	}

	stored := emu.ListMedia(emulator.MediaFilter{Owner: emulator.DemoAppID, Family: "temporary"})
	fmt.Println("same media id:", first.ID == second.ID)
	fmt.Println("media the platform holds:", len(stored))
	// Output:
	// same media id: true
	// media the platform holds: 1
}
