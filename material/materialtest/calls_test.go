package materialtest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestCalls(t *testing.T) {
	f := newFake(material.OfficialAccount)
	ctx := t.Context()
	m := mustUpload(t, f, material.KindImage, Sample(material.KindImage))
	f.Advance(time.Minute)
	stream := material.FromReader("s.amr", io.MultiReader(bytes.NewReader(sampleAMR(0))), -1)
	if _, err := f.Upload(ctx, material.KindVoice, stream); err != nil {
		t.Fatal(err)
	}
	f.Download(ctx, "nope")
	f.BatchGet(ctx, material.KindVoice, 5, 10)

	notFound := f.notFound(opGetMedia)
	want := []Call{
		{Method: "Upload", Kind: material.KindImage, MediaID: m.ID, Name: "sample.png", Size: int64(sampleLen(material.KindImage)), Time: epoch},
		{Method: "Upload", Kind: material.KindVoice, MediaID: "fake-voice-2", Name: "s.amr", Size: int64(len(sampleAMR(0))), Time: epoch.Add(time.Minute)},
		{Method: "Download", MediaID: "nope", Time: epoch.Add(time.Minute), Err: notFound},
		{Method: "BatchGet", Kind: material.KindVoice, Offset: 5, Count: 10, Time: epoch.Add(time.Minute)},
	}
	sameError := cmp.Comparer(func(a, b error) bool {
		return (a == nil) == (b == nil) && (a == nil || errors.Is(a, material.ErrNotFound) == errors.Is(b, material.ErrNotFound))
	})
	if diff := cmp.Diff(want, f.Calls(), sameError); diff != "" {
		t.Errorf("Calls (-want +got):\n%s", diff)
	}
}

func TestFailNext(t *testing.T) {
	quota := &material.APIError{Platform: material.OfficialAccount, Code: 45009}
	tests := []struct {
		name   string
		method string
		n      int
		calls  []string // methods called in turn
		want   []bool   // whether each failed with quota
	}{
		{name: "the next two uploads", method: "Upload", n: 2, calls: []string{"Upload", "Download", "Upload", "Upload"}, want: []bool{true, false, true, false}},
		{name: "any method", method: "", n: 1, calls: []string{"Download", "Upload"}, want: []bool{true, false}},
		{name: "refused input does not use it up", method: "Upload", n: 1, calls: []string{"UploadTooLarge", "Upload", "Upload"}, want: []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(material.OfficialAccount)
			m := mustUpload(t, f, material.KindImage, Sample(material.KindImage))
			f.FailNext(tt.method, tt.n, quota)
			for i, call := range tt.calls {
				var err error
				switch call {
				case "Upload":
					_, err = f.Upload(t.Context(), material.KindImage, Sample(material.KindImage))
				case "UploadTooLarge":
					_, err = f.Upload(t.Context(), material.KindThumb, material.FromBytes("t.jpg", make([]byte, 65<<10)))
				case "Download":
					_, err = f.Download(t.Context(), m.ID)
				}
				var api *material.APIError
				if got := errors.As(err, &api) && api == quota; got != tt.want[i] {
					t.Errorf("call %d (%s): err = %v, want the injected error: %v", i, call, err, tt.want[i])
				}
			}
		})
	}
}

func TestPrependOrderAndOneShotSources(t *testing.T) {
	f := newFake(material.WeCom)
	var seen []string
	f.Prepend("Upload", func(c Call) error { seen = append(seen, "older"); return nil })
	f.Prepend("Upload", func(c Call) error {
		seen = append(seen, "newer")
		if c.Size != int64(len(sampleAMR(0))) {
			t.Errorf("the reactor saw Size %d, want the spooled size", c.Size)
		}
		if len(seen) == 1 {
			return material.ErrBusy
		}
		return nil
	})
	src := material.FromReader("v.amr", io.MultiReader(bytes.NewReader(sampleAMR(0))), int64(len(sampleAMR(0))))
	if _, err := f.Upload(t.Context(), material.KindVoice, src); !errors.Is(err, material.ErrBusy) {
		t.Fatalf("first Upload: err = %v, want ErrBusy", err)
	}
	// The body went out with the failed call: a one-shot Source cannot be
	// sent again, as with a real client.
	if _, err := f.Upload(t.Context(), material.KindVoice, src); !errors.Is(err, material.ErrNotReplayable) {
		t.Errorf("second Upload of a one-shot Source: err = %v, want ErrNotReplayable", err)
	}
	if _, err := f.Upload(t.Context(), material.KindVoice, Sample(material.KindVoice)); err != nil {
		t.Errorf("third Upload: %v", err)
	}
	if diff := cmp.Diff([]string{"newer", "newer", "older"}, seen, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("reactors ran (-want +got):\n%s", diff)
	}
}

func TestPrependUnknownMethod(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Prepend(\"upload\") did not panic")
		}
	}()
	newFake(material.WeCom).FailNext("upload", 1, material.ErrBusy)
}
