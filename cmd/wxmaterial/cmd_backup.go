package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// backupResult is the outcome of backup.
type backupResult struct {
	Dir      string `json:"dir"`
	Manifest string `json:"manifest"`
	Account  string `json:"account"`
	Complete bool   `json:"complete"`
	Items    int    `json:"items"`    // listed in the library
	Saved    int    `json:"saved"`    // files downloaded by this run
	Verified int    `json:"verified"` // files already in the folder with the recorded hash
	News     int    `json:"news"`     // news items recorded (articles only: they have no file)
	// Missing counts the items of the backup the library no longer holds:
	// kept in the manifest, marked with the time a backup first noticed;
	// MissingNew are those this run noticed.
	Missing    int             `json:"missing"`
	MissingNew int             `json:"missing_new"`
	Bytes      int64           `json:"bytes"`  // downloaded by this run
	Counts     material.Counts `json:"counts"` // get_materialcount at the start
}

// How backupItem dealt with an item.
const (
	itemSaved = iota
	itemVerified
	itemNews
)

// runBackup is "wxmaterial backup".
func runBackup(ctx context.Context, a *app, args []string) error {
	fs := a.flags("backup")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one backup folder, got %d arguments", len(rest))
	}
	dir := rest[0]
	// backup creates DIR, not the folders above it.
	if err := checkParent(dir); err != nil {
		return err
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	lib, err := b.library("backup")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := readManifest(dir)
	switch {
	case isNotExist(err):
		old = &manifest{}
	case err != nil:
		return err
	case old.Account != b.account:
		return fmt.Errorf("%s holds a backup of %s, not of %s: use another folder", dir, old.Account, b.account)
	}
	prev := make(map[string]*entry, len(old.Items))
	for i := range old.Items {
		prev[old.Items[i].MediaID] = &old.Items[i]
	}

	counts, err := lib.Count(ctx)
	if err != nil {
		return err
	}
	items, err := a.listAll(ctx, lib)
	if err != nil {
		return err
	}
	res := backupResult{Dir: dir, Manifest: filepath.Join(dir, manifestName), Account: b.account, Items: len(items), Counts: counts}
	m := &manifest{Format: manifestFormat, Platform: string(material.OfficialAccount), Account: b.account, StartedAt: time.Now().UTC(), Counts: &counts}
	if b.emulatorURL != "" {
		host := strings.TrimPrefix(b.emulatorURL, "http://")
		m.Links = fmt.Sprintf("the url, down_url and thumb_url fields point at the embedded emulator on %s, which stopped when the backup ended; 'wxmaterial emulator serve --data-dir %s --addr %s' serves them again", host, a.emb.dir, host)
	}
	listed := make(map[string]bool, len(items))
	for _, it := range items {
		listed[it.MediaID] = true
	}
	// What the library lost stays in the backup, marked: undoing a delete
	// is what a backup is for.
	var missing []entry
	for _, e := range old.Items {
		if listed[e.MediaID] {
			continue
		}
		if e.MissingSince == nil {
			t := m.StartedAt
			e.MissingSince = &t
			res.MissingNew++
			a.notef("%s %s %s is no longer in the library: kept in the backup, marked missing since %s", e.Kind, e.MediaID, displayName(e.Kind, e.Name, e.News), stamp(t))
		}
		missing = append(missing, e)
	}
	res.Missing = len(missing)
	done := make(map[string]bool, len(items))
	// save writes the manifest: the items done so far, while the run is
	// incomplete the previous run's items not reached yet (so that a
	// resumed run still finds them), and the missing ones.
	save := func(complete bool) error {
		out := *m
		out.Complete, out.UpdatedAt = complete, time.Now().UTC()
		out.Items = append([]entry(nil), m.Items...)
		if !complete {
			for _, e := range old.Items {
				if listed[e.MediaID] && !done[e.MediaID] {
					out.Items = append(out.Items, e)
				}
			}
		}
		out.Items = append(out.Items, missing...)
		_, err := out.write(dir) // out.Links says what its links are worth
		return err
	}

	a.infof("backing up %d %s of %s to %s", len(items), plural(len(items), "item"), b.account, dir)
	bar := a.newBar(int64(len(items)), false, "backup")
	lastSave := time.Now()
	for i, it := range items {
		e, how, n, err := a.backupItem(ctx, b, lib, dir, it, prev[it.MediaID])
		if err != nil {
			bar.done()
			if serr := save(false); serr != nil {
				err = fmt.Errorf("%w (and writing the manifest failed: %v)", err, serr)
			}
			a.emitBackup(res)
			return fmt.Errorf("stopped at %s %s (%d of %d items done): %w; run the same command again to resume", it.Kind, it.MediaID, i, len(items), err)
		}
		m.Items = append(m.Items, e)
		done[it.MediaID] = true
		res.Bytes += n
		switch how {
		case itemSaved:
			res.Saved++
		case itemVerified:
			res.Verified++
		case itemNews:
			res.News++
		}
		bar.add(1)
		if !a.terminal {
			a.infof("[%d/%d] %s %s %s: %s", i+1, len(items), it.Kind, it.MediaID, displayName(it.Kind, it.Name, it.News), [...]string{"saved", "already there", "recorded"}[how])
		}
		if how == itemSaved && time.Since(lastSave) > time.Second {
			if err := save(false); err != nil {
				bar.done()
				return err
			}
			lastSave = time.Now()
		}
	}
	bar.done()
	if err := save(true); err != nil {
		return err
	}
	res.Complete = true
	return a.emitBackup(res)
}

// emitBackup prints the outcome of a backup.
func (a *app) emitBackup(res backupResult) error {
	return a.emit(res, func(w io.Writer) {
		state := "backup"
		if !res.Complete {
			state = "incomplete backup"
		}
		fmt.Fprintf(w, "%s of %s in %s: %d %s (library: image %d, voice %d, video %d, news %d)\n",
			state, res.Account, res.Dir, res.Items, plural(res.Items, "item"), res.Counts.Image, res.Counts.Voice, res.Counts.Video, res.Counts.News)
		fmt.Fprintf(w, "  %d files saved (%d bytes), %d already there and verified, %d news recorded", res.Saved, res.Bytes, res.Verified, res.News)
		if res.Missing > 0 {
			fmt.Fprintf(w, ", %d no longer in the library (%d noticed now; kept in the backup, marked with the time noticed: restore restores them unless --present-only)", res.Missing, res.MissingNew)
		}
		fmt.Fprintf(w, "\n  manifest: %s\n", res.Manifest)
	})
}

// listAll lists every kind of the library, each item once.
func (a *app) listAll(ctx context.Context, lib material.Library) ([]material.Item, error) {
	bar := a.newBar(-1, false, "listing the library")
	defer bar.done()
	var items []material.Item
	seen := map[string]bool{}
	for _, k := range libraryKinds {
		for it, err := range lib.List(ctx, k) {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", k, err)
			}
			if !seen[it.MediaID] {
				seen[it.MediaID] = true
				items = append(items, it)
			}
			bar.add(1)
		}
	}
	return items, nil
}

// backupItem saves one item: a news item's articles, or a file (with a
// video's description), unless the previous run saved it already and the
// file still has the recorded hash. It returns the manifest entry, how
// it was dealt with and how many bytes it downloaded.
func (a *app) backupItem(ctx context.Context, b *backend, lib material.Library, dir string, it material.Item, prev *entry) (entry, int, int64, error) {
	e := entry{MediaID: it.MediaID, Kind: it.Kind, Name: it.Name, UpdatedAt: it.UpdatedAt, URL: it.URL}
	if it.Kind == material.KindNews && len(it.News) > 0 {
		e.News = it.News
		return e, itemNews, 0, nil
	}
	if prev != nil && prev.File != "" && prev.UpdatedAt.Equal(it.UpdatedAt) && prev.verify(dir) == nil {
		kept := *prev
		kept.Name, kept.URL, kept.MissingSince = it.Name, it.URL, nil
		return kept, itemVerified, 0, nil
	}
	asset, err := lib.Get(ctx, it.MediaID)
	if err != nil {
		return e, 0, 0, err
	}
	defer asset.Close()
	c, ext := asset.Content, ""
	switch {
	case asset.News != nil || (c == nil && asset.Video == nil):
		e.News = asset.News
		return e, itemNews, 0, nil
	case asset.Video != nil:
		e.Video = &videoInfo{Title: asset.Video.Title, Description: asset.Video.Description, DownURL: asset.Video.DownURL}
		if asset.Video.DownURL == "" {
			return e, 0, 0, fmt.Errorf("the platform gave no download link for video %s", it.MediaID)
		}
		if c, err = b.fetchURL(ctx, asset.Video.DownURL); err != nil {
			return e, 0, 0, err
		}
		defer c.Close()
		ext = ".mp4"
	}
	if x := extensionOf(c.ContentType); x != "" {
		ext = x
	}
	name := it.Name
	if name == "" {
		name = c.Name
	}
	rel := backupFileName(it.Kind, it.MediaID, name, ext)
	sub := filepath.Join(dir, filepath.FromSlash(path.Dir(rel)))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return e, 0, 0, err
	}
	w, err := writeAtomic(ctx, sub, path.Base(rel), c.Body, c.Size, true)
	if err != nil {
		return e, 0, 0, err
	}
	e.File, e.Size, e.SHA256, e.ContentType = rel, w.Size, w.SHA256, c.ContentType
	return e, itemSaved, w.Size, nil
}
