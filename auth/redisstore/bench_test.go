//go:build unix

package redisstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// BenchmarkToken is the hot path: Token with a fresh token, over the
// in-memory default and over Redis, in the same run. Over Redis the Cache
// answers from memory, so the two must cost the same.
func BenchmarkToken(b *testing.B) {
	p := newPlatform(b)
	srv := redistest.Shared(b)
	stores := []struct {
		name  string
		store func() auth.Store
	}{
		{name: "memory", store: func() auth.Store { return auth.NewMemoryStore() }},
		{name: "redis", store: func() auth.Store { s, _ := newStore(b, srv); return s }},
	}
	for _, st := range stores {
		c := auth.NewCache(p.fetcher(b), auth.WithStore(st.store()))
		ctx := context.Background()
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
		b.Run(st.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(st.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Token(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkColdFleetRefresh: eight caches (each with its own Redis client,
// as eight processes would have) whose token was rejected all ask for a
// new one at once; one op is the whole fleet holding the new token. The
// baseline is eight caches on their own (memory stores), which fetch eight
// times. fetches/op is what the emulator handed out.
func BenchmarkColdFleetRefresh(b *testing.B) {
	q := emulator.DefaultQuotas()
	q.OATokenPerDay = 0 // a benchmark fetches far more than a day's quota
	p := newPlatform(b, emulator.WithQuotas(q), emulator.WithRequestLogLimit(1))
	srv := redistest.Shared(b)
	const n = 8
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			caches := make([]*auth.Cache, n)
			for i := range caches {
				var st auth.Store = auth.NewMemoryStore()
				if name == "redis" {
					st, _ = newStore(b, srv)
				}
				caches[i] = auth.NewCache(p.fetcher(b), auth.WithStore(st))
			}
			ctx := context.Background()
			toks := make([]string, n)
			refresh := func() {
				var wg sync.WaitGroup
				for i, c := range caches {
					wg.Go(func() {
						tok, err := c.Token(ctx)
						if err != nil {
							b.Error(err)
						}
						toks[i] = tok
					})
				}
				wg.Wait()
			}
			refresh()
			before := p.TokenFetches(testAppID).Plain
			b.ResetTimer()
			for b.Loop() {
				for i, c := range caches {
					if err := c.Invalidate(ctx, toks[i]); err != nil {
						b.Fatal(err)
					}
				}
				refresh()
			}
			b.StopTimer()
			b.ReportMetric(float64(p.TokenFetches(testAppID).Plain-before)/float64(b.N), "fetches/op")
		})
	}
}
