package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
)

// exampleServer stands in for the platforms' token endpoints: each fetch of
// a plain token gives a new one; the stable and WeCom tokens stay the same.
func exampleServer() *httptest.Server {
	var mu sync.Mutex
	n := 0
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		tok := "STABLE-TOKEN"
		switch r.URL.Path {
		case "/cgi-bin/token":
			n++
			tok = fmt.Sprintf("PLAIN-TOKEN-%d", n)
		case "/cgi-bin/gettoken":
			tok = "WORK-TOKEN"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 7200})
	}))
}

// The stable token is what most Official Accounts should use: every process
// can keep its own Cache.
func ExampleNewStable() {
	srv := exampleServer() // in production, leave WithBaseURL out
	defer srv.Close()

	f, err := auth.NewStable("wx0123456789abcdef", "app-secret", auth.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ts := auth.NewCache(f)
	tok, err := ts.Token(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Key())
	fmt.Println(tok)
	// Output:
	// officialaccount:stable_token:wx0123456789abcdef
	// STABLE-TOKEN
}

// When the platform rejects a token (40001, 40014, 42001), tell the source
// which token failed and replay once. However many calls report the same
// token, one new token is fetched; a late report of an older token drops
// nothing.
func ExampleCache_Invalidate() {
	srv := exampleServer()
	defer srv.Close()
	f, err := auth.NewOfficialAccount("wx0123456789abcdef", "app-secret", auth.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ts := auth.NewCache(f)
	ctx := context.Background()

	old, _ := ts.Token(ctx)
	for range 3 { // three calls failed with the same token
		if err := ts.Invalidate(ctx, old); err != nil {
			panic(err) // e.g. a Static token: do not replay
		}
	}
	tok, _ := ts.Token(ctx)
	fmt.Println(old, "->", tok)
	// Output:
	// PLAIN-TOKEN-1 -> PLAIN-TOKEN-2
}

// A plain token rotates on every fetch, so processes that use it must share
// one Store; here two Caches stand for two processes.
func ExampleWithStore() {
	srv := exampleServer()
	defer srv.Close()
	store := auth.NewMemoryStore() // a shared backend (Redis, ...) across processes
	newCache := func() *auth.Cache {
		f, err := auth.NewOfficialAccount("wx0123456789abcdef", "app-secret", auth.WithBaseURL(srv.URL))
		if err != nil {
			panic(err)
		}
		return auth.NewCache(f, auth.WithStore(store))
	}
	a, b := newCache(), newCache()
	ctx := context.Background()
	ta, _ := a.Token(ctx)
	tb, _ := b.Token(ctx)
	fmt.Println(ta, tb)
	// Output:
	// PLAIN-TOKEN-1 PLAIN-TOKEN-1
}

// One WeCom app, one token.
func ExampleNewWeCom() {
	srv := exampleServer()
	defer srv.Close()
	f, err := auth.NewWeCom("ww0123456789abcdef", "agent-secret", auth.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	tok, err := auth.NewCache(f).Token(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	// Output:
	// WORK-TOKEN
}

// A token managed elsewhere is used as it is; when the platform rejects it,
// Invalidate says that no other token can be had.
func ExampleStatic() {
	ts := auth.Static("TOKEN-FROM-ELSEWHERE")
	ctx := context.Background()
	tok, _ := ts.Token(ctx)
	fmt.Println(tok)
	err := ts.Invalidate(ctx, tok)
	fmt.Println(errors.Is(err, auth.ErrCannotRefresh))
	// Output:
	// TOKEN-FROM-ELSEWHERE
	// true
}

// A FetcherFunc puts a Cache in front of a token service of your own.
func ExampleFetcherFunc() {
	central := auth.FetcherFunc{
		StoreKey: "central:officialaccount:wx0123456789abcdef",
		FetchFunc: func(ctx context.Context, rejected string) (auth.Token, error) {
			// Ask the service; pass rejected on so it can refresh.
			return auth.Token{Value: "CENTRAL-TOKEN", ExpiresAt: time.Now().Add(time.Hour)}, nil
		},
	}
	tok, err := auth.NewCache(central).Token(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	// Output:
	// CENTRAL-TOKEN
}
