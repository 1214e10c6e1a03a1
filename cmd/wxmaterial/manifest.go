package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// manifestName is the backup's index, in the backup folder.
const manifestName = "manifest.json"

// manifestFormat is the version of the manifest's layout.
const manifestFormat = 1

// manifest is a backup's index: what the library held and where each
// file is. It is rewritten (atomically) as the backup goes, so that an
// interrupted run can be resumed.
type manifest struct {
	Format    int              `json:"format"`
	Platform  string           `json:"platform"` // "officialaccount"
	Account   string           `json:"account"`  // the appid
	StartedAt time.Time        `json:"started_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	Complete  bool             `json:"complete"`         // the last run saved every item it listed
	Counts    *material.Counts `json:"counts,omitempty"` // get_materialcount at the start of the last run
	// Links says, for a backup of the embedded emulator, that the url
	// fields point at a loopback port that closed when the backup ended.
	Links string  `json:"links,omitempty"`
	Items []entry `json:"items"`
}

// entry is one library item in a backup.
type entry struct {
	MediaID     string             `json:"media_id"`
	Kind        material.Kind      `json:"kind"` // image (thumbs included), voice, video or news
	Name        string             `json:"name,omitempty"`
	UpdatedAt   time.Time          `json:"updated_at"`
	URL         string             `json:"url,omitempty"`
	File        string             `json:"file,omitempty"` // slash-separated, relative to the backup folder
	Size        int64              `json:"size,omitempty"`
	SHA256      string             `json:"sha256,omitempty"`
	ContentType string             `json:"content_type,omitempty"`
	Video       *videoInfo         `json:"video,omitempty"`
	News        []material.Article `json:"news_item,omitempty"`
	// MissingSince is when a backup first found the item no longer in the
	// library; its file and record are kept, for restore.
	MissingSince *time.Time `json:"missing_since,omitempty"`
}

// videoInfo is what get_material says of a permanent video.
type videoInfo struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	DownURL     string `json:"down_url,omitempty"`
}

// readManifest reads dir's manifest. A folder without one gives
// fs.ErrNotExist.
func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, manifestName), err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%s: manifest format %d, this wxmaterial reads %d", filepath.Join(dir, manifestName), m.Format, manifestFormat)
	}
	return &m, nil
}

// write replaces dir's manifest atomically and returns what it wrote.
func (m *manifest) write(dir string) ([]byte, error) {
	return writeJSONAtomic(filepath.Join(dir, manifestName), m)
}

// path returns the entry's file on disk, refusing a manifest path that
// would leave the backup folder as text. Read it with openEntry, which also
// refuses a symlink out of the folder.
func (e *entry) path(dir string) (string, error) {
	rel, err := e.relPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, rel), nil
}

// relPath returns the entry's file relative to the backup folder, refusing
// a manifest path that would leave it as text.
func (e *entry) relPath() (string, error) {
	if e.File == "" {
		return "", fmt.Errorf("%s %s has no file in the backup", e.Kind, e.MediaID)
	}
	rel := filepath.FromSlash(e.File)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s %s: file %q is outside the backup folder", e.Kind, e.MediaID, e.File)
	}
	return rel, nil
}

// verify reports whether the entry's file is in dir, a regular file inside
// it, with its recorded size and hash.
func (e *entry) verify(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := e.openEntry(context.Background(), root)
	if err != nil {
		return err
	}
	return f.Close()
}

// backupFileName is where an item's bytes go: <kind>/<media id>_<name>,
// both cleaned, at most maxNameBytes long with the extension kept. A media
// id that cleaning changes or that is long (no real one is: they are
// letters, digits, '-' and '_') gets the start of its SHA-256 after it, so
// that two ids never share a file ("sub/ID" and "ID" both clean to "ID").
func backupFileName(kind material.Kind, mediaID, name, ext string) string {
	id := transport.CleanFilename(mediaID)
	if id != mediaID || len(id) > maxPlainID {
		sum := sha256.Sum256([]byte(mediaID))
		id = shorten(id, maxPlainID) + "~" + hex.EncodeToString(sum[:8])
	}
	n := transport.CleanFilename(name)
	if n == "" {
		n = string(kind) + ext
	}
	if filepath.Ext(n) == "" {
		n += ext
	}
	return string(kind) + "/" + shorten(id+"_"+n, maxNameBytes)
}

// maxPlainID is the longest media id used as it is in a backup's file
// names; real ids are about 64 bytes.
const maxPlainID = 100

// maxNameBytes keeps file names below the 255-byte limit of most file
// systems, with room for the temporary file's prefix.
const maxNameBytes = 200

// shorten cuts name to at most max bytes on a UTF-8 boundary, keeping its
// extension.
func shorten(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	cut := max - len(ext)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return stem[:cut] + ext
}

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
