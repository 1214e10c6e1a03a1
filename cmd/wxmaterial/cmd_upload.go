package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/material"
)

// uploadResult is one uploaded file.
type uploadResult struct {
	File      string        `json:"file"`
	Kind      material.Kind `json:"kind"`
	MediaID   string        `json:"media_id,omitempty"`
	URL       string        `json:"url,omitempty"`
	CreatedAt *time.Time    `json:"created_at,omitempty"`
	ExpiresAt *time.Time    `json:"expires_at,omitempty"`
	Reused    bool          `json:"reused,omitempty"` // with --once: uploaded before, its media id handed out again
}

// plannedUpload is a file checked and ready to send.
type plannedUpload struct {
	path string
	kind material.Kind
	size int64
}

// runUpload is "wxmaterial upload".
func runUpload(ctx context.Context, a *app, args []string) error {
	fs := a.flags("upload")
	kindFlag := fs.String("kind", "", "`kind` of every file: image, voice, video, thumb (Official Account) or file (WeCom); default: judged from each file's bytes and name")
	permanent := fs.Bool("permanent", false, "add the files to the Official Account permanent library instead of temporary media (kept 3 days)")
	imageURL := fs.Bool("image-url", false, "upload images for article bodies and print their URLs (media/uploadimg; no library count)")
	title := fs.String("title", "", "a permanent video's `title` (default: the file name without extension)")
	intro := fs.String("introduction", "", "a permanent video's `introduction`")
	once := fs.Bool("once", false, "upload each content once: a file uploaded before (the same bytes and kind to the same account; on WeCom the same name too) gets its media id back while it has over an hour left. "+
		"It is remembered in the Redis of --redis, shared with the servers that use dedup/redisstore, or else for this run only")
	files, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("no file given")
	}
	if *permanent && *imageURL {
		return usagef("--permanent and --image-url exclude each other")
	}
	if *once && *permanent {
		return usagef("--once remembers temporary media and article images; a library keeps its items: drop --permanent or --once")
	}
	if (*title != "" || *intro != "") && !*permanent {
		return usagef("--title and --introduction describe permanent videos: add --permanent")
	}
	api := material.APITemporary
	switch {
	case *permanent:
		api = material.APIPermanent
	case *imageURL:
		api = material.APIImage
	}
	var kind material.Kind
	if *kindFlag != "" {
		if kind, err = material.ParseKind(*kindFlag); err != nil {
			// List the kinds this upload takes on the chosen platform,
			// not every kind there is.
			acc, rerr := a.resolve()
			if rerr != nil {
				return &usageError{err.Error()}
			}
			return usagef("kind %q: unknown kind (want one of %s: the kinds %s %s media take)", *kindFlag, joinKinds(material.KindsFor(acc.platform, api)), acc.platform, api)
		}
		if kind == material.KindNews {
			return usagef("news cannot be uploaded: add_news went offline upstream on 2022-02-28 (use the draft API)")
		}
	}
	if *imageURL {
		if kind != "" && kind != material.KindImage {
			return usagef("--image-url uploads images only, not %s", kind)
		}
		kind = material.KindImage
	}

	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	var lib material.Library
	if api == material.APIPermanent {
		if lib, err = b.library("upload --permanent"); err != nil {
			return err
		}
	}
	var ds *dedup.Service
	if *once {
		var closeStore func() error
		if ds, closeStore, err = a.uploadOnce(b); err != nil {
			return err
		}
		defer closeStore()
		b.svc = ds
	}

	// Check every file before sending any, so that bad input sends nothing.
	plan := make([]plannedUpload, 0, len(files))
	for _, path := range files {
		p, err := planUpload(b.platform, api, kind, path)
		if err != nil {
			return err
		}
		plan = append(plan, p)
	}

	var results []uploadResult
	for _, p := range plan {
		var before dedup.Stats
		if ds != nil {
			before = ds.Stats()
		}
		r, err := a.uploadOne(ctx, b, lib, api, p, material.VideoDescription{Title: *title, Introduction: *intro})
		if err != nil {
			a.printUploads(results)
			return fmt.Errorf("%s: %w", p.path, explainOutcome(err, true, "with the same account flags"))
		}
		r.Reused = ds != nil && ds.Stats().Reused > before.Reused
		results = append(results, r)
	}
	return a.printUploads(results)
}

// planUpload checks one file against the platform's limits for api and
// returns what to send. A kind the platform lacks is a usage error; a
// missing, oversized or wrongly formatted file is a failure naming the
// limit.
func planUpload(p material.Platform, api material.API, kind material.Kind, path string) (plannedUpload, error) {
	st, err := os.Stat(path)
	if err != nil {
		return plannedUpload{}, err
	}
	if st.IsDir() {
		return plannedUpload{}, fmt.Errorf("%s is a folder, not a file", path)
	}
	src, err := material.FromFile(path)
	if err != nil {
		return plannedUpload{}, err
	}
	if kind == "" {
		if kind, err = guessKind(p, src); err != nil {
			return plannedUpload{}, err
		}
	}
	rule, err := material.RuleFor(p, api, kind)
	if err != nil {
		return plannedUpload{}, usagef("%s: %s %s media take no %s; kinds there: %s", path, p, api, kind, joinKinds(material.KindsFor(p, api)))
	}
	if err := rule.Validate(src); err != nil {
		return plannedUpload{}, err
	}
	return plannedUpload{path: path, kind: kind, size: src.Size()}, nil
}

// guessKind judges a file's kind by its first bytes, then its extension.
func guessKind(p material.Platform, src material.Source) (material.Kind, error) {
	head, err := src.Head()
	if err != nil {
		return "", err
	}
	f := material.DetectFormat(head)
	if f == material.FormatUnknown {
		f = material.FormatOfName(src.Name())
	}
	switch f {
	case material.FormatJPEG, material.FormatPNG, material.FormatGIF, material.FormatBMP:
		return material.KindImage, nil
	case material.FormatAMR, material.FormatMP3, material.FormatWMA, material.FormatWAV, material.FormatSpeex:
		return material.KindVoice, nil
	case material.FormatMP4:
		return material.KindVideo, nil
	}
	if p == material.WeCom {
		return material.KindFile, nil
	}
	return "", usagef("cannot tell the kind of %s from its bytes or name: give --kind image, voice, video or thumb", src.Name())
}

// uploadOne sends one planned file, with a progress bar on a terminal.
func (a *app) uploadOne(ctx context.Context, b *backend, lib material.Library, api material.API, p plannedUpload, desc material.VideoDescription) (uploadResult, error) {
	f, err := os.Open(p.path)
	if err != nil {
		return uploadResult{}, err
	}
	defer f.Close()
	name := filepath.Base(p.path)
	uploading := func(bar *bar) {
		bar.restart("uploading " + name)
		if !a.terminal {
			a.infof("uploading %s (%s, %d bytes)", p.path, p.kind, p.size)
		}
	}
	var bar *bar
	if _, once := b.svc.(*dedup.Service); once {
		// dedup reads the file to know it, then uploads it, or not: a
		// file uploaded before is not announced as being uploaded.
		bar = a.newBar(p.size, true, "reading "+name)
		ctx = withAnnounce(ctx, func() { uploading(bar) })
	} else {
		bar = a.newBar(p.size, true, "uploading "+name)
		uploading(nil)
	}
	defer bar.done()
	src := material.FromReader(name, meterFile{f, bar}, p.size)
	r := uploadResult{File: p.path, Kind: p.kind}
	var m material.Media
	switch {
	case api == material.APIImage:
		r.URL, err = b.svc.UploadImage(ctx, src)
		return r, err
	case api == material.APIPermanent && p.kind == material.KindVideo:
		if desc.Title == "" {
			desc.Title = strings.TrimSuffix(name, filepath.Ext(name))
		}
		m, err = lib.AddVideo(ctx, src, desc)
	case api == material.APIPermanent:
		m, err = lib.Add(ctx, p.kind, src)
	default:
		m, err = b.svc.Upload(ctx, p.kind, src)
	}
	if err != nil {
		return r, err
	}
	r.MediaID, r.URL = m.ID, m.URL
	if !m.CreatedAt.IsZero() {
		r.CreatedAt = &m.CreatedAt
	}
	if !m.ExpiresAt.IsZero() {
		r.ExpiresAt = &m.ExpiresAt
	}
	return r, nil
}

// printUploads prints the uploaded files.
func (a *app) printUploads(results []uploadResult) error {
	if results == nil {
		results = []uploadResult{}
	}
	return a.emit(results, func(w io.Writer) {
		for _, r := range results {
			fields := []string{r.File, string(r.Kind), r.MediaID, r.URL}
			switch {
			case r.MediaID == "":
				fields = []string{r.File, string(r.Kind), r.URL}
			case r.ExpiresAt != nil:
				fields[3] = "expires " + stamp(*r.ExpiresAt)
			}
			if r.Reused {
				fields = append(fields, "(uploaded before)")
			}
			row(w, fields...)
		}
	})
}
