package materialtest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// Harness tells the conformance suite (Run) how to make and drive the
// implementation under test.
type Harness struct {
	// Platform is the platform the implementation speaks for. It decides
	// the kinds and limits tested (material.Rules) and the capabilities
	// expected: Library on the Official Account, URLUploader on WeCom.
	Platform material.Platform

	// New returns a fresh implementation with empty state for one subtest
	// (the suite counts on an empty library). It is called once per
	// subtest, with that subtest's t: register clean-ups with t.Cleanup and
	// report set-up failures with t.Fatal.
	New func(t testing.TB) Env

	// Serve publishes a handler at a URL the implementation can fetch, for
	// the upload-by-URL jobs, and returns the URL. Nil starts an
	// httptest.Server on the loopback interface, closed at the end of the
	// subtest.
	Serve func(t testing.TB, h http.Handler) (baseURL string)
}

// Env is one implementation under test, with the hooks the suite cannot
// reach through the interfaces.
type Env struct {
	// Service is the implementation. The suite tests material.Library and
	// material.URLUploader through type assertions on it.
	Service material.Service

	// Advance moves the implementation's clock forward by d (for a client,
	// the clock of the server it talks to). Nil skips the expiry subtests.
	Advance func(d time.Duration)

	// SeedNews puts a news item with these articles in the permanent
	// library and returns its media id: news can no longer be added
	// through the platform's API. Nil skips the news subtest.
	SeedNews func(articles ...material.Article) (mediaID string, err error)
}

// Run is the conformance suite: it checks, through the interfaces only,
// that an implementation of material.Service (and of material.Library or
// material.URLUploader, as its platform has them) behaves as the
// interfaces say and as the platform's rules require. It runs subtests
// under "Service", "Library" and "URLUploader"; an implementation that
// lacks the platform's capability has those subtests skipped, and one that
// has the other platform's must refuse it with material.ErrUnsupported.
//
// Each subtest starts a fresh Env with h.New. To stay quick over HTTP, the
// suite sends small files (Sample) and one of about 1 MB; the streams it
// uses to test limits must be refused before they are sent (or, when of
// unknown size, after the smallest limit), so they cost nothing when the
// implementation is right.
func Run(t *testing.T, h Harness) {
	t.Helper()
	run(realT{t}, h)
}

// tb is what the suite needs of a test: testing.TB and subtests. A
// *testing.T provides it through realT; the package's own tests pass a
// recorder to prove that the suite fails broken implementations.
type tb interface {
	testing.TB
	Run(name string, f func(t tb)) bool
}

// realT adapts a *testing.T.
type realT struct{ *testing.T }

func (t realT) Run(name string, f func(t tb)) bool {
	return t.T.Run(name, func(t *testing.T) { f(realT{t}) })
}

type suite struct {
	h Harness
	p material.Platform
}

func run(t tb, h Harness) {
	t.Helper()
	if h.Platform != material.OfficialAccount && h.Platform != material.WeCom {
		t.Fatalf("materialtest: Harness.Platform is %q, want material.OfficialAccount or material.WeCom", h.Platform)
	}
	if h.New == nil {
		t.Fatalf("materialtest: Harness.New is nil")
	}
	s := &suite{h: h, p: h.Platform}
	t.Run("Service", s.service)
	t.Run("Library", s.library)
	t.Run("URLUploader", s.urlUploader)
}

// env starts a fresh implementation for the subtest t.
func (s *suite) env(t tb) Env {
	t.Helper()
	e := s.h.New(t)
	if e.Service == nil {
		t.Fatalf("Harness.New returned an Env without a Service")
	}
	return e
}

// advance moves e's clock, or skips the subtest.
func advance(t tb, e Env, d time.Duration) {
	t.Helper()
	if e.Advance == nil {
		t.Skip("Env.Advance is nil: the implementation's clock cannot be moved")
	}
	e.Advance(d)
}

// serve publishes h for the implementation to fetch.
func (s *suite) serve(t tb, h http.Handler) string {
	t.Helper()
	if s.h.Serve != nil {
		return s.h.Serve(t, h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// wantErr checks that err matches every target.
func wantErr(t tb, what string, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: err = nil, want an error matching %v", what, targets)
		return
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: err = %v, want it to match %v", what, err, target)
		}
	}
}

// readContent reads and closes c, checking what Content promises of a
// download of bytes: a non-nil body, a size that is -1 or exact, a base
// name.
func readContent(t tb, what string, c *material.Content) []byte {
	t.Helper()
	if c == nil || c.Body == nil {
		t.Fatalf("%s: returned a nil Content or Body with a nil error", what)
	}
	data, err := io.ReadAll(c)
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("%s: reading the content: %v", what, err)
	}
	if c.Size != -1 && c.Size != int64(len(data)) {
		t.Errorf("%s: Content.Size = %d, but the body holds %d bytes", what, c.Size, len(data))
	}
	if strings.ContainsAny(c.Name, `/\`) {
		t.Errorf("%s: Content.Name = %q, want a base name", what, c.Name)
	}
	return data
}

// sameBytes reports where got and want first differ, without printing
// files.
func sameBytes(t tb, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s: got %d bytes, want %d; they differ from byte %d", what, len(got), len(want), i)
}

// checkNothingRead checks that a refused upload read no more of its source
// than format sniffing does.
func checkNothingRead(t tb, what string, r *countingReader) {
	t.Helper()
	if n := r.read.Load(); n > material.SniffLen {
		t.Errorf("%s: %d bytes of the source were read; want at most the %d of format sniffing, since it must be refused before sending", what, n, material.SniffLen)
	}
}

// sourceOf returns sample variant v of kind k as a Source with its bytes.
func sourceOf(k material.Kind, v int) (material.Source, []byte) {
	name, data := sample(k, v)
	return material.FromBytes(name, data), data
}
