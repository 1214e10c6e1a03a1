package materialtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// The suite can fail: each broken implementation below is the Fake with one
// mistake a real client could make, and the suite must report it in the
// subtests named. The same run of the correct Fake reports nothing.

// alteredDownload flips a bit in the middle of every downloaded file.
type alteredDownload struct{ *Fake }

func (b alteredDownload) Download(ctx context.Context, id string) (*material.Content, error) {
	c, err := b.Fake.Download(ctx, id)
	if err != nil || c.URL != "" {
		return c, err
	}
	data, _ := io.ReadAll(c)
	c.Close()
	data[len(data)/2] ^= 1
	c.Body = io.NopCloser(bytes.NewReader(data))
	return c, nil
}

// quietNotFound answers an unknown id with an empty file and no error.
type quietNotFound struct{ *Fake }

func (b quietNotFound) Download(ctx context.Context, id string) (*material.Content, error) {
	c, err := b.Fake.Download(ctx, id)
	if errors.Is(err, material.ErrNotFound) {
		return &material.Content{Size: 0, Body: http.NoBody}, nil
	}
	return c, err
}

// skippingList loses the 7th item of every listing (an off-by-one between
// pages, say).
type skippingList struct{ *Fake }

func (b skippingList) List(ctx context.Context, k material.Kind) iter.Seq2[material.Item, error] {
	return func(yield func(material.Item, error) bool) {
		n := 0
		for it, err := range b.Fake.List(ctx, k) {
			if n++; n == 7 && err == nil {
				continue
			}
			if !yield(it, err) {
				return
			}
		}
	}
}

// stubbornList keeps going after an error and after the loop body stops it
// (it calls yield directly, as a hand-written iterator might).
type stubbornList struct{ *Fake }

func (b stubbornList) List(ctx context.Context, k material.Kind) iter.Seq2[material.Item, error] {
	return func(yield func(material.Item, error) bool) {
		for offset := 0; offset < 100; offset += material.MaxPageSize {
			p, err := b.Fake.BatchGet(ctx, k, offset, material.MaxPageSize)
			if err != nil {
				yield(material.Item{}, err) // and carry on
				continue
			}
			for _, it := range p.Items {
				yield(it, nil) // ignores false
			}
		}
	}
}

// readsFirst starts sending (reads the first 64 KB) before checking the
// file: a too-large file is refused, but only after part of it went out.
type readsFirst struct{ *Fake }

func (b readsFirst) Upload(ctx context.Context, k material.Kind, src material.Source) (material.Media, error) {
	if rc, err := src.Open(); err == nil {
		defer rc.Close()
		sent := make([]byte, 64<<10)
		n, _ := io.ReadFull(rc, sent)
		src = material.FromReader(src.Name(), io.MultiReader(bytes.NewReader(sent[:n]), rc), src.Size())
	}
	return b.Fake.Upload(ctx, k, src)
}

// wrongSentinel answers a kind the platform lacks with ErrInvalidInput
// only.
type wrongSentinel struct{ *Fake }

func (b wrongSentinel) Upload(ctx context.Context, k material.Kind, src material.Source) (material.Media, error) {
	m, err := b.Fake.Upload(ctx, k, src)
	if errors.Is(err, material.ErrUnsupported) {
		return m, material.ErrInvalidInput
	}
	return m, err
}

// opaqueJobErrors reports failed jobs without a *material.JobError.
type opaqueJobErrors struct{ *Fake }

func (b opaqueJobErrors) WaitUploadByURL(ctx context.Context, id string) (material.Media, error) {
	m, err := b.Fake.WaitUploadByURL(ctx, id)
	var je *material.JobError
	if errors.As(err, &je) {
		return m, errors.New("upload failed: " + je.Message)
	}
	return m, err
}

func TestSuiteCanFail(t *testing.T) {
	tests := []struct {
		name     string
		platform material.Platform
		wrap     func(f *Fake) material.Service
		noClock  bool     // give the suite an Advance that does nothing
		want     []string // subtests that must fail (others may too)
	}{
		{
			name: "download alters bytes", platform: material.WeCom,
			wrap: func(f *Fake) material.Service { return alteredDownload{f} },
			want: []string{"Service/UploadDownload/image", "Service/UploadDownload/file", "Service/LargeFile", "Service/Concurrent", "URLUploader/Success/video"},
		},
		{
			name: "unknown id is no error", platform: material.OfficialAccount,
			wrap: func(f *Fake) material.Service { return quietNotFound{f} },
			want: []string{"Service/UnknownID"},
		},
		{
			name: "list skips an item", platform: material.OfficialAccount,
			wrap: func(f *Fake) material.Service { return skippingList{f} },
			want: []string{"Library/ListComplete", "Library/ListTwice"},
		},
		{
			name: "list ignores errors and breaks", platform: material.OfficialAccount,
			wrap: func(f *Fake) material.Service { return stubbornList{f} },
			want: []string{"Library/ListBreak", "Library/ListError", "Library/ListUnsupportedKind"},
		},
		{
			name: "too large read before refusing", platform: material.WeCom,
			wrap: func(f *Fake) material.Service { return readsFirst{f} },
			want: []string{"Service/TooLarge/image", "Service/TooLarge/file"},
		},
		{
			name: "unsupported kind as invalid input", platform: material.OfficialAccount,
			wrap: func(f *Fake) material.Service { return wrongSentinel{f} },
			want: []string{"Service/UnsupportedKind/file", "Service/UnsupportedKind/news"},
		},
		{
			name: "media never expire", platform: material.OfficialAccount, noClock: true,
			want: []string{"Service/Expiry"},
		},
		{
			name: "job failures are not JobErrors", platform: material.WeCom,
			wrap: func(f *Fake) material.Service { return opaqueJobErrors{f} },
			want: []string{"URLUploader/NoRange", "URLUploader/FetchFailed", "URLUploader/Checksum", "URLUploader/TooSmall"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakeHarness(tt.platform, tt.wrap)
			if tt.noClock {
				newEnv := h.New
				h.New = func(t testing.TB) Env { e := newEnv(t); e.Advance = func(time.Duration) {}; return e }
			}
			rep := record(t, func(t tb) { run(t, h) })
			failed := rep.failed()
			t.Logf("the suite reported:\n%s", rep)
			for _, w := range tt.want {
				if !slices.Contains(failed, w) {
					t.Errorf("the suite did not fail %s; it failed:\n%s", w, rep)
				}
			}
		})
	}
}

// TestSuiteControl runs the suite on the correct Fake through the same
// recorder: no failure, and every subtest of the platform ran.
func TestSuiteControl(t *testing.T) {
	for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
		t.Run(string(p), func(t *testing.T) {
			rep := record(t, func(t tb) { run(t, fakeHarness(p, (*Fake).Service)) })
			if f := rep.failed(); len(f) > 0 {
				t.Errorf("the suite failed the correct Fake:\n%s", rep)
			}
			capability := "Library/"
			if p == material.WeCom {
				capability = "URLUploader/"
			}
			var ranCapability int
			for _, name := range rep.ran {
				if strings.HasPrefix(name, capability) {
					ranCapability++
				}
			}
			if ranCapability < 9 || slices.ContainsFunc(rep.skipped, func(s string) bool { return strings.HasPrefix(s, capability) || strings.HasPrefix(s, "Service") }) {
				t.Errorf("ran %d %s subtests, skipped %q; want them all run", ranCapability, capability, rep.skipped)
			}
		})
	}
}

// TestSuiteFailsUnderGoTest runs the suite through Run, on a real
// *testing.T in a child process, against a broken implementation: the
// child must fail, naming the subtests that caught the mistake.
func TestSuiteFailsUnderGoTest(t *testing.T) {
	if os.Getenv(brokenChildEnv) != "" {
		t.Skip("in the child")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), brokenChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the child ended with %v, want exit status 1; output:\n%s", err, out)
	}
	for _, want := range []string{
		"--- FAIL: TestBrokenChild/Service/UploadDownload/image ",
		"--- FAIL: TestBrokenChild/Service/LargeFile ",
		"--- FAIL: TestBrokenChild/URLUploader/Success/file ",
		"--- PASS: TestBrokenChild/Service/UnknownID ",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the child's output lacks %q; output:\n%s", want, out)
		}
	}
}

const brokenChildEnv = "MATERIALTEST_BROKEN_CHILD"

// TestBrokenChild is the child of TestSuiteFailsUnderGoTest; it fails by
// design and runs only there.
func TestBrokenChild(t *testing.T) {
	if os.Getenv(brokenChildEnv) == "" {
		t.Skip("runs only as the child of TestSuiteFailsUnderGoTest")
	}
	Run(t, fakeHarness(material.WeCom, func(f *Fake) material.Service { return alteredDownload{f} }))
}
