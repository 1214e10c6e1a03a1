//go:build unix

package redisstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

// BenchmarkRepeatedUpload measures, in each iteration and against the same
// emulator over loopback HTTP (keeping no bytes) and a redis-server on a
// unix socket, a plain upload of a file and a repeated upload of it through
// the wrapper with the memory store and with the Redis store, and reports:
//
//	upload-µs/op     the plain upload
//	memory/upload    a repeated upload with the memory store (hash, a map look-up)
//	redis/upload     a repeated upload with the Redis store (hash, one round trip)
//	redis/memory     what Redis adds to a repeated upload
func BenchmarkRepeatedUpload(b *testing.B) {
	srv := redistest.Shared(b)
	for _, size := range []int{16 << 10, 256 << 10, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := emutest.New(b, emulator.WithDiscard(), emulator.WithRequestLogLimit(16))
			src := fromFile(b, sampleFile(b, size))
			rs, _ := newStore(b, srv)
			memory := newService(b, e.WeCom, dedup.NewMemoryStore(), dedup.WithClock(e.Clock.Now))
			redis := newService(b, e.WeCom, rs, dedup.WithClock(e.Clock.Now))
			for _, s := range []*dedup.Service{memory, redis} {
				if _, err := s.Upload(b.Context(), material.KindFile, src); err != nil { // remembered from now on
					b.Fatal(err)
				}
			}
			var plain, mem, red time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := e.WeCom.Upload(b.Context(), material.KindFile, src); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := memory.Upload(b.Context(), material.KindFile, src); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if _, err := redis.Upload(b.Context(), material.KindFile, src); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				plain, mem, red = plain+t1.Sub(t0), mem+t2.Sub(t1), red+t3.Sub(t2)
			}
			b.ReportMetric(float64(plain.Microseconds())/float64(b.N), "upload-µs/op")
			b.ReportMetric(mem.Seconds()/plain.Seconds(), "memory/upload")
			b.ReportMetric(red.Seconds()/plain.Seconds(), "redis/upload")
			b.ReportMetric(red.Seconds()/mem.Seconds(), "redis/memory")
			for name, s := range map[string]*dedup.Service{"memory": memory, "redis": redis} {
				if st := s.Stats(); st.Uploads != 1 {
					b.Errorf("the repeated uploads with the %s store reached the platform: %+v", name, st)
				}
			}
		})
	}
}
