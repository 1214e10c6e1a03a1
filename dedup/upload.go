package dedup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// Upload uploads src as temporary media of kind, or returns the media id
// the same content already has on this account while it has more than the
// margin left (WithMargin).
//
// Only a replayable Source (material.FromFile, FromBytes, or FromReader
// over an io.ReaderAt and io.Seeker of known size) is hashed, which reads it
// once more than the upload does; a one-shot Source is uploaded as usual,
// and so is a Source the platform's rules refuse (the wrapped Service
// refuses it, before reading it). Concurrent uploads of the same content
// make one upload: one at a time within the process, and across the
// processes that share the Store.
func (s *Service) Upload(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	m, _, err := s.upload(ctx, kind, src, "")
	return m, err
}

// UploadImage uploads an image for rich text, or returns the URL the same
// image already has on this account, for WithImageLifetime after its
// upload. Sources are hashed as for Upload.
func (s *Service) UploadImage(ctx context.Context, src material.Source) (string, error) {
	rule, err := material.RuleFor(s.platform, material.APIImage, material.KindImage)
	if s.imageTTL == 0 || err != nil || !hashable(rule, src) {
		s.passed.Add(1)
		return s.svc.UploadImage(ctx, src)
	}
	key, sum, err := s.key(ctx, "uploadimg", src)
	if err != nil {
		return "", fmt.Errorf("dedup: upload image: %w", err)
	}
	r, err := s.once(ctx, key, "", func(ctx context.Context) (result, error) {
		tapped, sent := watch(src)
		link, err := s.svc.UploadImage(ctx, tapped)
		now := s.now()
		return result{entry: Entry{Value: link, CreatedAt: now, ExpiresAt: now.Add(s.imageTTL)}, changed: err == nil && s.changed(ctx, sent, sum, src)}, err
	})
	return r.entry.Value, err
}

// result is what one upload of a content gave: the entry remembered, the
// Media the wrapped Service returned (zero when from memory).
type result struct {
	entry   Entry
	media   material.Media
	memory  bool // answered from the Store
	changed bool // uploaded, but the bytes sent were not those hashed: not remembered, not shared
}

// upload is Upload, also reporting the key and whether the id came from
// memory. An entry whose Value is avoid is not reused.
func (s *Service) upload(ctx context.Context, kind material.Kind, src material.Source, avoid string) (material.Media, *remembered, error) {
	rule, err := material.RuleFor(s.platform, material.APITemporary, kind)
	if err != nil || !hashable(rule, src) {
		s.passed.Add(1)
		m, err := s.svc.Upload(ctx, kind, src)
		return m, nil, err
	}
	key, sum, err := s.key(ctx, string(kind), src)
	if err != nil {
		return material.Media{}, nil, fmt.Errorf("dedup: upload %s: %w", kind, err)
	}
	r, err := s.once(ctx, key, avoid, func(ctx context.Context) (result, error) {
		tapped, sent := watch(src)
		m, err := s.svc.Upload(ctx, kind, tapped)
		if err != nil {
			return result{}, err
		}
		if s.changed(ctx, sent, sum, src) {
			return result{media: m, changed: true}, nil
		}
		e := Entry{Value: m.ID, CreatedAt: m.CreatedAt, ExpiresAt: m.ExpiresAt}
		if e.ExpiresAt.IsZero() {
			if e.CreatedAt.IsZero() {
				e.CreatedAt = s.now()
			}
			e.ExpiresAt = e.CreatedAt.Add(material.TemporaryLifetime)
		}
		return result{entry: e, media: m}, nil
	})
	if err != nil {
		return material.Media{}, nil, err
	}
	m := r.media
	if r.changed {
		return m, nil, nil // what was sent is not what the key says: nothing to forget under it
	}
	if r.memory || m.ID != r.entry.Value {
		m = material.Media{ID: r.entry.Value, Kind: kind, CreatedAt: r.entry.CreatedAt, ExpiresAt: r.entry.ExpiresAt}
	}
	s.hand(m.ID, key, r.entry.ExpiresAt)
	return m, &remembered{key: key, memory: r.memory}, nil
}

// remembered tells where a media id came from.
type remembered struct {
	key    string
	memory bool
}

// hashable reports whether src is worth hashing: replayable, and taken by
// the rule (else the wrapped Service refuses it without reading it).
func hashable(rule material.Rule, src material.Source) bool {
	return src.Replayable() && rule.Validate(src) == nil
}

// key returns the Store key of src uploaded as what ("image", ...,
// "uploadimg"): the platform, the account, what, and the SHA-256 of the
// bytes; on WeCom, which keeps a file's name and shows it, the name too.
// It also returns the SHA-256 (hex).
func (s *Service) key(ctx context.Context, what string, src material.Source) (key, sum string, err error) {
	sum, err = digest(ctx, src)
	if err != nil {
		return "", "", err
	}
	k := string(s.platform) + ":" + s.account + ":" + what + ":" + sum
	if s.platform == material.WeCom {
		k += ":" + url.PathEscape(src.Name())
	}
	return k, sum, nil
}

// digest streams src through SHA-256.
func digest(ctx context.Context, src material.Source) (string, error) {
	rc, err := src.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, rc})
	if err != nil {
		return "", fmt.Errorf("hash %q: %w", src.Name(), err)
	}
	if n != src.Size() {
		return "", fmt.Errorf("hash %q: read %d bytes, but the source declares %d: %w", src.Name(), n, src.Size(), material.ErrInvalidInput)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// once returns the remembered entry of key, or runs do (the upload) once
// for all the callers of this process asking for key at the same time, and
// one process at a time among those sharing the Store. An upload that
// finds the Store failing makes no more calls to it.
func (s *Service) once(ctx context.Context, key, avoid string, do func(context.Context) (result, error)) (result, error) {
	usable := func(e Entry) bool { return e.Value != avoid && e.ExpiresAt.Sub(s.now()) > s.margin }
	e, ok, down := s.load(ctx, key)
	if ok && usable(e) {
		s.reuse(ctx, key)
		return result{entry: e, memory: true}, nil
	}
	for tries := 0; ; tries++ {
		if tries > maxWaits { // other callers' flights keep handing back what we cannot take
			r, err := s.lead(ctx, key, usable, do, down)
			if err == nil && r.memory {
				s.reuse(ctx, key)
			}
			return r, err
		}
		led := false // set by our function if the flight runs it: then the upload is ours
		ch := s.flight.DoChan(key, func() (any, error) { led = true; return s.lead(ctx, key, usable, do, down) })
		select {
		case <-ctx.Done():
			return result{}, ctx.Err()
		case r := <-ch:
			if r.Err != nil {
				if r.Shared && ctx.Err() == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
					continue // the leader's context ended, not ours: lead ourselves
				}
				return result{}, r.Err
			}
			res := r.Val.(result)
			if res.changed {
				if led {
					return res, nil // our upload: its result, not remembered
				}
				continue // another caller's flight sent other bytes than its key says: upload ours
			}
			if res.entry.Value == avoid {
				continue // another caller's flight handed back the id we must not reuse
			}
			if res.memory || !led {
				s.reuse(ctx, key) // remembered, or uploaded by another caller's flight
				res.memory = true
			}
			return res, nil
		}
	}
}

// lead runs in the single flight of key: it takes the key's lock in the
// Store (waiting for another process that holds it, and taking what it
// saved), uploads, saves and unlocks. A failing Store is logged and
// skipped: once a call to it fails (or had failed, down), the upload makes
// no more, so that a Store that hangs costs it one timeout. The wait for
// another's lock is bounded by twice the hold (the holder's upload, then
// the lapse of its lock if it died), and by half the time ctx has left;
// past it, the upload goes on without the lock, with a warning, and saves
// what it uploaded.
func (s *Service) lead(ctx context.Context, key string, usable func(Entry) bool, do func(context.Context) (result, error), down bool) (result, error) {
	wait := 2 * s.hold
	if d, ok := ctx.Deadline(); ok {
		wait = max(min(wait, time.Until(d)/2), 0)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	// held: another's lock was seen. Only then is a call cut off by wctx
	// the wait for that lock running out; before, it is the Store failing.
	held := false
	waitedOut := func() bool {
		if !held || ctx.Err() != nil || wctx.Err() == nil {
			return false
		}
		s.lockHeld(ctx, key, wait)
		return true
	}
	for waits := 0; !down; waits++ {
		e, ok, failed := s.load(wctx, key)
		if ok && usable(e) {
			return result{entry: e, memory: true}, nil
		}
		if failed && waitedOut() {
			break
		}
		if failed && !held && ctx.Err() == nil && wctx.Err() != nil {
			// Cut off by the wait, with no lock seen: the Store did not
			// answer in time (load, cut by wctx, said nothing).
			s.storeFailed(ctx, "load", fmt.Errorf("no answer within %v", wait))
		}
		if down = failed; down || waits == maxWaits {
			break
		}
		lock, err := s.store.TryLock(wctx, key, s.hold)
		if err != nil {
			if ctx.Err() != nil {
				return result{}, ctx.Err()
			}
			if waitedOut() {
				break
			}
			s.storeFailed(ctx, "lock", err)
			down = true
			break
		}
		if lock != nil {
			defer lock.Unlock(context.WithoutCancel(ctx))
			e, ok, failed := s.load(ctx, key)
			if ok && usable(e) { // saved between our look and the lock
				return result{entry: e, memory: true}, nil
			}
			down = failed
			break
		}
		held = true
		if err := s.store.WaitUnlock(wctx, key); err != nil {
			if ctx.Err() != nil {
				return result{}, ctx.Err()
			}
			if waitedOut() {
				break
			}
			s.storeFailed(ctx, "wait", err)
			down = true
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return result{}, err // the Store's calls ended with the caller's context
	}
	r, err := do(ctx)
	if err != nil {
		return result{}, err
	}
	s.uploads.Add(1)
	if down || r.changed {
		return r, nil
	}
	if ttl := r.entry.ExpiresAt.Sub(s.now()); ttl > 0 {
		if err := s.store.Save(ctx, key, r.entry, ttl); err != nil {
			s.storeFailed(ctx, "save", err)
		}
	}
	return r, nil
}

// load reads key from the Store; a failure is logged, read as absent and
// reported.
func (s *Service) load(ctx context.Context, key string) (e Entry, ok, failed bool) {
	e, ok, err := s.store.Load(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			s.storeFailed(ctx, "load", err)
		}
		return Entry{}, false, true
	}
	return e, ok, false
}

// reuse counts and logs an upload answered from memory.
func (s *Service) reuse(ctx context.Context, key string) {
	s.reused.Add(1)
	s.log.LogAttrs(ctx, slog.LevelDebug, "dedup: content uploaded before", slog.String("key", key))
}
