package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// openEntry opens e's file in the backup folder root for reading, once:
// it refuses a path that leaves the folder (as text or through a symlink),
// anything but a regular file (a named pipe, a device, a folder), and a
// file that differs from the manifest's size or hash. The hash is read
// from the handle returned, with ctx and no further than one byte past the
// recorded size, so that what is checked is what the caller then reads:
// the file is returned at offset 0. The caller closes it.
func (e *entry) openEntry(ctx context.Context, root *os.Root) (*os.File, error) {
	rel, err := e.relPath()
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("%s %s: file %s", e.Kind, e.MediaID, e.File)
	// Stat first: opening a named pipe would wait for a writer, and
	// reading a device may never end.
	fi, err := root.Stat(rel)
	if err != nil {
		return nil, e.openError(root, rel, what, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", what, fileKind(fi.Mode()))
	}
	// Without blocking, in case it was swapped for a named pipe since.
	f, err := root.OpenFile(rel, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, e.openError(root, rel, what, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", what, fileKind(fi.Mode()))
	}
	if e.Size < 0 {
		return nil, fmt.Errorf("%s: the manifest records a negative size, %d", what, e.Size)
	}
	sum, size, err := hashReader(ctxReader{ctx, io.LimitReader(f, e.Size+1)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if size != e.Size || sum != e.SHA256 {
		more := ""
		if size > e.Size {
			more = " or more"
		}
		return nil, fmt.Errorf("%s differs from the manifest (size %d%s, sha256 %.12s…; recorded %d, %.12s…)", what, size, more, sum, e.Size, e.SHA256)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ok = true
	return f, nil
}

// openError explains why e's file could not be opened in root.
func (e *entry) openError(root *os.Root, rel, what string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing: %w", what, err)
	}
	// os.Root refuses a symlink (of the file or of a folder on its path)
	// that leads out of it with an error of its own (unexported: known by
	// its text); any other failure (permission, too many open files) is
	// said as it is.
	if strings.Contains(err.Error(), "path escapes from parent") {
		if _, serr := os.Stat(filepath.Join(root.Name(), rel)); serr == nil {
			return fmt.Errorf("%s leads outside the backup folder (through a symlink): refused", what)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// fileKind says what a file that is not a regular one is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "a special file"
}
