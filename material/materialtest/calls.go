package materialtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// Call is one recorded call of a Fake method.
type Call struct {
	Method  string        // the method's name: "Upload", "Download", "BatchGet", ... (see Methods)
	Kind    material.Kind // the kind the call names, if any
	MediaID string        // the media id the call names, or the one it made
	JobID   string        // the upload-by-URL job the call names, or the one it made
	Name    string        // the file name of the Source, or the URLUpload's Filename
	Size    int64         // the Source's size in bytes once known (after spooling), -1 when unknown, 0 without a Source
	URL     string        // the URLUpload's URL
	Offset  int           // BatchGet's offset
	Count   int           // BatchGet's count
	Time    time.Time     // the Fake's time when the call was made
	Err     error         // what the call returned; always nil when a reactor sees the call
}

// methods are what Methods returns.
var methods = []string{
	"Upload", "UploadImage", "Download", "DownloadHDVoice",
	"Add", "AddVideo", "Get", "Delete", "Count", "BatchGet", "List",
	"UploadByURL", "UploadByURLResult", "WaitUploadByURL",
	"DownloadURL",
}

// Methods returns the method names a Call, Prepend and FailNext use: every
// method of material.Service, material.Library and material.URLUploader,
// and DownloadURL (material.URLDownloader). List is recorded when an
// iteration starts; its pages are recorded as the BatchGet calls they are.
// It is a copy.
func Methods() []string { return slices.Clone(methods) }

// reactor is a function deciding calls of one method ("" for all).
type reactor struct {
	method string
	fn     func(Call) error
}

// Calls returns the calls made so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Prepend adds a reactor for the calls of method ("" for every method),
// consulted before the reactors added earlier. A reactor runs where the
// platform would answer: after the checks a client makes before sending (a
// kind the platform lacks, a file too large are refused first) and after
// the Source has been read. If it returns an error, the call returns that
// error (wrapped) and changes nothing; if it returns nil, the next reactor
// decides, and after the last the Fake's own rules.
//
// A reactor may block (to test a caller's timeout) and may call the Fake's
// methods. It panics on a method name not in Methods.
func (f *Fake) Prepend(method string, fn func(Call) error) {
	if method != "" && !slices.Contains(methods, method) {
		panic(fmt.Sprintf("materialtest: Prepend(%q): no such method (see Methods)", method))
	}
	if fn == nil {
		panic("materialtest: Prepend with a nil reactor")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reactors = append([]reactor{{method: method, fn: fn}}, f.reactors...)
}

// FailNext makes the next n calls of method ("" for any method) that reach
// the platform return err, for example
//
//	&material.APIError{Platform: material.OfficialAccount, Code: 45009}
//
// for a quota, or -1 for a busy platform. It is a reactor added with
// Prepend. It panics if n < 1 or err is nil.
func (f *Fake) FailNext(method string, n int, err error) {
	if n < 1 || err == nil {
		panic(fmt.Sprintf("materialtest: FailNext(%q, %d, %v): want n >= 1 and an error", method, n, err))
	}
	var mu sync.Mutex
	f.Prepend(method, func(Call) error {
		mu.Lock()
		defer mu.Unlock()
		if n == 0 {
			return nil
		}
		n--
		return err
	})
}

// call starts the record of a call.
func (f *Fake) call(method string) Call {
	return Call{Method: method, Time: f.Now()}
}

// reach is where a call reaches the platform: with a live ctx, the
// reactors decide first.
func (f *Fake) reach(ctx context.Context, c Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.react(c)
}

// react asks the reactors about c, without holding f.mu.
func (f *Fake) react(c Call) error {
	f.mu.Lock()
	rs := slices.Clone(f.reactors)
	f.mu.Unlock()
	for _, r := range rs {
		if r.method != "" && r.method != c.Method {
			continue
		}
		if err := r.fn(c); err != nil {
			return err
		}
	}
	return nil
}

// done records c with its outcome.
func (f *Fake) done(c Call, err error) {
	c.Err = err
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}
