package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// hostileBackup backs up the demo account once and returns a function that
// copies that backup to a new folder, lets change alter the copy and its
// manifest's first image, and writes the manifest back.
func hostileBackup(t *testing.T, s *server) func(t *testing.T, change func(dir string, img *entry)) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "backup")
	s.run(t, "backup", src).ok(t)
	return func(t *testing.T, change func(dir string, img *entry)) string {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "backup")
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		m := readTestManifest(t, dir)
		for i := range m.Items {
			if m.Items[i].Kind == material.KindImage {
				change(dir, &m.Items[i])
				break
			}
		}
		if _, err := m.write(dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
}

// outsideCopy copies the image's file out of the backup folder, into a
// folder of its own, and returns that folder and the copy's path.
func outsideCopy(t *testing.T, dir string, img *entry) (string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(img.File)))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	p := filepath.Join(out, "private.jpg")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out, p
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
