package materialtest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestLibraryCap(t *testing.T) {
	tests := []struct {
		name    string
		capKind material.Kind
		add     []material.Kind // added in order; the last one must hit the cap
	}{
		{name: "voices", capKind: material.KindVoice, add: []material.Kind{material.KindVoice, material.KindVoice, material.KindVoice}},
		{name: "thumbs share the image cap", capKind: material.KindImage, add: []material.Kind{material.KindImage, material.KindThumb, material.KindThumb}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(material.OfficialAccount, WithLibraryCap(tt.capKind, 2))
			var err error
			for i, k := range tt.add {
				src, _ := sourceOf(k, i)
				_, err = f.Add(t.Context(), k, src)
				if i < len(tt.add)-1 && err != nil {
					t.Fatalf("Add %d (%s): %v", i, k, err)
				}
			}
			var api *material.APIError
			if !errors.Is(err, material.ErrQuota) || !errors.As(err, &api) || api.Code != 45009 || api.Op != "cgi-bin/material/add_material" {
				t.Fatalf("Add over the cap: err = %v, want errcode 45009 from add_material matching ErrQuota", err)
			}
		})
	}
}

func TestThumbsAreImagesInTheLibrary(t *testing.T) {
	f := newFake(material.OfficialAccount)
	image, err := f.Add(t.Context(), material.KindImage, Sample(material.KindImage))
	if err != nil {
		t.Fatal(err)
	}
	thumb, err := f.Add(t.Context(), material.KindThumb, Sample(material.KindThumb))
	if err != nil {
		t.Fatal(err)
	}
	if thumb.URL != "" || image.URL == "" {
		t.Errorf("URLs: image %q, thumb %q; want one for the image only", image.URL, thumb.URL)
	}
	if c, _ := f.Count(t.Context()); c != (material.Counts{Image: 2}) {
		t.Errorf("Count = %+v, want 2 images", c)
	}
	if _, err := f.BatchGet(t.Context(), material.KindThumb, 0, 1); !errors.Is(err, material.ErrUnsupported) {
		t.Errorf("BatchGet(thumb): err = %v, want ErrUnsupported", err)
	}
	var got []string
	for it, err := range f.List(t.Context(), material.KindImage) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %s", it.MediaID, it.Kind, it.Name))
	}
	want := []string{"fake-lib-image-1 image sample.png", "fake-lib-thumb-2 image sample.jpg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List(image) (-want +got):\n%s", diff)
	}
	a, err := f.Get(t.Context(), thumb.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Kind != "" || a.Content == nil || a.Content.ContentType != "image/jpeg" {
		t.Errorf("Get(thumb) = Kind %q, Content %+v; want Kind \"\" and a JPEG", a.Kind, a.Content)
	}
}

func TestAddVideoNeedsAddVideo(t *testing.T) {
	f := newFake(material.OfficialAccount)
	if _, err := f.Add(t.Context(), material.KindVideo, Sample(material.KindVideo)); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("Add(video): err = %v, want ErrInvalidInput pointing to AddVideo", err)
	}
	if _, err := newFake(material.WeCom).Add(t.Context(), material.KindVideo, Sample(material.KindVideo)); !errors.Is(err, material.ErrUnsupported) {
		t.Errorf("WeCom Add(video): err = %v, want ErrUnsupported", err)
	}
}

// TestPages checks the iterator List is built on with a BatchGet that
// misbehaves as a platform might.
func TestPages(t *testing.T) {
	items := func(ids ...string) []material.Item {
		var its []material.Item
		for _, id := range ids {
			its = append(its, material.Item{MediaID: id})
		}
		return its
	}
	boom := errors.New("boom")
	tests := []struct {
		name      string
		pages     []*material.Page // answered in turn; past the end: an error
		failAt    int              // the call (from 1) that fails with boom; 0: none
		wantIDs   []string
		wantErr   error
		wantCalls int
	}{
		{name: "stops after the total", pages: []*material.Page{{Total: 2, Items: items("a", "b")}}, wantIDs: []string{"a", "b"}, wantCalls: 1},
		{name: "stops on an empty page though the total says more", pages: []*material.Page{{Total: 50, Items: items("a")}, {Total: 50}}, wantIDs: []string{"a"}, wantCalls: 2},
		{name: "empty library", pages: []*material.Page{{Total: 0}}, wantCalls: 1},
		{name: "error on the second page", pages: []*material.Page{{Total: 30, Items: items("a")}}, failAt: 2, wantIDs: []string{"a"}, wantErr: boom, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			get := func(_ context.Context, _ material.Kind, offset, count int) (*material.Page, error) {
				calls++
				if calls == tt.failAt || calls > len(tt.pages) {
					return nil, boom
				}
				if count != material.MaxPageSize {
					t.Errorf("count = %d, want %d", count, material.MaxPageSize)
				}
				return tt.pages[calls-1], nil
			}
			r := walk(pages(t.Context(), material.KindImage, get), 0, nil)
			if len(r.problems) > 0 {
				t.Errorf("problems: %q", r.problems)
			}
			if !errors.Is(r.err, tt.wantErr) || (tt.wantErr == nil && r.err != nil) {
				t.Errorf("err = %v, want %v", r.err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantIDs, r.ids(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d BatchGet calls, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestListRecordsPages(t *testing.T) {
	f := newFake(material.OfficialAccount)
	addN(realT{t}, f, 25)
	before := len(f.Calls())
	for range f.List(t.Context(), material.KindImage) {
	}
	var got []string
	for _, c := range f.Calls()[before:] {
		got = append(got, fmt.Sprintf("%s %s %d %d", c.Method, c.Kind, c.Offset, c.Count))
	}
	want := []string{"List image 0 0", "BatchGet image 0 20", "BatchGet image 20 20"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestListFailsMidway(t *testing.T) {
	f := newFake(material.OfficialAccount)
	addN(realT{t}, f, 25)
	busy := &material.APIError{Platform: material.OfficialAccount, Code: -1}
	calls := 0
	f.Prepend("BatchGet", func(Call) error {
		if calls++; calls == 2 {
			return busy
		}
		return nil
	})
	r := walk(f.List(t.Context(), material.KindImage), 0, nil)
	if len(r.items) != 20 || !errors.Is(r.err, material.ErrBusy) || len(r.problems) > 0 {
		t.Errorf("List = %d items, err %v, problems %q; want 20 items then the busy error once", len(r.items), r.err, r.problems)
	}
}
