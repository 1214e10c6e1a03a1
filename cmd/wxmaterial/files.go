package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// errExists is a download whose target file is already there.
var errExists = errors.New("file exists (use --force to replace it)")

// written is a file put in place by writeAtomic.
type written struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// writeAtomic copies r into dir/name through a temporary file in dir, then
// moves it into place, so that the name never holds a partial file: an
// error, a short body or an interruption leaves no trace. size, when not
// negative, is the length r must yield. An existing file is replaced only
// when replace is true.
//
// name must be a bare file name (cleaned by safeName); dir must exist.
func writeAtomic(ctx context.Context, dir, name string, r io.Reader, size int64, replace bool) (w written, err error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return w, fmt.Errorf("refusing to write %q: not a plain file name", name)
	}
	final := filepath.Join(dir, name)
	if !replace {
		if _, err := os.Lstat(final); err == nil {
			return w, fmt.Errorf("%s: %w", final, errExists)
		}
	}
	tmp, err := os.CreateTemp(dir, ".wxmaterial-*.part")
	if err != nil {
		return w, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return w, err
	}
	if size >= 0 && n != size {
		return w, fmt.Errorf("download of %s ended after %d of %d bytes", name, n, size)
	}
	// Like a file made with os.Create under the usual umask, not the 0600 of
	// a temporary file.
	if err = tmp.Chmod(0o644); err != nil {
		return w, err
	}
	if err = tmp.Sync(); err != nil {
		return w, err
	}
	if err = tmp.Close(); err != nil {
		return w, err
	}
	if replace {
		err = os.Rename(tmp.Name(), final)
	} else {
		// A hard link fails if the name appeared meanwhile; rename would
		// silently replace it.
		if err = os.Link(tmp.Name(), final); err == nil {
			os.Remove(tmp.Name())
		} else if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s: %w", final, errExists)
		} else if _, statErr := os.Lstat(final); statErr == nil {
			err = fmt.Errorf("%s: %w", final, errExists)
		} else {
			err = os.Rename(tmp.Name(), final)
		}
	}
	if err != nil {
		return w, err
	}
	return written{Path: final, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeJSONAtomic writes v as indented JSON to path through a temporary
// file, and returns what it wrote.
func writeJSONAtomic(path string, v any) ([]byte, error) {
	b, err := marshalJSON(v, "  ")
	if err != nil {
		return nil, err
	}
	_, err = writeAtomic(context.Background(), filepath.Dir(path), filepath.Base(path), bytes.NewReader(b), int64(len(b)), true)
	return b, err
}

// ctxReader stops reading when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashReader returns the SHA-256 (hex) and length of what r yields.
func hashReader(r io.Reader) (sum string, size int64, err error) {
	h := sha256.New()
	size, err = io.Copy(h, r)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// maxFileNameBytes is the longest file name most file systems take.
const maxFileNameBytes = 255

// safeName returns a name safe to create in a folder: the server-supplied
// name cleaned of folders, "..", separators and control characters, or
// fallback (cleaned too) when nothing is left or the name is longer than
// a file system takes (keeping its extension). An extension judged from
// the content type is added when the name has none.
func safeName(serverName, fallback, contentType string) string {
	name := transport.CleanFilename(serverName)
	if len(name) > maxFileNameBytes {
		return fallbackName(name, fallback, contentType)
	}
	if name == "" {
		name = transport.CleanFilename(fallback)
	}
	if name == "" {
		name = "download"
	}
	if filepath.Ext(name) == "" {
		name += extensionOf(contentType)
	}
	return name
}

// fallbackName is the name a download takes when the server's is too long:
// fallback (the media id) with the extension of the server's name, or of
// the content type.
func fallbackName(serverName, fallback, contentType string) string {
	ext := filepath.Ext(transport.CleanFilename(serverName))
	if len(ext) > 16 || strings.ContainsAny(ext, " ") {
		ext = ""
	}
	if ext == "" {
		ext = extensionOf(contentType)
	}
	name := transport.CleanFilename(fallback)
	if name == "" {
		name = "download"
	}
	return shorten(name, maxNameBytes-len(ext)) + ext
}

// extensionOf returns a file extension for a MIME type, or "".
func extensionOf(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	switch mt {
	case "image/jpeg", "image/jpg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/bmp":
		return ".bmp"
	case "audio/amr":
		return ".amr"
	case "audio/mpeg", "audio/mp3":
		return ".mp3"
	case "voice/speex", "audio/speex":
		return ".speex"
	case "video/mp4":
		return ".mp4"
	}
	return ""
}

// linkDownloader downloads the links a platform hands out instead of bytes:
// the Official Account client's DownloadURL.
type linkDownloader interface {
	DownloadURL(ctx context.Context, link string) (*material.Content, error)
}

// fetchURL downloads a link the platform handed out (a video's down_url
// or video_url), which needs no token, with the client's DownloadURL: the
// one rule for "file or error reply" (only file bytes come back), and every
// token and secret the client holds hidden from its errors, the link's own
// path included (a hostile server may put a token there). The caller closes
// the Content.
func (b *backend) fetchURL(ctx context.Context, link string) (*material.Content, error) {
	d, ok := b.svc.(linkDownloader)
	if !ok {
		return nil, fmt.Errorf("media link: the %s client downloads no links", b.platform)
	}
	content, err := d.DownloadURL(ctx, link)
	if err != nil {
		return nil, fmt.Errorf("media link: %w", err)
	}
	return content, nil
}

// checkNameFlag checks the file name given to a flag (copy --name,
// upload-url --name) before anything is sent: not empty or blank, a name
// rather than a path (the platforms take a bare name, and a folder the
// tool would silently drop is more likely a mistake), and a name of a file
// by the library's rule (not "." or ".."). A bad one is a usage error.
func checkNameFlag(flagName, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return usagef("--%s is empty: give a file name", flagName)
	case strings.ContainsAny(name, `/\`):
		return usagef("--%s %q: give a file name, not a path", flagName, name)
	}
	if err := material.CheckFileName(name); err != nil {
		return usagef("--%s %q: %v", flagName, name, err)
	}
	return nil
}

// checkFolder returns nil when dir is an existing folder, else a usage
// error naming it: the tool writes into folders that exist and creates
// only the file or folder the command line names, never a missing folder
// above it (a mistyped path should not grow a tree of folders).
func checkFolder(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usagef("folder %s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return usagef("%s is not a folder", dir)
	}
	return nil
}

// checkParent checks that the folder path goes in (the folder holding the
// file or folder it names) exists.
func checkParent(path string) error {
	return checkFolder(filepath.Dir(filepath.Clean(path)))
}
