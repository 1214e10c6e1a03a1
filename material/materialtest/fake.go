package materialtest

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// Fake is an in-memory implementation of material.Service,
// material.Library and material.URLUploader for tests. It follows the rules
// of one platform, its flavour: the kinds and limits of material.Rules, the
// 3-day life of temporary media, the library caps, and errors that match the
// same sentinels as the real clients' (platform answers are
// *material.APIError values with the real errcodes). It records every call
// and lets a test decide the answer of chosen calls (Prepend, FailNext).
//
// A Fake has the methods of all three interfaces, so it satisfies them all
// in Go; the methods of a capability its platform lacks (Library on WeCom,
// URLUploader on the Official Account) fail with an error matching
// material.ErrUnsupported. Code that checks for a capability with a type
// assertion should be given Fake.Service, whose dynamic type has exactly the
// capabilities of the platform's client.
//
// A Fake is safe for concurrent use. Its zero value is not usable: call
// NewFake.
//
// Where it differs from the platforms: links (image URLs, video download
// links) point to the reserved host materialtest.invalid, which only the
// Fake's DownloadURL serves; HD voice is the stored voice, not a speex
// transcoding; voice length is not checked; upload-by-URL jobs run when
// first polled (see UploadByURLResult).
type Fake struct {
	platform material.Platform
	account  string
	clock    func() time.Time
	client   *http.Client
	caps     map[material.Kind]int
	jobPolls int

	mu       sync.Mutex
	offset   time.Duration // added to clock by Advance
	seq      int           // the last number used in an id
	temp     map[string]*stored
	lib      map[string]*stored
	order    map[material.Kind][]string // library ids per listing kind, oldest first
	jobs     map[string]*job
	calls    []Call
	reactors []reactor
}

// stored is a piece of media the Fake holds: temporary or permanent.
type stored struct {
	id          string
	kind        material.Kind // the kind it was added as (a thumb stays a thumb)
	name        string
	contentType string
	data        []byte
	url         string
	video       material.VideoDescription
	news        []material.Article
	created     time.Time
}

// Library caps of the Official Account (docs/wire.md §6): news and images
// 100 000 each, every other kind 1000. Thumbs count as images.
const (
	capNewsImage = 100_000
	capOther     = 1000
)

// A FakeOption configures a Fake.
type FakeOption func(*Fake)

// WithClock makes the Fake read the time from now instead of time.Now.
// Advance still moves the Fake's time forward from what now returns.
func WithClock(now func() time.Time) FakeOption {
	if now == nil {
		panic("materialtest: WithClock(nil)")
	}
	return func(f *Fake) { f.clock = now }
}

// WithHTTPClient sets the client upload-by-URL jobs fetch their URL with
// (default: a new http.Client on http.DefaultTransport).
func WithHTTPClient(c *http.Client) FakeOption {
	if c == nil {
		panic("materialtest: WithHTTPClient(nil)")
	}
	return func(f *Fake) { f.client = c }
}

// WithLibraryCap sets how many items of a kind the permanent library holds
// before Add answers errcode 45009 (material.ErrQuota). The platform's caps
// are 100 000 for news and images and 1000 for voices and videos; a small
// cap lets a test reach it. Thumbs share the image cap.
func WithLibraryCap(kind material.Kind, n int) FakeOption {
	if n < 0 || listKind(kind) == "" {
		panic(fmt.Sprintf("materialtest: WithLibraryCap(%q, %d): want image, voice, video, thumb or news and n >= 0", kind, n))
	}
	return func(f *Fake) { f.caps[listKind(kind)] = n }
}

// WithJobPolls makes every upload-by-URL job answer material.JobProcessing
// to its first n UploadByURLResult calls before it runs, so that code which
// polls sees the platform's state 1 first. The default is 0: the first poll
// runs the job.
func WithJobPolls(n int) FakeOption {
	if n < 0 {
		panic(fmt.Sprintf("materialtest: WithJobPolls(%d)", n))
	}
	return func(f *Fake) { f.jobPolls = n }
}

// NewFake returns an empty Fake with the rules of platform p
// (material.OfficialAccount or material.WeCom). It panics on any other
// platform, as on a bad option: misuse in a test setup is a bug to see at
// once.
func NewFake(p material.Platform, opts ...FakeOption) *Fake {
	if p != material.OfficialAccount && p != material.WeCom {
		panic(fmt.Sprintf("materialtest: NewFake(%q): want material.OfficialAccount or material.WeCom", p))
	}
	f := &Fake{
		platform: p,
		clock:    time.Now,
		client:   &http.Client{},
		caps: map[material.Kind]int{
			material.KindImage: capNewsImage,
			material.KindNews:  capNewsImage,
			material.KindVoice: capOther,
			material.KindVideo: capOther,
		},
		temp:  map[string]*stored{},
		lib:   map[string]*stored{},
		order: map[material.Kind][]string{},
		jobs:  map[string]*job{},
	}
	for _, opt := range opts {
		opt(f)
	}
	if f.account == "" {
		f.account = fmt.Sprintf("materialtest-%d", fakeAccounts.Add(1))
	}
	return f
}

// Platform returns the Fake's flavour.
func (f *Fake) Platform() material.Platform { return f.platform }

// Now returns the Fake's current time: its clock plus every Advance.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now()
}

// now returns the current time; f.mu is held.
func (f *Fake) now() time.Time { return f.clock().Add(f.offset) }

// Advance moves the Fake's time forward by d: temporary media expire 72
// hours (material.TemporaryLifetime) after upload and jobs 60 minutes
// (material.JobLifetime) after submission. It panics if d is negative.
func (f *Fake) Advance(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("materialtest: Advance(%v): time only moves forward", d))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offset += d
}

// Bytes returns a copy of the bytes of the temporary or permanent media
// mediaID, without recording a call. It reports false for an unknown or
// expired id, a news item or a video's link.
func (f *Fake) Bytes(mediaID string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.temporary(mediaID)
	if s == nil {
		s = f.lib[mediaID]
	}
	if s == nil || s.data == nil {
		return nil, false
	}
	return append([]byte(nil), s.data...), true
}

// newID returns a fresh, readable id; f.mu is held.
func (f *Fake) newID(format string, args ...any) string {
	f.seq++
	return fmt.Sprintf(format, append(args, f.seq)...)
}

// createdAt returns the current time as the platforms report it: whole
// seconds. f.mu is held.
func (f *Fake) createdAt() time.Time { return f.now().Truncate(time.Second) }

// link returns a URL on the reserved host materialtest.invalid.
func (f *Fake) link(what, id, ext string) string {
	return fmt.Sprintf("http://materialtest.invalid/%s/%s/%s%s", string(f.platform), what, id, ext)
}

// The endpoints of the errors the Fake answers itself, as their Op.
const (
	opGetMedia     = "cgi-bin/media/get"
	opGetHDVoice   = "cgi-bin/media/get/jssdk"
	opAddMaterial  = "cgi-bin/material/add_material"
	opGetMaterial  = "cgi-bin/material/get_material"
	opDelMaterial  = "cgi-bin/material/del_material"
	opUploadResult = "cgi-bin/media/get_upload_by_url_result"
)

// apiError is the platform's answer errcode code to a call of op.
func (f *Fake) apiError(op string, code int, msg string) *material.APIError {
	return &material.APIError{Platform: f.platform, Op: op, Code: code, Message: msg, HTTPStatus: http.StatusOK}
}

// notFound is errcode 40007, the answer to an unknown, expired or deleted
// media id and to a temporary id given to a permanent API.
func (f *Fake) notFound(op string) error { return f.apiError(op, 40007, "invalid media_id") }

// missing is the error for an empty id argument.
func (f *Fake) missing(field string) error {
	return &material.ValidationError{Platform: f.platform, Field: field, Problem: "missing " + field, Err: []error{material.ErrInvalidInput}}
}

// lacks is the error of a method of a capability the flavour does not have.
func (f *Fake) lacks(api material.API, what string) error {
	return &material.ValidationError{Platform: f.platform, API: api, Field: "api",
		Problem: "the platform has no " + what, Err: []error{material.ErrUnsupported}}
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("materialtest: %s: %w", op, err)
}
