package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// idMap is restore's record of what it created: old media id → new one.
// It is rewritten before and after every add, so that a re-run never adds
// an item twice: an add whose outcome is not known stays pending, and the
// next run looks for the item before adding it again.
type idMap struct {
	Format    int               `json:"format"`
	Source    string            `json:"source_account"` // the account the backup came from
	Target    string            `json:"target_account"` // the account restored into
	UpdatedAt time.Time         `json:"updated_at"`
	IDs       map[string]string `json:"ids"`
	// Pending are adds that were sent and whose outcome is not known yet:
	// old id → what was sent and when.
	Pending map[string]pendingAdd `json:"pending,omitempty"`
	Skipped []skippedItem         `json:"skipped,omitempty"`
}

// pendingAdd is an add that was sent and may or may not have happened.
type pendingAdd struct {
	Kind  material.Kind `json:"kind"`
	Name  string        `json:"name"`
	Since time.Time     `json:"since"` // the clock just before it was sent
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
	Already  int               `json:"already"`  // restored by an earlier run (in the map) and still in the target
	// InLibrary counts the items the target holds under their own id: a
	// restore into the account backed up adds only what it lost.
	InLibrary int `json:"in_library"`
	// Missing lists the items restored by this run that the source
	// library had lost when it was backed up (old ids).
	Missing []string `json:"missing_restored,omitempty"`
	// LeftOut counts such items left out by --present-only.
	LeftOut int `json:"left_out,omitempty"`
	// Returned counts the lost items the backup also holds as present,
	// under another id with the same kind, name and content (a restore
	// into the account brought them back): not restored twice.
	Returned int `json:"returned,omitempty"`
	// Readded lists the items the map said were restored but the target
	// no longer held: added again (old ids).
	Readded []string `json:"readded,omitempty"`
	// Found maps the items whose add had an unknown outcome and that were
	// found in the target, with the same name and content: recorded, not
	// added again (old id → new id).
	Found map[string]string `json:"found,omitempty"`
	// Duplicates lists further items of the target with the same name and
	// content as one found: an earlier add that was not recorded.
	Duplicates []string      `json:"duplicates,omitempty"`
	Skipped    []skippedItem `json:"skipped"`
}

// newsSkipReason says why news is not restored.
const newsSkipReason = "news cannot be created any more: add_news went offline upstream on 2022-02-28 (recreate it as a draft)"

// maxAddAttempts is how many adds of one item restore sends in a run
// while their outcome is unknown and the item is not found.
const maxAddAttempts = 3

// runRestore is "wxmaterial restore".
func runRestore(ctx context.Context, a *app, args []string) error {
	fs := a.flags("restore")
	mapFlag := fs.String("map", "", "write the map of old ids to new ones to `FILE` (default: DIR/restore-<account>.json); an existing map is continued, after checking that the target still holds what it lists")
	presentOnly := fs.Bool("present-only", false, "restore only the items the library still held at the last backup; by default the items it had lost are restored too")
	fs.Bool("allow-same-account", false, "no longer needed, accepted for old scripts: into the account backed up, restore adds only what its library lost")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give one backup folder, got %d arguments", len(rest))
	}
	dir := rest[0]
	if *mapFlag != "" {
		// The map is written as items are restored: its folder must be
		// there before the first one is.
		if err := checkParent(*mapFlag); err != nil {
			if ue := (*usageError)(nil); errors.As(err, &ue) {
				return usagef("--map %s: %s", *mapFlag, ue.msg)
			}
			return err
		}
	}
	m, err := readManifest(dir)
	if isNotExist(err) {
		return fmt.Errorf("%s is not a backup: it has no %s", dir, manifestName)
	}
	if err != nil {
		return err
	}
	if err := checkUniqueIDs(m); err != nil {
		return fmt.Errorf("nothing restored: backup damaged: %w", err)
	}
	// Every file of the backup is read through root, which refuses a
	// symlink out of the folder.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if !m.Complete {
		a.warnf("the backup in %s is incomplete (its last run did not finish); restoring the %d items it holds", dir, len(m.Items))
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
	r := &restorer{a: a, b: b, lib: lib, dir: dir, root: root, mapPath: *mapFlag}
	if r.mapPath == "" {
		r.mapPath = filepath.Join(dir, "restore-"+transport.CleanFilename(b.account)+".json")
	}
	r.ids, err = readIDMap(r.mapPath)
	switch {
	case isNotExist(err):
		r.ids = &idMap{Format: manifestFormat, Source: m.Account, Target: b.account, IDs: map[string]string{}}
	case err != nil:
		return err
	case r.ids.Target != b.account:
		return fmt.Errorf("%s is the map of a restore into %s, not into %s (the account you are restoring into): give --map another file", r.mapPath, r.ids.Target, b.account)
	case r.ids.Source != m.Account:
		return fmt.Errorf("%s maps the items of %s, but the backup in %s is of %s: give --map another file", r.mapPath, r.ids.Source, dir, m.Account)
	}
	if r.ids.Pending == nil {
		r.ids.Pending = map[string]pendingAdd{}
	}

	// What the target holds, listed once: the map is checked against it,
	// and an item it holds under its own id needs nothing.
	have, err := libraryIDs(ctx, lib)
	if err != nil {
		return err
	}
	// Check every file to send before sending any.
	var todo []entry
	res := &restoreResult{Dir: dir, Map: r.mapPath, Source: m.Account, Target: b.account, Restored: map[string]string{}, Skipped: []skippedItem{}}
	r.res = res
	present := map[contentKey]bool{}
	for _, e := range m.Items {
		if e.MissingSince == nil {
			present[keyOf(e)] = true
		}
	}
	var readded []string // notes on items the map listed but the target lost
	for _, e := range m.Items {
		switch {
		case e.Kind == material.KindNews:
			res.Skipped = append(res.Skipped, skippedItem{MediaID: e.MediaID, Kind: string(e.Kind), Titles: titles(e.News), Reason: newsSkipReason})
			continue
		case e.MissingSince != nil && *presentOnly:
			res.LeftOut++
			continue
		case e.MissingSince != nil && present[keyOf(e)]:
			res.Returned++
			continue
		}
		if newID := r.ids.IDs[e.MediaID]; newID != "" {
			if have[newID] {
				res.Already++
				continue
			}
			// Said once every file has passed its check: a restore
			// refused for a damaged backup adds nothing.
			readded = append(readded, fmt.Sprintf("%s %s was restored as %s, which %s no longer holds: adding it again", e.Kind, e.MediaID, newID, b.account))
			delete(r.ids.IDs, e.MediaID)
			res.Readded = append(res.Readded, e.MediaID)
		} else if have[e.MediaID] {
			res.InLibrary++
			continue
		}
		if err := checkRestorable(ctx, root, e); err != nil {
			return fmt.Errorf("nothing restored: %w", err)
		}
		todo = append(todo, e)
	}
	r.ids.Skipped = res.Skipped
	for _, note := range readded {
		a.notef("%s", note)
	}

	a.infof("restoring %d %s of %s into %s (%d restored before, %d still in the library, %d news to skip)", len(todo), plural(len(todo), "item"), m.Account, b.account, res.Already, res.InLibrary, len(res.Skipped))
	bar := a.newBar(int64(len(todo)), false, "restore")
	for i, e := range todo {
		newID, err := r.one(ctx, e)
		if err != nil {
			bar.done()
			if werr := r.writeMap(); werr != nil {
				err = fmt.Errorf("%w (and writing the map failed: %v)", err, werr)
			}
			a.emitRestore(*res)
			if errors.Is(err, material.ErrOutcomeUnknown) {
				return fmt.Errorf("%s %s (%d of %d restored): %w", e.Kind, e.MediaID, i, len(todo), err)
			}
			return fmt.Errorf("%s %s (%d of %d restored): %w; run the same command again to go on", e.Kind, e.MediaID, i, len(todo), err)
		}
		r.ids.IDs[e.MediaID] = newID
		delete(r.ids.Pending, e.MediaID)
		res.Restored[e.MediaID] = newID
		if e.MissingSince != nil {
			res.Missing = append(res.Missing, e.MediaID)
		}
		if err := r.writeMap(); err != nil {
			bar.done()
			return fmt.Errorf("%s %s was restored as %s but the map could not be written: %w", e.Kind, e.MediaID, newID, err)
		}
		bar.add(1)
		if !a.terminal {
			a.infof("[%d/%d] %s %s → %s", i+1, len(todo), e.Kind, e.MediaID, newID)
		}
	}
	bar.done()
	if err := r.writeMap(); err != nil {
		return err
	}
	return a.emitRestore(*res)
}

// checkUniqueIDs refuses a manifest that lists a media id twice: each id
// is one item of the library backed up, restored once and mapped to one new
// id, so a repeated id is a damaged or forged manifest, not two items.
func checkUniqueIDs(m *manifest) error {
	first := map[string]int{}
	for i, e := range m.Items {
		if j, ok := first[e.MediaID]; ok {
			return fmt.Errorf("the manifest lists media id %s twice (items %d and %d)", e.MediaID, j+1, i+1)
		}
		first[e.MediaID] = i
	}
	return nil
}

// contentKey tells items apart by what restore would send.
type contentKey struct {
	kind         material.Kind
	name, sha256 string
}

// keyOf returns e's contentKey.
func keyOf(e entry) contentKey { return contentKey{e.Kind, e.Name, e.SHA256} }

// isAre returns "was" for one and "were" for more.
func isAre(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// restorer is one run of restore.
type restorer struct {
	a       *app
	b       *backend
	lib     material.Library
	dir     string
	root    *os.Root // dir
	mapPath string
	ids     *idMap
	res     *restoreResult
}

// writeMap writes the id map.
func (r *restorer) writeMap() error {
	r.ids.UpdatedAt = time.Now().UTC()
	_, err := writeJSONAtomic(r.mapPath, r.ids)
	return err
}

// one adds e to the library and returns its new id. Before each add, the
// map records it as pending, so that an add whose outcome is unknown (the
// run stopped, the reply was lost) is looked for before it is sent again:
// by this run, right away, or by the next one.
func (r *restorer) one(ctx context.Context, e entry) (string, error) {
	if p, ok := r.ids.Pending[e.MediaID]; ok {
		r.a.warnf("%s %s %q: an earlier run added it and did not learn the outcome", e.Kind, e.MediaID, p.Name)
		id, err := r.settle(ctx, e, p)
		if err != nil {
			return "", fmt.Errorf("looking for the item an earlier run may have added: %w (it stays pending in %s: the next run looks for it again before adding it)", err, r.mapPath)
		}
		if id != "" {
			return id, nil
		}
	}
	rel, err := e.relPath()
	if err != nil {
		return "", err
	}
	for attempt := 1; ; attempt++ {
		pend := pendingAdd{Kind: e.Kind, Name: restoreName(e, rel), Since: time.Now().UTC()}
		r.ids.Pending[e.MediaID] = pend
		if err := r.writeMap(); err != nil {
			return "", fmt.Errorf("nothing sent: writing the map: %w", err)
		}
		newID, err := restoreItem(ctx, r.lib, r.root, e)
		if err == nil {
			return newID, nil
		}
		err = explainOutcome(err, false, "") // what restore does about it, it says itself
		if !errors.Is(err, material.ErrOutcomeUnknown) {
			delete(r.ids.Pending, e.MediaID)
			return "", err
		}
		r.a.warnf("%s %s %q: the add may or may not have happened: %v", e.Kind, e.MediaID, pend.Name, err)
		if ctx.Err() != nil {
			return "", fmt.Errorf("%w (it is recorded as pending in %s: the next run looks for it before adding it again)", err, r.mapPath)
		}
		id, serr := r.settle(ctx, e, pend)
		switch {
		case serr != nil:
			return "", fmt.Errorf("%w; looking for it failed: %v (it is recorded as pending in %s: the next run looks for it before adding it again)", err, serr, r.mapPath)
		case id != "":
			return id, nil
		case attempt == maxAddAttempts:
			return "", fmt.Errorf("%w (%d adds with no known outcome, none found in the library; it is recorded as pending in %s: the next run looks for it before adding it again)", err, attempt, r.mapPath)
		}
		r.a.warnf("%s %s: adding it again", e.Kind, e.MediaID)
	}
}

// settle looks for the item that the add pend of e may have created: items
// of its kind and name updated since pend.Since, with the content of e's
// file, that the map does not give to another item. It returns the newest,
// or "" when there is none, and says what it found.
func (r *restorer) settle(ctx context.Context, e entry, pend pendingAdd) (string, error) {
	candidates, err := findAdded(ctx, r.lib, pend.Kind, pend.Name, pend.Since)
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, id := range r.ids.IDs {
		taken[id] = true
	}
	var same, other []string
	for _, it := range candidates {
		if taken[it.MediaID] {
			continue
		}
		sum, err := contentHash(ctx, r.b, r.lib, it.MediaID)
		if err != nil {
			return "", fmt.Errorf("reading %s %s to compare it: %w", it.Kind, it.MediaID, err)
		}
		if sum == e.SHA256 {
			same = append(same, it.MediaID)
		} else {
			other = append(other, it.MediaID)
		}
	}
	looked := fmt.Sprintf("looked in %s for %s items named %q updated since %s", r.b.account, pend.Kind, pend.Name, stamp(pend.Since.Add(-findSlack)))
	if len(same) == 0 {
		found := "found none with its content"
		if len(other) > 0 {
			found += fmt.Sprintf(" (%d with that name and other content, not touched: %v)", len(other), other)
		}
		r.a.warnf("%s %s: %s: %s, so it was not added", e.Kind, e.MediaID, looked, found)
		return "", nil
	}
	r.a.warnf("%s %s: %s: found %s with its content: it was added; recorded, not added again", e.Kind, e.MediaID, looked, same[0])
	if len(same) > 1 {
		r.a.warnf("%s %s: %d more with the same name and content: %v; if they are copies of this restore, delete them with 'wxmaterial delete ID'", e.Kind, e.MediaID, len(same)-1, same[1:])
		r.res.Duplicates = append(r.res.Duplicates, same[1:]...)
	}
	if r.res.Found == nil {
		r.res.Found = map[string]string{}
	}
	r.res.Found[e.MediaID] = same[0]
	return same[0], nil
}

// contentHash returns the SHA-256 (hex) of a library item's file: its
// bytes, or a video's through its link.
func contentHash(ctx context.Context, b *backend, lib material.Library, id string) (string, error) {
	asset, err := lib.Get(ctx, id)
	if err != nil {
		return "", err
	}
	defer asset.Close()
	c := asset.Content
	if c == nil && asset.Video != nil {
		if c, err = b.fetchURL(ctx, asset.Video.DownURL); err != nil {
			return "", err
		}
		defer c.Close()
	}
	if c == nil {
		return "", nil
	}
	sum, _, err := hashReader(ctxReader{ctx, c.Body})
	return sum, err
}

// libraryIDs lists the ids of the files in the library (news aside).
func libraryIDs(ctx context.Context, lib material.Library) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, k := range libraryKinds {
		if k == material.KindNews {
			continue
		}
		for it, err := range lib.List(ctx, k) {
			if err != nil {
				return nil, fmt.Errorf("nothing restored: listing the target's %s items: %w", k, err)
			}
			ids[it.MediaID] = true
		}
	}
	return ids, nil
}

// checkRestorable checks that an item's file is in the backup, a regular
// file inside it with its recorded hash, and within the permanent
// library's limits.
func checkRestorable(ctx context.Context, root *os.Root, e entry) error {
	src, f, err := openRestorable(ctx, root, e)
	if err != nil {
		return err
	}
	defer f.Close()
	rule, err := material.RuleFor(material.OfficialAccount, material.APIPermanent, e.Kind)
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.Kind, e.MediaID, err)
	}
	return rule.Validate(src)
}

// openRestorable opens an item's file in the backup once, checks it (see
// openEntry) and returns the Source to upload, which reads that same open
// file, and the file, for the caller to close after the upload.
func openRestorable(ctx context.Context, root *os.Root, e entry) (material.Source, *os.File, error) {
	f, err := e.openEntry(ctx, root)
	if err != nil {
		return material.Source{}, nil, fmt.Errorf("backup damaged: %w", err)
	}
	rel, _ := e.relPath()
	// A file and a known size: a replayable window of the handle checked.
	return material.FromReader(restoreName(e, rel), f, e.Size), f, nil
}

// restoreName is the file name an item is uploaded under: its library name.
func restoreName(e entry, p string) string {
	// The library's name, kept: cleaned of what no name may hold (a
	// control character, a bidirectional override), not refused.
	if n := material.CleanFileName(e.Name); n != "" && n != "." && n != ".." {
		return n
	}
	return filepath.Base(p)
}

// restoreItem adds one backed-up file to the library and returns its new
// id. The file is checked again, from the handle the upload reads.
func restoreItem(ctx context.Context, lib material.Library, root *os.Root, e entry) (string, error) {
	src, f, err := openRestorable(ctx, root, e)
	if err != nil {
		return "", err
	}
	defer f.Close()
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
		// The manifest's text, shown in one line: a tab or a newline in it
		// escaped, like any control character (safeText).
		q := func(s string) string { return safeText(s, "") }
		source := q(res.Source)
		fmt.Fprintf(w, "restored %d %s of %s into %s (%d restored before, %d still in the library); map: %s\n", len(res.Restored), plural(len(res.Restored), "item"), source, q(res.Target), res.Already, res.InLibrary, q(res.Map))
		if n := len(res.Missing); n > 0 {
			fmt.Fprintf(w, "  %d of them %s no longer in the library of %s when it was backed up (restored too; --present-only leaves such items out)\n", n, isAre(n), source)
		}
		if res.Returned > 0 {
			fmt.Fprintf(w, "  %d lost %s %s back in the library of %s under another id (same name and content): not restored twice\n", res.Returned, plural(res.Returned, "item"), isAre(res.Returned), source)
		}
		if res.LeftOut > 0 {
			fmt.Fprintf(w, "  %d %s no longer in the library of %s when it was backed up: left out (--present-only)\n", res.LeftOut, plural(res.LeftOut, "item"), source)
		}
		if n := len(res.Readded); n > 0 {
			fmt.Fprintf(w, "  %d %s the map listed but %s no longer held: added again\n", n, plural(n, "item"), q(res.Target))
		}
		if n := len(res.Found); n > 0 {
			fmt.Fprintf(w, "  %d %s whose add had an unknown outcome found in %s: recorded, not added again\n", n, plural(n, "item"), q(res.Target))
		}
		if len(res.Duplicates) > 0 {
			fmt.Fprintf(w, "  possible duplicates in %s (same name and content as an item restored): %s\n", q(res.Target), "["+q(strings.Join(res.Duplicates, " "))+"]")
		}
		for _, s := range res.Skipped {
			name := q(s.MediaID)
			if len(s.Titles) > 0 {
				name = fmt.Sprintf("%q", s.Titles[0])
				if len(s.Titles) > 1 {
					name += fmt.Sprintf(" (+%d more %s)", len(s.Titles)-1, plural(len(s.Titles)-1, "article"))
				}
				name += " " + q(s.MediaID)
			}
			fmt.Fprintf(w, "skipped %s %s: %s\n", q(string(s.Kind)), name, q(s.Reason))
		}
	})
}
