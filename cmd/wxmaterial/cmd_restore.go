package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// idMap is restore's record of what it created: old media id → new one.
// It is rewritten after every upload, so a re-run never uploads an item
// twice.
type idMap struct {
	Format    int               `json:"format"`
	Source    string            `json:"source_account"` // the account the backup came from
	Target    string            `json:"target_account"` // the account restored into
	UpdatedAt time.Time         `json:"updated_at"`
	IDs       map[string]string `json:"ids"`
	Skipped   []skippedItem     `json:"skipped,omitempty"`
}

// skippedItem is a backup item restore could not create.
type skippedItem struct {
	MediaID string   `json:"media_id"`
	Kind    string   `json:"kind"`
	Titles  []string `json:"titles,omitempty"`
	Reason  string   `json:"reason"`
}

// restoreResult is the outcome of restore.
type restoreResult struct {
	Dir      string            `json:"dir"`
	Map      string            `json:"map"`
	Source   string            `json:"source_account"`
	Target   string            `json:"target_account"`
	Restored map[string]string `json:"restored"` // by this run: old id → new id
	Already  int               `json:"already"`  // restored by an earlier run (in the map)
	Skipped  []skippedItem     `json:"skipped"`
}

// newsSkipReason says why news is not restored.
const newsSkipReason = "news cannot be created any more: add_news went offline upstream on 2022-02-28 (recreate it as a draft)"

// runRestore is "wxmaterial restore".
func runRestore(ctx context.Context, a *app, args []string) error {
	fs := a.flags("restore")
	mapFlag := fs.String("map", "", "write the map of old ids to new ones to `FILE` (default: DIR/restore-<account>.json); an existing map is continued")
	same := fs.Bool("allow-same-account", false, "restore into the account the backup came from (each item is added again, as a copy)")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one backup folder, got %d arguments", len(rest))
	}
	dir := rest[0]
	m, err := readManifest(dir)
	if isNotExist(err) {
		return fmt.Errorf("%s is not a backup: it has no %s", dir, manifestName)
	}
	if err != nil {
		return err
	}
	if !m.Complete {
		a.infof("warning: the backup in %s is incomplete (its last run did not finish); restoring the %d items it holds", dir, len(m.Items))
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	lib, err := b.library("restore")
	if err != nil {
		return err
	}
	if m.Account == b.account && !*same {
		return fmt.Errorf("the backup in %s is of %s, the account you are restoring into: that would add a copy of every item (use --allow-same-account to do it anyway)", dir, b.account)
	}
	mapPath := *mapFlag
	if mapPath == "" {
		mapPath = filepath.Join(dir, "restore-"+transport.CleanFilename(b.account)+".json")
	}
	ids, err := readIDMap(mapPath)
	switch {
	case isNotExist(err):
		ids = &idMap{Format: manifestFormat, Source: m.Account, Target: b.account, IDs: map[string]string{}}
	case err != nil:
		return err
	case ids.Target != b.account || ids.Source != m.Account:
		return fmt.Errorf("%s maps %s to %s, not %s to %s: give another --map", mapPath, ids.Source, ids.Target, m.Account, b.account)
	}

	// Check every file to send before sending any.
	var todo []entry
	res := restoreResult{Dir: dir, Map: mapPath, Source: m.Account, Target: b.account, Restored: map[string]string{}, Skipped: []skippedItem{}}
	for _, e := range m.Items {
		switch {
		case e.Kind == material.KindNews:
			res.Skipped = append(res.Skipped, skippedItem{MediaID: e.MediaID, Kind: string(e.Kind), Titles: titles(e.News), Reason: newsSkipReason})
		case ids.IDs[e.MediaID] != "":
			res.Already++
		default:
			if err := checkRestorable(dir, e); err != nil {
				return fmt.Errorf("nothing restored: %w", err)
			}
			todo = append(todo, e)
		}
	}
	ids.Skipped = res.Skipped

	a.infof("restoring %d items of %s into %s (%d restored before, %d news to skip)", len(todo), m.Account, b.account, res.Already, len(res.Skipped))
	bar := a.newBar(int64(len(todo)), false, "restore")
	for i, e := range todo {
		newID, err := restoreItem(ctx, lib, dir, e)
		if err != nil {
			bar.done()
			a.emitRestore(res)
			if errors.Is(err, material.ErrOutcomeUnknown) {
				return fmt.Errorf("%s %s (%d of %d restored): %w; it may have been added: check with 'wxmaterial list' before running the same command again", e.Kind, e.MediaID, i, len(todo), err)
			}
			return fmt.Errorf("%s %s (%d of %d restored): %w; run the same command again to go on", e.Kind, e.MediaID, i, len(todo), err)
		}
		ids.IDs[e.MediaID] = newID
		res.Restored[e.MediaID] = newID
		ids.UpdatedAt = time.Now().UTC()
		if err := writeJSONAtomic(mapPath, ids); err != nil {
			bar.done()
			return fmt.Errorf("%s %s was restored as %s but the map could not be written: %w", e.Kind, e.MediaID, newID, err)
		}
		bar.add(1)
		if !a.terminal {
			a.infof("[%d/%d] %s %s → %s", i+1, len(todo), e.Kind, e.MediaID, newID)
		}
	}
	bar.done()
	ids.UpdatedAt = time.Now().UTC()
	if err := writeJSONAtomic(mapPath, ids); err != nil {
		return err
	}
	return a.emitRestore(res)
}

// checkRestorable checks that an item's file is in the backup with its
// recorded hash and within the permanent library's limits.
func checkRestorable(dir string, e entry) error {
	if err := e.verify(dir); err != nil {
		return fmt.Errorf("backup damaged: %w", err)
	}
	p, _ := e.path(dir)
	src, err := material.FromFile(p)
	if err != nil {
		return err
	}
	rule, err := material.RuleFor(material.OfficialAccount, material.APIPermanent, e.Kind)
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.Kind, e.MediaID, err)
	}
	return rule.Validate(src.WithName(restoreName(e, p)))
}

// restoreName is the file name an item is uploaded under: its library name.
func restoreName(e entry, p string) string {
	if e.Name != "" {
		return e.Name
	}
	return filepath.Base(p)
}

// restoreItem adds one backed-up file to the library and returns its new id.
func restoreItem(ctx context.Context, lib material.Library, dir string, e entry) (string, error) {
	p, err := e.path(dir)
	if err != nil {
		return "", err
	}
	src, err := material.FromFile(p)
	if err != nil {
		return "", err
	}
	src = src.WithName(restoreName(e, p))
	var m material.Media
	if e.Kind == material.KindVideo {
		var desc material.VideoDescription
		if e.Video != nil {
			desc = material.VideoDescription{Title: e.Video.Title, Introduction: e.Video.Description}
		}
		m, err = lib.AddVideo(ctx, src, desc)
	} else {
		m, err = lib.Add(ctx, e.Kind, src)
	}
	return m.ID, err
}

// titles lists a news item's article titles.
func titles(news []material.Article) []string {
	t := make([]string, len(news))
	for i, a := range news {
		t[i] = a.Title
	}
	return t
}

// readIDMap reads a restore map.
func readIDMap(path string) (*idMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m idMap
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.IDs == nil {
		m.IDs = map[string]string{}
	}
	return &m, nil
}

// emitRestore prints the outcome of a restore.
func (a *app) emitRestore(res restoreResult) error {
	return a.emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "restored %d items of %s into %s (%d restored before); map: %s\n", len(res.Restored), res.Source, res.Target, res.Already, res.Map)
		for _, s := range res.Skipped {
			name := s.MediaID
			if len(s.Titles) > 0 {
				name = fmt.Sprintf("%q", s.Titles[0])
				if len(s.Titles) > 1 {
					name += fmt.Sprintf(" (+%d more %s)", len(s.Titles)-1, plural(len(s.Titles)-1, "article"))
				}
				name += " " + s.MediaID
			}
			fmt.Fprintf(w, "skipped %s %s: %s\n", s.Kind, name, s.Reason)
		}
	})
}
