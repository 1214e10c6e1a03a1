package officialaccount_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// seedImages puts n images in the library without HTTP and returns their
// ids.
func seedImages(t *testing.T, e *env, n int) []string {
	t.Helper()
	_, png := sample(t, material.KindImage)
	ids := make([]string, n)
	for i := range ids {
		id, err := e.emu.SeedPermanent(testAppID, "image", fmt.Sprintf("img-%04d.png", i), png)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// nthCall matches the n-th and later calls (from 1) that reach Match.
func nthCall(n int64) func(*http.Request) bool {
	var seen atomic.Int64
	return func(*http.Request) bool { return seen.Add(1) >= n }
}

func TestList(t *testing.T) {
	const total = 2500 // 125 pages
	e := newEnv(t, setup{})
	ids := seedImages(t, e, total)

	tests := []struct {
		name      string
		fault     *emulator.Fault
		stopAfter int // break out of the loop after this many items; 0: never
		wantItems int
		wantErr   error
		wantPages int
	}{
		{name: "every item once", wantItems: total, wantPages: 125},
		{name: "a busy page is retried", fault: &emulator.Fault{Match: nthCall(3), Action: emulator.Errcode(-1, "")}, wantItems: total, wantPages: 126},
		{name: "an error stops it", fault: &emulator.Fault{Match: nthCall(4), Times: -1, Action: emulator.Errcode(45009, "")}, wantItems: 60, wantErr: material.ErrQuota, wantPages: 4},
		{name: "break stops it", stopAfter: 30, wantItems: 30, wantPages: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.emu.ClearFaults()
			e.resetLog()
			if tt.fault != nil {
				f := *tt.fault
				f.Path = "/cgi-bin/material/batchget_material"
				e.emu.Inject(f)
			}
			seen := map[string]int{}
			var errs []error
			n := 0
			for it, err := range e.c.List(t.Context(), material.KindImage) {
				if err != nil {
					errs = append(errs, err)
					continue // a correct iterator does not yield again
				}
				if it.Kind != material.KindImage || it.Name == "" || it.URL == "" {
					t.Fatalf("item %+v: want kind image, a name and a URL", it)
				}
				seen[it.MediaID]++
				if n++; n == tt.stopAfter {
					break
				}
			}
			if n != tt.wantItems {
				t.Errorf("List yielded %d items, want %d", n, tt.wantItems)
			}
			for id, k := range seen {
				if k != 1 {
					t.Errorf("%s yielded %d times", id, k)
				}
			}
			if tt.wantItems == total {
				for _, id := range ids {
					if seen[id] != 1 {
						t.Fatalf("%s yielded %d times, want once", id, seen[id])
					}
				}
			}
			switch {
			case tt.wantErr == nil && len(errs) != 0:
				t.Errorf("List yielded errors %v", errs)
			case tt.wantErr != nil && (len(errs) != 1 || !errors.Is(errs[0], tt.wantErr)):
				t.Errorf("List yielded errors %v, want one matching %v", errs, tt.wantErr)
			}
			pages := e.calls("/cgi-bin/material/batchget_material")
			if len(pages) != tt.wantPages {
				t.Errorf("List fetched %d pages, want %d", len(pages), tt.wantPages)
			}
			var offsets []int
			for _, p := range pages {
				if p.Fault != "" {
					continue // answered before its body was read
				}
				var body struct{ Offset, Count int }
				if err := json.Unmarshal(p.JSON, &body); err != nil || body.Count != material.MaxPageSize {
					t.Fatalf("page request %s: want count 20", p.JSON)
				}
				if p.Errcode == 0 {
					offsets = append(offsets, body.Offset)
				}
			}
			for i, off := range offsets {
				if off != i*material.MaxPageSize {
					t.Fatalf("the answered pages had offsets %v, want 0, 20, 40, ...", offsets)
				}
			}
		})
	}
}

func TestListUnsupportedKind(t *testing.T) {
	e := newEnv(t, setup{})
	var errs []error
	for _, err := range e.c.List(context.Background(), material.KindFile) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], material.ErrUnsupported) {
		t.Errorf("List(file) yielded %v, want one error matching ErrUnsupported", errs)
	}
	if rs := e.business(); len(rs) != 0 {
		t.Errorf("List(file) sent %d calls", len(rs))
	}
}
