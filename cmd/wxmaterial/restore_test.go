package main

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// demoItem returns the id of the demo library's item of kind named name.
func demoItem(t *testing.T, s *server, kind material.Kind, name string) string {
	t.Helper()
	var items []listedItem
	s.run(t, "list", "--kind", string(kind), "--json").decode(t, &items)
	for _, it := range items {
		if it.Name == name {
			return it.MediaID
		}
	}
	t.Fatalf("no %s named %s in the demo library: %+v", kind, name, items)
	return ""
}

// TestBackupKeepsWhatTheLibraryLost: items deleted from the library stay
// in the backup, marked with the time a backup first noticed, and restore
// brings them back by default: into another account, into the account
// that lost them (only what it lost), and not with --present-only.
func TestBackupKeepsWhatTheLibraryLost(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, acc := range []string{appB, appC} {
		if err := s.AddOfficialAccount(acc, secretB); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "backup")
	s.run(t, "backup", dir).ok(t)
	full := s.LibraryCounts(emulator.DemoAppID)
	voice, sea := demoItem(t, s, material.KindVoice, "hello.amr"), demoItem(t, s, material.KindImage, "sea.jpg")
	s.run(t, "delete", voice, sea).ok(t)

	var res backupResult
	r := s.run(t, "backup", dir, "--json")
	r.decode(t, &res)
	if res.Items != 6 || res.Missing != 2 || res.MissingNew != 2 || !res.Complete {
		t.Fatalf("backup after two deletes: %+v", res)
	}
	if !strings.Contains(r.stderr, voice+" hello.amr is no longer in the library: kept in the backup") {
		t.Fatalf("the backup does not say what the library lost:\n%s", r.stderr)
	}
	m := readTestManifest(t, dir)
	noticed := map[string]string{}
	for _, e := range m.Items {
		if e.MissingSince != nil {
			if err := e.verify(dir); err != nil {
				t.Fatalf("lost item's file: %v", err)
			}
			noticed[e.MediaID] = e.MissingSince.String()
		}
	}
	if len(m.Items) != 8 || len(noticed) != 2 || noticed[voice] == "" || noticed[sea] == "" {
		t.Fatalf("manifest: %d items, marked missing: %v", len(m.Items), noticed)
	}
	text := s.run(t, "backup", dir).ok(t)
	if !strings.Contains(text, "2 no longer in the library (0 noticed now") {
		t.Fatalf("third backup:\n%s", text)
	}
	for _, e := range readTestManifest(t, dir).Items {
		if e.MissingSince != nil && noticed[e.MediaID] != e.MissingSince.String() {
			t.Fatalf("%s: the time noticed moved from %s to %s", e.MediaID, noticed[e.MediaID], e.MissingSince)
		}
	}

	// Into another account: everything, the lost items included, and it
	// says so.
	envB, flagsB := s.oa(appB, secretB)
	var rr restoreResult
	cli(t, envB, append(flagsB, "restore", dir, "--json")...).decode(t, &rr)
	if len(rr.Restored) != 6 || !cmp.Equal(sorted(rr.Missing), sorted([]string{voice, sea})) {
		t.Fatalf("restore into B: %+v", rr)
	}
	if got := s.LibraryCounts(appB); got != (emulator.Counts{Image: full.Image, Voice: full.Voice, Video: full.Video}) {
		t.Fatalf("B holds %+v, the library held %+v", got, full)
	}

	// --present-only leaves them out.
	envC, flagsC := s.oa(appC, secretB)
	rr = restoreResult{}
	cli(t, envC, append(flagsC, "restore", dir, "--present-only", "--json")...).decode(t, &rr)
	if len(rr.Restored) != 4 || rr.LeftOut != 2 || len(rr.Missing) != 0 {
		t.Fatalf("restore --present-only: %+v", rr)
	}
	if got := s.LibraryCounts(appC); got != (emulator.Counts{Image: full.Image - 1, Video: full.Video}) {
		t.Fatalf("C holds %+v", got)
	}

	// Into the account that lost them: what it lost, and nothing else.
	rr = restoreResult{}
	text = s.run(t, "restore", dir).ok(t)
	if !strings.HasPrefix(text, "restored 2 items of "+emulator.DemoAppID+" into "+emulator.DemoAppID+" (0 restored before, 4 still in the library)") ||
		!strings.Contains(text, "\n  2 of them were no longer in the library of "+emulator.DemoAppID+" when it was backed up (restored too; --present-only leaves such items out)\n") {
		t.Fatalf("restore into the account that lost two items does not say what it did:\n%s", text)
	}
	if got := s.LibraryCounts(emulator.DemoAppID); got != full {
		t.Fatalf("the account that lost two items holds %+v after the restore, held %+v", got, full)
	}
	ids, err := readIDMap(filepath.Join(dir, "restore-"+emulator.DemoAppID+".json"))
	if err != nil || len(ids.IDs) != 2 {
		t.Fatalf("map: %+v, %v", ids, err)
	}
	for _, e := range m.Items {
		if id, ok := ids.IDs[e.MediaID]; ok {
			if n, _ := s.Media(id); n.SHA256 != e.SHA256 || n.Name != e.Name {
				t.Fatalf("%s came back as %+v, backed up as %+v", e.MediaID, n, e)
			}
		}
	}

	// Backed up again, the library holds them under new ids and the backup
	// keeps the old ones as lost: a restore sends each once.
	s.run(t, "backup", dir).ok(t)
	if err := s.AddOfficialAccount(appD, secretB); err != nil {
		t.Fatal(err)
	}
	envD, flagsD := s.oa(appD, secretB)
	rr = restoreResult{}
	cli(t, envD, append(flagsD, "restore", dir, "--json")...).decode(t, &rr)
	if len(rr.Restored) != 6 || rr.Returned != 2 || len(rr.Missing) != 0 {
		t.Fatalf("restore of a backup whose lost items came back: %+v", rr)
	}
	if got := s.LibraryCounts(appD); got != s.LibraryCounts(appB) {
		t.Fatalf("D holds %+v, B %+v", got, s.LibraryCounts(appB))
	}
}

// Accounts C and D of the restore tests.
const (
	appC = "wx00000000000000cc"
	appD = "wx00000000000000dd"
)

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestRestoreChecksItsMap: an id map is checked against the target before
// anything is skipped as restored before. Into a fresh emulator state with
// an old map, everything is added again; an item deleted from the target
// since is added again; a map of a restore into another account is
// refused.
func TestRestoreChecksItsMap(t *testing.T) {
	t.Parallel()
	state, dir := t.TempDir(), filepath.Join(t.TempDir(), "backup")
	demo2 := append(embedded(state), "--appid", emulator.DemoAppID2)
	cli(t, nil, append(embedded(state), "backup", dir)...).ok(t)
	var rr restoreResult
	cli(t, nil, append(demo2, "restore", dir, "--json")...).decode(t, &rr)
	if len(rr.Restored) != 6 {
		t.Fatalf("first restore: %+v", rr)
	}

	// The case: a fresh state, the same account names, the old
	// map: every item is added again, none skipped.
	fresh := append(embedded(t.TempDir()), "--appid", emulator.DemoAppID2)
	r := cli(t, nil, append(fresh, "restore", dir, "--json")...)
	rr = restoreResult{}
	r.decode(t, &rr)
	if len(rr.Restored) != 6 || rr.Already != 0 || len(rr.Readded) != 6 {
		t.Fatalf("restore into a fresh state with the old map: %+v", rr)
	}
	if !strings.Contains(r.stderr, "which "+emulator.DemoAppID2+" no longer holds: adding it again") {
		t.Fatalf("restore does not say why it adds again:\n%s", r.stderr)
	}
	var c material.Counts
	cli(t, nil, append(fresh, "count", "--json")...).decode(t, &c)
	if c != (material.Counts{Image: 4, Voice: 1, Video: 1}) {
		t.Fatalf("the fresh target holds %+v", c)
	}

	// One item deleted from the target: it alone is added again.
	var gone string
	for _, id := range rr.Restored {
		gone = id
		break
	}
	cli(t, nil, append(fresh, "delete", gone)...).ok(t)
	rr = restoreResult{}
	cli(t, nil, append(fresh, "restore", dir, "--json")...).decode(t, &rr)
	if len(rr.Restored) != 1 || rr.Already != 5 || len(rr.Readded) != 1 {
		t.Fatalf("restore after a delete in the target: %+v", rr)
	}

	// A map made for another account is refused, and nothing is sent.
	other := filepath.Join(dir, "restore-"+emulator.DemoAppID2+".json")
	cli(t, nil, append(embedded(state), "restore", dir, "--map", other)...).fails(t, exitFailure, "is the map of a restore into "+emulator.DemoAppID2+", not into "+emulator.DemoAppID)
	cli(t, nil, append(embedded(state), "count", "--json")...).decode(t, &c)
	if c != (material.Counts{Image: 4, Voice: 1, Video: 1, News: 2}) {
		t.Fatalf("a refused restore changed the library: %+v", c)
	}
}

// backedUp returns a server whose demo account is backed up in the
// returned folder, with an empty account appD to restore into.
func backedUp(t *testing.T) (*server, string) {
	t.Helper()
	s := newServer(t)
	dir := filepath.Join(t.TempDir(), "backup")
	s.run(t, "backup", dir).ok(t)
	if err := s.AddOfficialAccount(appD, secretB); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// TestRestoreAfterUnknownOutcome: when an add may or may not have happened,
// restore looks for the item by name, time and content before adding it
// again, and says what it found: the add that landed is recorded, the one
// that did not is sent again, and a run that could not look leaves the
// item pending for the next run, which finds it. The target never holds
// a copy too many.
func TestRestoreAfterUnknownOutcome(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		action emulator.FaultAction
		landed bool   // the faulted add was carried out
		said   string // what restore says it found
	}{
		{name: "landed, reply lost", action: emulator.DropResponse(0), landed: true, said: "with its content: it was added; recorded, not added again"},
		{name: "not carried out, 502", action: emulator.Status(http.StatusBadGateway), said: "found none with its content, so it was not added"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, dir := backedUp(t)
			var n atomic.Int32
			s.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Match: func(*http.Request) bool { return n.Add(1) == 2 }, Action: tc.action})
			envD, flagsD := s.oa(appD, secretB)
			var rr restoreResult
			r := cli(t, envD, append(flagsD, "restore", dir, "--json")...)
			r.decode(t, &rr)
			if !strings.Contains(r.stderr, "the add may or may not have happened") || !strings.Contains(r.stderr, tc.said) {
				t.Fatalf("restore does not say what it found:\n%s", r.stderr)
			}
			if len(rr.Restored) != 6 || (len(rr.Found) == 1) != tc.landed {
				t.Fatalf("restore: %+v", rr)
			}
			if got := s.LibraryCounts(appD); got != (emulator.Counts{Image: 4, Voice: 1, Video: 1}) {
				t.Fatalf("the target holds %+v, want each item once", got)
			}
		})
	}

	// The run that cannot look (the listing fails after the lost reply)
	// stops, with the item pending; the next run finds it.
	t.Run("pending across runs", func(t *testing.T) {
		t.Parallel()
		s, dir := backedUp(t)
		var dropped atomic.Bool
		add := s.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Match: func(*http.Request) bool { dropped.Store(true); return true }, Action: emulator.DropResponse(0)})
		list := s.Inject(emulator.Fault{Path: "/cgi-bin/material/batchget_material", Times: -1, Match: func(*http.Request) bool { return dropped.Load() }, Action: emulator.Errcode(45009, "")})
		envD, flagsD := s.oa(appD, secretB)
		r := cli(t, envD, append(flagsD, "restore", dir)...)
		r.fails(t, exitFailure, "the next run looks for it before adding it again")
		if strings.Contains(r.stderr, "run the same command again") || strings.Contains(r.stderr, "FindAdded") {
			t.Fatalf("restore tells the user to run the same command again blindly, or to call a Go function:\n%s", r.stderr)
		}
		ids, err := readIDMap(filepath.Join(dir, "restore-"+appD+".json"))
		if err != nil || len(ids.Pending) != 1 || len(ids.IDs) != 0 {
			t.Fatalf("map after the lost reply: %+v, %v", ids, err)
		}
		add.Remove()
		list.Remove()

		var rr restoreResult
		r = cli(t, envD, append(flagsD, "restore", dir, "--json")...)
		r.decode(t, &rr)
		if !strings.Contains(r.stderr, "an earlier run added it and did not learn the outcome") || len(rr.Found) != 1 || len(rr.Restored) != 6 {
			t.Fatalf("second run: %+v\n%s", rr, r.stderr)
		}
		if got := s.LibraryCounts(appD); got != (emulator.Counts{Image: 4, Voice: 1, Video: 1}) {
			t.Fatalf("the target holds %+v, want each item once", got)
		}
		if ids, _ := readIDMap(filepath.Join(dir, "restore-"+appD+".json")); len(ids.Pending) != 0 || len(ids.IDs) != 6 {
			t.Fatalf("final map: %+v", ids)
		}
	})
}
