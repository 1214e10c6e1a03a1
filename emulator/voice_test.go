package emulator_test

import (
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/voicegen"
)

// TestVoiceLength: every endpoint that takes voices answers 45007 to one
// longer than 60 s, in every format it takes, and accepts one just under.
func TestVoiceLength(t *testing.T) {
	v := newEnv(t)
	oa, wk := v.oaToken(), v.workToken()
	temp := withToken(v.oa+"/cgi-bin/media/upload", oa, "type", "voice")
	perm := withToken(v.oa+"/cgi-bin/material/add_material", oa, "type", "voice")
	work := withToken(v.work+"/cgi-bin/media/upload", wk, "type", "voice")
	mp3 := func(d time.Duration, edit func(*voicegen.MP3)) []byte {
		m := voicegen.MP3{Version: 25, SampleRate: 8000, Bitrates: []int{8}, Mono: true}
		if edit != nil {
			edit(&m)
		}
		m.Frames = m.FramesFor(d)
		return m.Bytes()
	}
	xing := func(m *voicegen.MP3) { m.Version, m.SampleRate, m.Bitrates, m.Tag = 2, 16000, []int{8, 16, 24}, "Xing" }
	id3 := func(m *voicegen.MP3) { m.ID3v2 = 1 << 20 }
	under, over := 59950*time.Millisecond, 60050*time.Millisecond
	wma := func(d time.Duration) []byte {
		return voicegen.WMA{Play: d + 2*time.Second, Preroll: 2 * time.Second}.Bytes()
	}
	for _, tc := range []struct {
		name, url, file string
		data            []byte
		want            int
	}{
		{"OA temporary AMR under", temp, "v.amr", voicegen.AMR(false, 0, voicegen.AMRFrames(under)), 0},
		{"OA temporary AMR over", temp, "v.amr", voicegen.AMR(false, 0, voicegen.AMRFrames(over)), 45007},
		{"OA temporary MP3 under", temp, "v.mp3", mp3(under, nil), 0},
		{"OA temporary MP3 over", temp, "v.mp3", mp3(over, nil), 45007},
		{"OA temporary MP3 with Xing over", temp, "v.mp3", mp3(over, xing), 45007},
		{"OA temporary MP3 after a 1 MB tag, over", temp, "v.mp3", mp3(over, id3), 45007},
		{"OA permanent WAV under", perm, "v.wav", voicegen.PCM8(under).Bytes(), 0},
		{"OA permanent WAV over", perm, "v.wav", voicegen.PCM8(over).Bytes(), 45007},
		{"OA permanent WMA under", perm, "v.wma", wma(under), 0},
		{"OA permanent WMA over", perm, "v.wma", wma(over), 45007},
		{"OA permanent MP3 over", perm, "v.mp3", mp3(over, nil), 45007},
		{"OA permanent AMR-WB over", perm, "v.amr", voicegen.AMR(true, 0, voicegen.AMRFrames(over)), 45007},
		{"WeCom AMR-NB under", work, "v.amr", voicegen.AMR(false, 7, voicegen.AMRFrames(under)), 0},
		{"WeCom AMR-NB over", work, "v.amr", voicegen.AMR(false, 7, voicegen.AMRFrames(over)), 45007},
		{"WeCom AMR-WB over", work, "v.amr", voicegen.AMR(true, 2, voicegen.AMRFrames(over)), 45007},
		{"a WAV whose length is not told is taken", perm, "v.wav", voicegen.PCM8(time.Second).Bytes()[:36], 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, v.upload(tc.url, file(tc.file, tc.data)), tc.want)
		})
	}
}
