// Package exampleapp is a small application written against
// material.Service, as a user of wxmaterial would write one: it archives
// files as temporary media and proves that each comes back intact.
//
// Its tests run it on materialtest.Fake; the same tests run it on
// officialaccount.Client and work.Client, on the emulator, by changing only
// the constructor.
package exampleapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// ErrMismatch is returned when a file downloads with other bytes than were
// uploaded.
var ErrMismatch = errors.New("exampleapp: the downloaded bytes differ from the upload")

// Receipt is the proof that a file was archived.
type Receipt struct {
	Name      string        // the file's name
	Kind      material.Kind // the kind it was uploaded as
	MediaID   string        // the platform's id for it
	Size      int64         // bytes uploaded
	SHA256    string        // hex SHA-256 of the bytes uploaded, checked against the download
	ExpiresAt time.Time     // when the platform forgets it
	Link      string        // set when the platform answers with a link instead of bytes (an Official Account video): then nothing could be compared
}

// KindOf chooses the kind to upload a file as, by its format: images,
// voices (AMR, MP3), videos (MP4), and files for the rest.
func KindOf(src material.Source) material.Kind {
	head, _ := src.Head()
	switch material.DetectFormat(head) {
	case material.FormatJPEG, material.FormatPNG, material.FormatGIF, material.FormatBMP:
		return material.KindImage
	case material.FormatAMR, material.FormatMP3:
		return material.KindVoice
	case material.FormatMP4:
		return material.KindVideo
	}
	return material.KindFile
}

// Archive uploads each file as temporary media of the kind KindOf chooses,
// downloads it again and compares the bytes. Each file is read twice (to
// hash it, then to upload it), so it must be replayable (material.FromFile,
// material.FromBytes). Archive stops at the first failure and returns the
// receipts of the files archived before it.
func Archive(ctx context.Context, svc material.Service, files ...material.Source) ([]Receipt, error) {
	var receipts []Receipt
	for _, src := range files {
		r, err := archive(ctx, svc, src)
		if err != nil {
			return receipts, fmt.Errorf("exampleapp: archive %q: %w", src.Name(), err)
		}
		receipts = append(receipts, r)
	}
	return receipts, nil
}

func archive(ctx context.Context, svc material.Service, src material.Source) (Receipt, error) {
	if !src.Replayable() {
		return Receipt{}, fmt.Errorf("%w: the file is read twice", material.ErrNotReplayable)
	}
	sum, size, err := hashSource(src)
	if err != nil {
		return Receipt{}, err
	}
	kind := KindOf(src)
	m, err := svc.Upload(ctx, kind, src)
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{Name: src.Name(), Kind: kind, MediaID: m.ID, Size: size, SHA256: sum, ExpiresAt: m.ExpiresAt}

	c, err := svc.Download(ctx, m.ID)
	if err != nil {
		return Receipt{}, err
	}
	defer c.Close()
	if c.URL != "" {
		r.Link = c.URL
		return r, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		return Receipt{}, fmt.Errorf("download: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return Receipt{}, fmt.Errorf("%w: SHA-256 %s, uploaded %s", ErrMismatch, got, sum)
	}
	return r, nil
}

func hashSource(src material.Source) (sum string, size int64, err error) {
	rc, err := src.Open()
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	size, err = io.Copy(h, rc)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
