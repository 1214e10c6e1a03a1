package main

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// Account B of the round trip.
const (
	appB    = "wx00000000000000bb"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// readTestManifest reads dir's manifest.
func readTestManifest(t *testing.T, dir string) *manifest {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fileHashes lists the SHA-256 of every file in a manifest, sorted, after
// checking each file on disk has it.
func fileHashes(t *testing.T, dir string, m *manifest) []string {
	t.Helper()
	var h []string
	for _, e := range m.Items {
		if e.Kind == material.KindNews {
			continue
		}
		if err := e.verify(dir); err != nil {
			t.Fatal(err)
		}
		h = append(h, e.SHA256)
	}
	slices.Sort(h)
	return h
}

// TestQuickStartBackup is the README's quick start: a backup of the demo
// library on the embedded emulator, with no state and no credentials; run
// again, it finds everything there and verified.
func TestQuickStartBackup(t *testing.T) {
	t.Parallel()
	state, dir := t.TempDir(), filepath.Join(t.TempDir(), "demo-backup")
	var res backupResult
	cli(t, nil, append(embedded(state), "backup", dir, "--json")...).decode(t, &res)
	if !res.Complete || res.Items != 8 || res.Saved != 6 || res.News != 2 || res.Verified != 0 {
		t.Fatalf("first backup: %+v", res)
	}
	m := readTestManifest(t, dir)
	if !m.Complete || len(m.Items) != 8 || m.Account != emulator.DemoAppID {
		t.Fatalf("manifest: complete %v, %d items, account %s", m.Complete, len(m.Items), m.Account)
	}
	fileHashes(t, dir, m)
	for _, e := range m.Items {
		switch {
		case e.Kind == material.KindVideo && (e.Video == nil || e.Video.Title == ""):
			t.Fatalf("video without its description: %+v", e)
		case e.Kind == material.KindNews && (len(e.News) == 0 || e.News[0].Title == ""):
			t.Fatalf("news without its articles: %+v", e)
		case e.Kind != material.KindNews && (e.Name == "" || e.UpdatedAt.IsZero()):
			t.Fatalf("item without name or update time: %+v", e)
		}
	}
	cli(t, nil, append(embedded(state), "backup", dir, "--json")...).decode(t, &res)
	if !res.Complete || res.Saved != 0 || res.Verified != 6 {
		t.Fatalf("second backup: %+v", res)
	}
}

// TestBackupRestoreRoundTrip backs up the demo account, restores it into a
// second account, and finds the same counts (news, which cannot be created
// any more, skipped by name) and the same content hashes; a second restore
// adds nothing.
func TestBackupRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if err := s.AddOfficialAccount(appB, secretB); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backup")
	s.run(t, "backup", dir).ok(t)

	envB, flagsB := s.oa(appB, secretB)
	var res restoreResult
	cli(t, envB, append(flagsB, "restore", dir, "--json")...).decode(t, &res)
	if len(res.Restored) != 6 || len(res.Skipped) != 2 {
		t.Fatalf("restore: %d restored, %d skipped: %+v", len(res.Restored), len(res.Skipped), res)
	}
	for _, sk := range res.Skipped {
		if sk.Kind != "news" || len(sk.Titles) == 0 || !strings.Contains(sk.Reason, "add_news") {
			t.Fatalf("skipped item: %+v", sk)
		}
	}
	a, b := s.LibraryCounts(emulator.DemoAppID), s.LibraryCounts(appB)
	if want := (emulator.Counts{Image: a.Image, Voice: a.Voice, Video: a.Video}); b != want {
		t.Fatalf("account B holds %+v, want %+v (A: %+v, news skipped)", b, want, a)
	}
	for oldID, newID := range res.Restored {
		o, _ := s.Media(oldID)
		n, ok := s.Media(newID)
		if !ok || n.Owner != appB || n.SHA256 != o.SHA256 || n.Name != o.Name || n.Title != o.Title || n.Introduction != o.Introduction {
			t.Fatalf("restored %s as %+v, from %+v", oldID, n, o)
		}
	}
	// The map is on disk.
	ids, err := readIDMap(res.Map)
	if err != nil || !cmp.Equal(ids.IDs, res.Restored) {
		t.Fatalf("map %s: %v, %v", res.Map, ids, err)
	}

	// B backed up has the same files as A.
	dirB := filepath.Join(t.TempDir(), "backup-b")
	cli(t, envB, append(flagsB, "backup", dirB)...).ok(t)
	if diff := cmp.Diff(fileHashes(t, dir, readTestManifest(t, dir)), fileHashes(t, dirB, readTestManifest(t, dirB))); diff != "" {
		t.Fatalf("content hashes of A and B differ (-A +B):\n%s", diff)
	}

	// Again: nothing is added twice.
	res = restoreResult{}
	cli(t, envB, append(flagsB, "restore", dir, "--json")...).decode(t, &res)
	if len(res.Restored) != 0 || res.Already != 6 || s.LibraryCounts(appB) != b {
		t.Fatalf("second restore: %+v; B holds %+v", res, s.LibraryCounts(appB))
	}
	// Into the account it came from, which lost nothing: nothing to add.
	before := s.LibraryCounts(emulator.DemoAppID)
	res = restoreResult{}
	s.run(t, "restore", dir, "--json").decode(t, &res)
	if len(res.Restored) != 0 || res.InLibrary != 6 || s.LibraryCounts(emulator.DemoAppID) != before {
		t.Fatalf("restore into the account backed up: %+v; it holds %+v, held %+v", res, s.LibraryCounts(emulator.DemoAppID), before)
	}
}

// TestBackupResumes interrupts a backup part-way (the platform answers a
// daily quota error from the fourth get_material on), then runs it again:
// the second run fetches only what the first did not save.
func TestBackupResumes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var n atomic.Int32
	fault := s.Inject(emulator.Fault{
		Path:   "/cgi-bin/material/get_material",
		Times:  -1,
		Match:  func(*http.Request) bool { return n.Add(1) > 3 },
		Action: emulator.Errcode(45009, ""),
	})
	dir := t.TempDir()
	r := s.run(t, "backup", dir)
	r.fails(t, exitFailure, "run the same command again to resume")
	m := readTestManifest(t, dir)
	if m.Complete || len(fileHashes(t, dir, m)) != 3 {
		t.Fatalf("interrupted manifest: complete %v, %d files", m.Complete, len(fileHashes(t, dir, m)))
	}
	assertNoPartFiles(t, dir)

	fault.Remove()
	s.ResetRequests()
	var res backupResult
	s.run(t, "backup", dir, "--json").decode(t, &res)
	if !res.Complete || res.Verified != 3 || res.Saved != 3 || res.News != 2 {
		t.Fatalf("resumed backup: %+v", res)
	}
	if got := s.calls("/cgi-bin/material/get_material"); got != 3 {
		t.Fatalf("the resumed backup fetched %d items, want the 3 missing", got)
	}
	m = readTestManifest(t, dir)
	if !m.Complete || len(fileHashes(t, dir, m)) != 6 {
		t.Fatalf("final manifest: complete %v, %d files", m.Complete, len(fileHashes(t, dir, m)))
	}

	// A file damaged since is fetched again.
	var img entry
	for _, e := range m.Items {
		if e.Kind == material.KindImage {
			img = e
			break
		}
	}
	p, _ := img.path(dir)
	if err := os.WriteFile(p, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.run(t, "backup", dir, "--json").decode(t, &res)
	if res.Saved != 1 || res.Verified != 5 {
		t.Fatalf("backup after damage: %+v", res)
	}
	if err := img.verify(dir); err != nil {
		t.Fatal(err)
	}
}

// assertNoPartFiles fails if a temporary download is left in dir.
func assertNoPartFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}
