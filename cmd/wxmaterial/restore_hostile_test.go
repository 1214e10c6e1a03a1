//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestRestoreRefusesHostileFiles: a backup handed over by someone else may
// hold a named pipe, a link to a device, a folder, or symlinks out of the
// backup folder (to a file whose hash the manifest records). Restore
// refuses each before it sends anything, promptly (a pipe or /dev/zero
// would otherwise hold it forever), and says which item and why.
func TestRestoreRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	must(t, s.AddOfficialAccount(appB, secretB))
	backup := hostileBackup(t, s)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string, img *entry)
		want   string
	}{
		{
			name: "named pipe",
			change: func(t *testing.T, dir string, img *entry) {
				img.File = "image/f.jpg"
				must(t, syscall.Mkfifo(filepath.Join(dir, "image", "f.jpg"), 0o644))
			},
			want: "file image/f.jpg is a named pipe (FIFO), not a regular file",
		},
		{
			name: "symlink to /dev/zero",
			change: func(t *testing.T, dir string, img *entry) {
				img.File, img.Size = "image/z.jpg", 5
				must(t, os.Symlink("/dev/zero", filepath.Join(dir, "image", "z.jpg")))
			},
			want: "file image/z.jpg leads outside the backup folder (through a symlink): refused",
		},
		{
			name: "folder",
			change: func(t *testing.T, dir string, img *entry) {
				img.File = "image/d.jpg"
				must(t, os.Mkdir(filepath.Join(dir, "image", "d.jpg"), 0o755))
			},
			want: "file image/d.jpg is a folder, not a regular file",
		},
		{
			name: "symlink to a file outside",
			change: func(t *testing.T, dir string, img *entry) {
				_, p := outsideCopy(t, dir, img)
				in := filepath.Join(dir, filepath.FromSlash(img.File))
				must(t, os.Remove(in))
				must(t, os.Symlink(p, in))
			},
			want: "leads outside the backup folder (through a symlink): refused",
		},
		{
			name: "symlinked folder",
			change: func(t *testing.T, dir string, img *entry) {
				out, _ := outsideCopy(t, dir, img)
				must(t, os.Symlink(out, filepath.Join(dir, "evil")))
				img.File = "evil/private.jpg"
			},
			want: "file evil/private.jpg leads outside the backup folder (through a symlink): refused",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := backup(t, func(dir string, img *entry) { tc.change(t, dir, img) })
			s.ResetRequests()
			envB, flagsB := s.oa(appB, secretB)
			r := cli(t, envB, append(flagsB, "restore", dir)...)
			r.fails(t, exitFailure, "nothing restored: backup damaged: image ")
			if !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("stderr does not say %q:\n%s", tc.want, r.stderr)
			}
			for _, req := range s.Requests() {
				if strings.Contains(req.Path, "add_") || strings.Contains(req.Path, "upload") {
					t.Errorf("sent %s", req.Path)
				}
			}
			if got := s.LibraryCounts(appB); got != (emulator.Counts{}) {
				t.Fatalf("account B holds %+v after a refused restore", got)
			}
		})
	}
}

// TestRestoreFollowsSymlinksInside: a symlink from one file of the backup
// to another inside it is read like the file.
func TestRestoreFollowsSymlinksInside(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	must(t, s.AddOfficialAccount(appB, secretB))
	dir := hostileBackup(t, s)(t, func(dir string, img *entry) {
		in := filepath.Join(dir, filepath.FromSlash(img.File))
		real := filepath.Join(dir, "image", "real.jpg")
		must(t, os.Rename(in, real))
		must(t, os.Symlink("real.jpg", in))
	})
	envB, flagsB := s.oa(appB, secretB)
	var res restoreResult
	cli(t, envB, append(flagsB, "restore", dir, "--json")...).decode(t, &res)
	if len(res.Restored) != 6 {
		t.Fatalf("restore through a symlink inside the backup: %+v", res)
	}
	if s.LibraryCounts(appB).Image != s.LibraryCounts(emulator.DemoAppID).Image {
		t.Fatalf("account B holds %+v, the demo account %+v", s.LibraryCounts(appB), s.LibraryCounts(emulator.DemoAppID))
	}
}

// TestRestoreRefusesDuplicateIDs: a manifest that lists an item twice
// (which would upload it twice and count it once) is refused, naming the
// id, before anything is sent.
func TestRestoreRefusesDuplicateIDs(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	must(t, s.AddOfficialAccount(appB, secretB))
	dir := hostileBackup(t, s)(t, func(string, *entry) {})
	m := readTestManifest(t, dir)
	var img entry
	for _, e := range m.Items {
		if e.Kind == material.KindImage {
			img = e
			break
		}
	}
	m.Items = append(m.Items, img)
	if _, err := m.write(dir); err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()
	envB, flagsB := s.oa(appB, secretB)
	cli(t, envB, append(flagsB, "restore", dir)...).fails(t, exitFailure, "nothing restored: backup damaged: the manifest lists media id "+img.MediaID+" twice")
	for _, req := range s.Requests() {
		t.Errorf("sent %s", req.Path)
	}
	if got := s.LibraryCounts(appB); got != (emulator.Counts{}) {
		t.Fatalf("account B holds %+v after a refused restore", got)
	}
}

// TestRefusedRestoreSaysNothingOfReadding: an item the id map lists but the
// target lost is announced as "adding it again" only once every file has
// passed its check: a restore refused for a damaged backup adds nothing,
// and says nothing of adding.
func TestRefusedRestoreSaysNothingOfReadding(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	must(t, s.AddOfficialAccount(appB, secretB))
	dir := hostileBackup(t, s)(t, func(string, *entry) {})
	envB, flagsB := s.oa(appB, secretB)
	var res restoreResult
	cli(t, envB, append(flagsB, "restore", dir, "--json")...).decode(t, &res)
	// The target loses an item the map lists, and that item's file in the
	// backup is damaged (a named pipe).
	m := readTestManifest(t, dir)
	var lost string
	for _, e := range m.Items {
		if e.Kind == material.KindVoice {
			lost = res.Restored[e.MediaID]
			must(t, os.Remove(filepath.Join(dir, filepath.FromSlash(e.File))))
			must(t, syscall.Mkfifo(filepath.Join(dir, filepath.FromSlash(e.File)), 0o644))
			break
		}
	}
	if lost == "" {
		t.Fatal("no voice restored to lose")
	}
	cli(t, envB, append(flagsB, "delete", lost)...).ok(t)
	r := cli(t, envB, append(flagsB, "restore", dir)...)
	r.fails(t, exitFailure, "nothing restored: backup damaged")
	if strings.Contains(r.stderr, "adding it again") {
		t.Errorf("a refused restore announced adding an item again:\n%s", r.stderr)
	}
}

// TestRestoreCleansNames: an item whose name holds what no name may hold (a
// control character, a bidirectional override: the library may hold one
// added before the check, or a manifest may carry one) is restored under
// its name cleaned, not refused, and the restore goes on.
func TestRestoreCleansNames(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	must(t, s.AddOfficialAccount(appB, secretB))
	dir := hostileBackup(t, s)(t, func(_ string, img *entry) { img.Name = "a\x1b[31m\u202egnp.png" })
	envB, flagsB := s.oa(appB, secretB)
	var res restoreResult
	cli(t, envB, append(flagsB, "restore", dir, "--json")...).decode(t, &res)
	if len(res.Restored) != 6 {
		t.Fatalf("restored %d items, want 6: %+v", len(res.Restored), res)
	}
	found := false
	for _, m := range s.ListMedia(emulator.MediaFilter{Owner: appB, Family: "permanent"}) {
		if m.Name == "a[31mgnp.png" {
			found = true
		}
		if strings.ContainsAny(m.Name, "\x1b\u202e") {
			t.Errorf("account B holds a name %q", m.Name)
		}
	}
	if !found {
		t.Error("the item was not restored under its cleaned name a[31mgnp.png")
	}
}
