package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// downloadResult is one saved download.
type downloadResult struct {
	MediaID     string `json:"media_id"`
	Kind        string `json:"kind,omitempty"` // "video" or "news" when the platform said so
	Path        string `json:"path"`           // "-" for stdout
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// fetched is what a media id gave: a stream, or a news item's articles.
type fetched struct {
	content *material.Content // the bytes; nil for news
	name    string            // the file name to save under, before cleaning
	kind    material.Kind     // KindVideo or KindNews when known
	news    []material.Article
}

// runDownload is "wxmaterial download".
func runDownload(ctx context.Context, a *app, args []string) error {
	fs := a.flags("download")
	out := fs.String("o", "", "write to `PATH`: a folder (existing, or ending in / to create it in a folder that exists; the platform's file name is used, cleaned, or the media id when it is too long), a file name, or - for stdout (which then holds only the file: --json prints its summary on stderr); default: the current folder")
	hd := fs.Bool("hd-voice", false, "download a voice recorded with the JS-SDK in high definition (speex; media/get/jssdk)")
	permanent := fs.Bool("permanent", false, "the id is in the Official Account permanent library (by default temporary media is tried first, then the library)")
	force := fs.Bool("force", false, "replace an existing file")
	ids, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usagef("give exactly one media id, got %d", len(ids))
	}
	if *hd && *permanent {
		return usagef("--hd-voice downloads temporary voices; it excludes --permanent")
	}
	id := ids[0]
	if err := checkOutput(*out); err != nil {
		return err
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	f, err := fetchMedia(ctx, b, id, *hd, *permanent)
	if err != nil {
		return err
	}
	r, err := a.save(ctx, f, id, *out, *force)
	if err != nil {
		return err
	}
	if r.Path == "-" {
		// stdout holds the file and nothing else; the summary goes to
		// stderr, on one line like the other JSON there.
		if a.g.json {
			b, err := marshalJSON(r, "")
			if err != nil {
				return err
			}
			_, err = a.stderr.Write(b)
			return err
		}
		return nil
	}
	return a.emit(r, func(w io.Writer) {
		fmt.Fprintf(w, "%s\t%s\t%d bytes\n", id, r.Path, r.Size)
	})
}

// fetchMedia opens the media id: temporary media (HD voice with hd), then,
// when that is not found and the platform has a library, permanent media.
// Links (videos) are followed; news comes as articles.
func fetchMedia(ctx context.Context, b *backend, id string, hd, permanent bool) (*fetched, error) {
	if hd {
		c, err := b.svc.DownloadHDVoice(ctx, id)
		if err != nil {
			return nil, err
		}
		return &fetched{content: c, name: c.Name}, nil
	}
	lib, isLib := b.svc.(material.Library)
	if permanent && !isLib {
		return nil, usagef("--permanent needs the Official Account library; %s has none", b.platform)
	}
	if !permanent {
		c, err := b.svc.Download(ctx, id)
		switch {
		case err == nil && c.URL != "":
			c.Close()
			return followLink(ctx, b, c.URL, id, material.KindVideo)
		case err == nil:
			return &fetched{content: c, name: c.Name}, nil
		case !isLib || !errors.Is(err, material.ErrNotFound):
			return nil, err
		}
	}
	asset, err := lib.Get(ctx, id)
	if err != nil {
		if !permanent && errors.Is(err, material.ErrNotFound) {
			return nil, fmt.Errorf("no temporary or permanent media %q: %w", id, err)
		}
		return nil, err
	}
	switch {
	case asset.Content != nil:
		return &fetched{content: asset.Content, name: asset.Content.Name}, nil
	case asset.Video != nil:
		return followLink(ctx, b, asset.Video.DownURL, id, material.KindVideo)
	default:
		return &fetched{kind: material.KindNews, news: asset.News}, nil
	}
}

// followLink downloads a link the platform gave instead of bytes.
func followLink(ctx context.Context, b *backend, link, id string, kind material.Kind) (*fetched, error) {
	if link == "" {
		return nil, fmt.Errorf("the platform gave no link for %s %s", kind, id)
	}
	c, err := b.fetchURL(ctx, link)
	if err != nil {
		return nil, err
	}
	name := c.Name
	if name == "" {
		name = id + ".mp4"
	}
	return &fetched{content: c, name: name, kind: kind}, nil
}

// save writes what fetchMedia gave to out (see the -o flag), atomically.
func (a *app) save(ctx context.Context, f *fetched, id, out string, force bool) (downloadResult, error) {
	r := downloadResult{MediaID: id, Kind: string(f.kind)}
	var body io.Reader
	size := int64(-1)
	name := f.name
	if f.content != nil {
		defer f.content.Close()
		body, size, r.ContentType = f.content.Body, f.content.Size, f.content.ContentType
	} else {
		b, err := marshalJSON(struct {
			MediaID  string             `json:"media_id"`
			Articles []material.Article `json:"news_item"`
		}{id, f.news}, "  ")
		if err != nil {
			return r, err
		}
		body, size, r.ContentType, name = bytes.NewReader(b), int64(len(b)), "application/json", id+".json"
	}
	if out == "-" {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(a.stdout, h), ctxReader{ctx, body})
		r.Path, r.Size, r.SHA256 = "-", n, hex.EncodeToString(h.Sum(nil))
		if err == nil && size >= 0 && n != size {
			err = fmt.Errorf("download of %s ended after %d of %d bytes", id, n, size)
		}
		return r, err
	}
	dir, file, chosen := target(out, safeName(name, id, r.ContentType))
	if !chosen {
		// A name longer than the file system takes (most take 255 bytes,
		// some fewer) falls back to the media id.
		server := transport.CleanFilename(name)
		fellBack := len(server) > maxFileNameBytes // safeName fell back already
		if _, err := os.Lstat(filepath.Join(dir, file)); !fellBack && errors.Is(err, syscall.ENAMETOOLONG) {
			file, fellBack = fallbackName(server, id, r.ContentType), true
		}
		if fellBack {
			a.notef("the file name the platform gave (%d bytes) is too long for the file system: saving as %s", len(server), file)
		}
	}
	bar := a.newBar(size, true, "downloading "+file)
	defer bar.done()
	if !a.terminal {
		a.infof("downloading %s to %s", id, filepath.Join(dir, file))
	}
	w, err := writeAtomic(ctx, dir, file, meterReader{body, bar}, size, force)
	if err != nil {
		return r, err
	}
	r.Path, r.Size, r.SHA256 = w.Path, w.Size, w.SHA256
	return r, nil
}

// checkOutput checks -o before anything is requested: the folder a file
// name goes in must exist, and so must the folder above a folder written
// with a trailing separator (which target creates). A missing one is a
// usage error naming it.
func checkOutput(out string) error {
	switch {
	case out == "" || out == "-":
		return nil
	case endsInSeparator(out):
		return checkParent(out)
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return nil
	}
	return checkParent(out)
}

// endsInSeparator reports whether path is written as a folder.
func endsInSeparator(path string) bool {
	return strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(os.PathSeparator))
}

// target splits -o into a folder and a file name. An empty out is the
// current folder; a folder (existing, or written with a trailing
// separator, then created) receives the cleaned server name; anything else is the file
// the user chose (chosen is then true).
func target(out, cleaned string) (dir, file string, chosen bool) {
	if out == "" {
		return ".", cleaned, false
	}
	if endsInSeparator(out) {
		// checkOutput saw that the folder above exists; a failure to
		// create this one shows when the file is created.
		dir = filepath.Clean(out)
		_ = os.Mkdir(dir, 0o755)
		return dir, cleaned, false
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return out, cleaned, false
	}
	return filepath.Dir(out), filepath.Base(out), true
}
