package officialaccount_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

func TestBusyReadRetried(t *testing.T) {
	tests := []struct {
		name      string
		times     int
		wantErr   error
		wantCodes []int
	}{
		{name: "twice -1 then an answer", times: 2, wantCodes: []int{-1, -1, 0}},
		{name: "-1 on every attempt", times: -1, wantErr: material.ErrBusy, wantCodes: []int{-1, -1, -1, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.emu.Inject(emulator.Fault{Path: "/cgi-bin/material/get_materialcount", Times: tt.times, Action: emulator.Errcode(-1, "")})
			_, err := e.c.Count(t.Context())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Count: err = %v, want %v", err, tt.wantErr)
			}
			diff(t, "get_materialcount errcodes", tt.wantCodes, errcodes(e, "/cgi-bin/material/get_materialcount"))
		})
	}
}

// TestAddNeverDuplicated checks the rule for writes: an Add is resent only
// when the platform provably did not act, and the library never holds the
// file twice.
func TestAddNeverDuplicated(t *testing.T) {
	_, png := sample(t, material.KindImage)
	tests := []struct {
		name     string
		action   emulator.FaultAction
		src      material.Source
		wantErr  []error // nil: Add succeeds
		attempts int     // add_material calls the emulator saw
		inLib    int     // images in the library afterwards
		found    int     // what FindAdded finds, when the outcome is unknown
	}{
		{name: "-1: not acted on, resent", action: emulator.Errcode(-1, ""), src: material.FromBytes("a.png", png), attempts: 2, inLib: 1},
		{name: "45011: not acted on, resent", action: emulator.Errcode(45011, ""), src: material.FromBytes("a.png", png), attempts: 2, inLib: 1},
		{
			name: "-1 with a one-shot source: not resent", action: emulator.Errcode(-1, ""), src: material.FromReader("a.png", struct{ io.Reader }{bytes.NewReader(png)}, int64(len(png))),
			wantErr: []error{material.ErrBusy}, attempts: 1, inLib: 0,
		},
		{
			name: "answer lost after the platform acted", action: emulator.DropResponse(0), src: material.FromBytes("a.png", png),
			wantErr: []error{material.ErrOutcomeUnknown}, attempts: 1, inLib: 1, found: 1,
		},
		{
			name: "502 after the request was sent", action: emulator.Status(http.StatusBadGateway), src: material.FromBytes("a.png", png),
			wantErr: []error{material.ErrOutcomeUnknown, material.ErrBusy}, attempts: 1, inLib: 0, found: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.emu.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: tt.action})
			_, err := e.c.Add(t.Context(), material.KindImage, tt.src)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Add: %v", err)
			}
			for _, w := range tt.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("Add: err = %v, want it to match %v", err, w)
				}
			}
			if got := len(e.calls("/cgi-bin/material/add_material")); got != tt.attempts {
				t.Errorf("add_material was called %d times, want %d", got, tt.attempts)
			}
			if got := e.emu.LibraryCounts(testAppID).Image; got != tt.inLib {
				t.Errorf("the library holds %d images, want %d", got, tt.inLib)
			}
			var oe *officialaccount.OutcomeUnknownError
			if !errors.As(err, &oe) {
				if errors.Is(err, material.ErrOutcomeUnknown) {
					t.Errorf("err = %T, want an *officialaccount.OutcomeUnknownError", err)
				}
				return
			}
			if oe.Kind != material.KindImage || oe.Name != "a.png" || !oe.Since.Equal(start) {
				t.Errorf("OutcomeUnknownError = %+v, want kind image, a.png, since %v", oe, start)
			}
			items, err := e.c.FindAdded(t.Context(), oe)
			if err != nil {
				t.Fatalf("FindAdded: %v", err)
			}
			if len(items) != tt.found {
				t.Errorf("FindAdded = %+v, want %d items", items, tt.found)
			}
		})
	}
}
