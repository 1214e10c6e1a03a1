package dedup_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/emutest"
	"github.com/wxmaterial/wxmaterial/material"
)

// BenchmarkUploadOnce measures, in each iteration and against the same
// emulator (over loopback HTTP, keeping no bytes), a plain upload of a
// file, hashing it alone, a first upload through the wrapper (hash and
// upload) and a repeated one (hash and a look in memory), and reports each
// as a ratio of the plain upload:
//
//	hash/upload    what hashing costs, against the upload it may save
//	first/upload   a first upload through the wrapper
//	repeat/upload  a repeated upload through the wrapper: the saving
func BenchmarkUploadOnce(b *testing.B) {
	for _, size := range []int64{256 << 10, 4 << 20, 20 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := emutest.New(b, emulator.WithDiscard(), emulator.WithRequestLogLimit(16))
			path := filepath.Join(b.TempDir(), "prices.bin")
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 31 >> 7)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				b.Fatal(err)
			}
			data = nil
			src, err := material.FromFile(path)
			if err != nil {
				b.Fatal(err)
			}
			repeat, err := dedup.New(e.WeCom, dedup.WithClock(e.Clock.Now))
			if err != nil {
				b.Fatal(err)
			}
			upload(b, repeat, material.KindFile, src) // remembered from now on
			var plain, hash, first, again time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				upload(b, e.WeCom, material.KindFile, src)
				t1 := time.Now()
				sha(b, src)
				t2 := time.Now()
				fresh, err := dedup.New(e.WeCom, dedup.WithClock(e.Clock.Now))
				if err != nil {
					b.Fatal(err)
				}
				upload(b, fresh, material.KindFile, src)
				t3 := time.Now()
				upload(b, repeat, material.KindFile, src)
				t4 := time.Now()
				plain, hash, first, again = plain+t1.Sub(t0), hash+t2.Sub(t1), first+t3.Sub(t2), again+t4.Sub(t3)
			}
			b.ReportMetric(float64(plain.Microseconds())/float64(b.N), "upload-µs/op")
			b.ReportMetric(hash.Seconds()/plain.Seconds(), "hash/upload")
			b.ReportMetric(first.Seconds()/plain.Seconds(), "first/upload")
			b.ReportMetric(again.Seconds()/plain.Seconds(), "repeat/upload")
			if s := repeat.Stats(); s.Uploads != 1 {
				b.Errorf("the repeated uploads reached the platform: %+v", s)
			}
		})
	}
}

// sha hashes src as the wrapper does.
func sha(b *testing.B, src material.Source) {
	rc, err := src.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(sha256.New(), rc); err != nil {
		b.Fatal(err)
	}
}
