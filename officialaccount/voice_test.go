package officialaccount_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/voicegen"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestVoiceLength: voices over 60 s are refused before sending, in every
// format the Official Account takes, with the measured length; voices under
// it are uploaded.
func TestVoiceLength(t *testing.T) {
	mp3 := func(d time.Duration) []byte {
		m := voicegen.MP3{Version: 2, SampleRate: 16000, Bitrates: []int{8, 16}, Tag: "VBRI"}
		m.Frames = m.FramesFor(d)
		return m.Bytes()
	}
	wma := func(d time.Duration) []byte { return voicegen.WMA{Play: d + time.Second, Preroll: time.Second}.Bytes() }
	under, over := 59900*time.Millisecond, 60100*time.Millisecond
	tests := []struct {
		name      string
		permanent bool
		file      string
		data      []byte
		wantText  string // "" means uploaded
	}{
		{name: "temporary MP3 under", file: "v.mp3", data: mp3(under)},
		{name: "temporary MP3 over", file: "v.mp3", data: mp3(over), wantText: `"60.12 s": plays longer than the 60 s limit (measured from its VBRI header)`},
		{name: "temporary AMR over", file: "v.amr", data: voicegen.AMR(false, 0, voicegen.AMRFrames(over)), wantText: `"60.1 s"`},
		{name: "permanent WAV under", permanent: true, file: "v.wav", data: voicegen.PCM8(under).Bytes()},
		{name: "permanent WAV over", permanent: true, file: "v.wav", data: voicegen.PCM8(over).Bytes(), wantText: "(measured from its WAV header)"},
		{name: "permanent WMA under", permanent: true, file: "v.wma", data: wma(under)},
		{name: "permanent WMA over", permanent: true, file: "v.wma", data: wma(over), wantText: "(measured from its ASF file properties)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			src := material.FromBytes(tt.file, tt.data)
			var err error
			if tt.permanent {
				_, err = e.c.Add(t.Context(), material.KindVoice, src)
			} else {
				_, err = e.c.Upload(t.Context(), material.KindVoice, src)
			}
			sent := len(e.business())
			if tt.wantText == "" {
				if err != nil || sent != 1 {
					t.Fatalf("upload: %v, %d requests; want it sent once", err, sent)
				}
				return
			}
			if !errors.Is(err, material.ErrTooLong) || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("upload: err = %v, want ErrTooLong naming %q", err, tt.wantText)
			}
			if sent != 0 {
				t.Errorf("%d requests sent, want none", sent)
			}
		})
	}
}
