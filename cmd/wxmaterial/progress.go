package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// bar shows the progress of one transfer or of a long piece of work on a
// terminal. On anything else it does nothing: the commands write plain
// lines there instead. A nil *bar is a valid bar that does nothing.
type bar struct {
	pb *progressbar.ProgressBar

	mu  sync.Mutex
	max int64 // the furthest offset reached, for replayed uploads
}

// newBar returns a bar over total units (bytes when bytes is true), or a
// spinner when total is negative. It returns nil when stderr is not a
// terminal, and with -q.
func (a *app) newBar(total int64, bytes bool, desc string) *bar {
	if !a.terminal || a.g.quiet {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(safeText(desc, "")), // may hold a file name from a server
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(80 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetRenderBlankState(true),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true))
	}
	return &bar{pb: progressbar.NewOptions64(total, opts...)}
}

// add advances the bar by n.
func (b *bar) add(n int64) {
	if b != nil {
		_ = b.pb.Add64(n)
	}
}

// reach moves the bar to offset n if it is further than before: an upload
// that is sent again does not count its bytes twice.
func (b *bar) reach(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.max {
		b.max = n
		_ = b.pb.Set64(n)
	}
}

// restart empties the bar, under a new description: its transfer starts
// over, after the file was read once for another purpose.
func (b *bar) restart(desc string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.max = 0
	b.pb.Describe(desc)
	_ = b.pb.Set64(0)
}

// done removes the bar from the terminal.
func (b *bar) done() {
	if b != nil {
		_ = b.pb.Finish()
		_ = b.pb.Clear()
	}
}

// spin advances a spinner every interval until stop is closed.
func (b *bar) spin(stop <-chan struct{}) {
	if b == nil {
		return
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_ = b.pb.Add64(1)
		}
	}
}

// meterReader counts what is read through it on a bar.
type meterReader struct {
	r io.Reader
	b *bar
}

func (m meterReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.b.add(int64(n))
	return n, err
}

// meterFile is an open file whose ReadAt calls move a bar. Handed to
// material.FromReader, it gives a replayable Source (it is an io.ReaderAt
// and an io.Seeker) that reports upload progress.
type meterFile struct {
	*os.File
	b *bar
}

func (f meterFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.b.reach(off + int64(n))
	return n, err
}
