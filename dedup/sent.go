package dedup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"log/slog"
	"sync"

	"github.com/wxmaterial/wxmaterial/material"
)

// The key of a content is the hash of a read made before the upload; the
// bytes sent are read again, by the wrapped Service. A file rewritten in
// between (or a byte slice changed in place) would have the key of its old
// bytes name a media id holding the new ones. So the Source given to the
// wrapped Service hashes every read of it as the bytes stream to the
// upload (no read more), and an upload whose complete reads do not all
// hash to the key is returned but not remembered.

// passes collects the SHA-256 of each complete read of a Source.
type passes struct {
	size int64

	mu   sync.Mutex
	sums []string // of each read that yielded all size bytes, in the order they ended
}

// watch returns src with each reader hashed into the returned passes.
func watch(src material.Source) (material.Source, *passes) {
	p := &passes{size: src.Size()}
	return src.WithReaderWrapper(func(rc io.ReadCloser) io.ReadCloser {
		return &hashing{rc: rc, h: sha256.New(), p: p}
	}), p
}

// complete returns the hashes of the complete reads.
func (p *passes) complete() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sums...)
}

// hashing is one read of a Source, hashed as it goes. A read counts once
// it has yielded all the Source's bytes: a Source never yields its last
// byte before it has checked that it ends there, so that a read that stops
// early (the sniffing of a format, an attempt cut off) does not count.
type hashing struct {
	rc     io.ReadCloser
	h      hash.Hash
	p      *passes
	n      int64
	failed bool
	ended  bool // counted, or failed
}

func (r *hashing) Read(b []byte) (int, error) {
	n, err := r.rc.Read(b)
	r.h.Write(b[:n])
	r.n += int64(n)
	if err != nil && err != io.EOF {
		r.failed = true
	}
	if r.n > r.p.size {
		r.failed = true // more than declared: the Source fails the read anyway
	}
	if !r.ended && !r.failed && (r.n == r.p.size && (n > 0 || err == io.EOF)) {
		r.ended = true
		sum := hex.EncodeToString(r.h.Sum(nil))
		r.p.mu.Lock()
		r.p.sums = append(r.p.sums, sum)
		r.p.mu.Unlock()
	}
	return n, err
}

func (r *hashing) Close() error { return r.rc.Close() }

// changed reports whether the upload of src, whose key was made from the
// hash sum, sent other bytes, or cannot be told to have sent those: no
// read of it was complete, or one hashed otherwise. It logs a warning
// then.
func (s *Service) changed(ctx context.Context, p *passes, sum string, src material.Source) bool {
	sums := p.complete()
	same := len(sums) > 0
	for _, got := range sums {
		same = same && got == sum
	}
	if same {
		return false
	}
	msg := "dedup: the file changed between its hashing and its upload; its media id is not remembered"
	if len(sums) == 0 {
		msg = "dedup: the wrapped Service did not read the whole file; its media id is not remembered"
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("name", src.Name()), slog.Int64("size", src.Size()), slog.Int("complete reads", len(sums)))
	return true
}
