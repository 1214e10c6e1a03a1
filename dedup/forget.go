package dedup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// A remembered media id can stop working before its three days are over
// (the platform lost it, or another account's Store was shared by
// mistake): the platform then answers 40007, material.ErrNotFound. The
// wrapper sees that answer only where the id goes through it, so there are
// three ways to forget an id:
//
//   - Use uploads and hands the media to a function of the caller (the one
//     that sends the message); if that function fails with an error
//     matching material.ErrNotFound and the id came from memory, the id is
//     forgotten, the content uploaded again, and the function called once
//     more with the new media.
//   - Download through the wrapper forgets an id this Service handed out
//     when the platform answers ErrNotFound before its expiry.
//   - Forget forgets the id of a content explicitly.
//
// Forgetting is a compare-and-delete: an id another process saved since is
// kept.

// Use uploads src as Upload does and calls use with the media. If use fails
// with an error matching material.ErrNotFound (errcode 40007), the media
// id is forgotten; if it came from memory (not from an upload made for this
// call), src is uploaded again and use is called once more with the new
// media. It returns the media use was last called with, and use's error.
func (s *Service) Use(ctx context.Context, kind material.Kind, src material.Source, use func(ctx context.Context, m material.Media) error) (material.Media, error) {
	m, rem, err := s.upload(ctx, kind, src, "")
	if err != nil {
		return material.Media{}, err
	}
	err = use(ctx, m)
	if err == nil || rem == nil || !errors.Is(err, material.ErrNotFound) {
		return m, err
	}
	s.forget(ctx, rem.key, m.ID)
	if !rem.memory {
		return m, err // just uploaded: the platform's answer is not about memory
	}
	m, _, err = s.upload(ctx, kind, src, m.ID)
	if err != nil {
		return material.Media{}, err
	}
	return m, use(ctx, m)
}

// Forget forgets mediaID as the media id of src uploaded as kind, if the
// Store still holds that id for it, and reports whether it did. It hashes
// src again; a one-shot src was never remembered, and Forget reports false.
func (s *Service) Forget(ctx context.Context, kind material.Kind, src material.Source, mediaID string) (bool, error) {
	if !src.Replayable() {
		return false, nil
	}
	key, _, err := s.key(ctx, string(kind), src)
	if err != nil {
		return false, fmt.Errorf("dedup: forget: %w", err)
	}
	ok, err := s.store.CompareAndDelete(ctx, key, mediaID)
	if err != nil {
		return false, fmt.Errorf("dedup: forget: %w", err)
	}
	if ok {
		s.forgotten.Add(1)
	}
	s.mu.Lock()
	delete(s.handed, mediaID)
	s.mu.Unlock()
	return ok, nil
}

// Download streams temporary media through the wrapped Service. When the
// platform answers material.ErrNotFound for a media id this Service handed
// out and that should still live, the id is forgotten, so that the next
// upload of its content uploads it again.
func (s *Service) Download(ctx context.Context, mediaID string) (*material.Content, error) {
	c, err := s.svc.Download(ctx, mediaID)
	if err != nil && errors.Is(err, material.ErrNotFound) {
		s.mu.Lock()
		h, ok := s.handed[mediaID]
		delete(s.handed, mediaID)
		s.mu.Unlock()
		if ok && s.now().Before(h.expires) {
			s.forget(ctx, h.key, mediaID)
		}
	}
	return c, err
}

// DownloadHDVoice streams a JS-SDK voice through the wrapped Service.
func (s *Service) DownloadHDVoice(ctx context.Context, mediaID string) (*material.Content, error) {
	return s.svc.DownloadHDVoice(ctx, mediaID)
}

// DownloadURL follows a link with the wrapped Service's DownloadURL; one
// without it fails with material.ErrUnsupported.
func (s *Service) DownloadURL(ctx context.Context, link string) (*material.Content, error) {
	d, ok := s.svc.(material.URLDownloader)
	if !ok {
		return nil, fmt.Errorf("dedup: download url: %w", &material.ValidationError{Platform: s.platform, Field: "url",
			Problem: "the wrapped Service cannot fetch links (it does not implement material.URLDownloader)", Err: []error{material.ErrUnsupported}})
	}
	return d.DownloadURL(ctx, link)
}

// forget compare-and-deletes key's entry of mediaID; a failing Store is
// logged.
func (s *Service) forget(ctx context.Context, key, mediaID string) {
	ok, err := s.store.CompareAndDelete(ctx, key, mediaID)
	if err != nil {
		s.storeFailed(ctx, "forget", err)
	}
	if ok {
		s.forgotten.Add(1)
	}
}

// hand records that mediaID, remembered under key, was handed out.
func (s *Service) hand(mediaID, key string, expires time.Time) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handed[mediaID] = handed{key: key, expires: expires}
	if len(s.handed) > s.sweep {
		for id, h := range s.handed {
			if !now.Before(h.expires) {
				delete(s.handed, id)
			}
		}
		s.sweep = max(minSweep, 2*len(s.handed))
	}
}
