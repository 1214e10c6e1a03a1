package emulator

import (
	"bytes"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/voicegen"
)

const ms = time.Millisecond

// TestVoiceMeter feeds generated voices to the meter in pieces of several
// sizes, as an upload arrives: the length must not depend on them.
func TestVoiceMeter(t *testing.T) {
	mpeg25 := voicegen.MP3{Version: 25, SampleRate: 8000, Bitrates: []int{8}, Mono: true}
	mpeg2 := voicegen.MP3{Version: 2, SampleRate: 16000, Bitrates: []int{8}}
	mpeg1 := voicegen.MP3{Version: 1, SampleRate: 32000, Bitrates: []int{32}, Mono: true}
	vbr := voicegen.MP3{Version: 2, SampleRate: 16000, Bitrates: []int{8, 16, 24, 16}, Mono: true}
	mp3 := func(m voicegen.MP3, d time.Duration, edit func(*voicegen.MP3)) ([]byte, time.Duration) {
		m.Frames = m.FramesFor(d)
		if edit != nil {
			edit(&m)
		}
		return m.Bytes(), m.Duration()
	}
	type tc struct {
		name string
		data []byte
		want time.Duration
		none bool // not measured
	}
	file := func(name string, b []byte, d time.Duration) tc { return tc{name: name, data: b, want: d} }
	pcm := voicegen.PCM8(61 * time.Second)
	var tests []tc
	add := func(name string, b []byte, d time.Duration) { tests = append(tests, file(name, b, d)) }
	add("AMR-NB, 59.98 s", voicegen.AMR(false, 0, 2999), 59980*ms)
	add("AMR-NB, 60.02 s", voicegen.AMR(false, 0, 3001), 60020*ms)
	add("AMR-NB 12.2 kbit/s, 61 s", voicegen.AMR(false, 7, 3050), 61*time.Second)
	add("AMR-WB, 59 s", voicegen.AMR(true, 0, 2950), 59*time.Second)
	add("AMR-WB 23.85 kbit/s, 61 s", voicegen.AMR(true, 8, 3050), 61*time.Second)
	amrCut := voicegen.AMR(false, 7, 100)
	add("AMR, a last frame cut short", amrCut[:len(amrCut)-3], 99*20*ms)
	for _, m := range []struct {
		name string
		m    voicegen.MP3
		d    time.Duration
		edit func(*voicegen.MP3)
	}{
		{"MPEG-2.5, just under 60 s", mpeg25, 59950 * ms, nil},
		{"MPEG-2.5, just over 60 s", mpeg25, 60010 * ms, nil},
		{"MPEG-2, just under 60 s", mpeg2, 59970 * ms, nil},
		{"MPEG-2, just over 60 s", mpeg2, 60010 * ms, nil},
		{"MPEG-1, just under 60 s", mpeg1, 59970 * ms, nil},
		{"MPEG-1, just over 60 s", mpeg1, 60010 * ms, nil},
		{"MPEG-1 stereo 44.1 kHz", voicegen.MP3{Version: 1, SampleRate: 44100, Bitrates: []int{128}}, 61 * time.Second, nil},
		{"VBR walked", vbr, 61 * time.Second, nil},
		{"VBR with Xing", vbr, 61 * time.Second, func(m *voicegen.MP3) { m.Tag = "Xing" }},
		{"VBR with VBRI", vbr, 59 * time.Second, func(m *voicegen.MP3) { m.Tag = "VBRI" }},
		{"stereo MPEG-1 with Xing", voicegen.MP3{Version: 1, SampleRate: 48000, Bitrates: []int{64, 96}}, 59 * time.Second, func(m *voicegen.MP3) { m.Tag = "Xing" }},
		{"stereo MPEG-2 with Info", mpeg2, 61 * time.Second, func(m *voicegen.MP3) { m.Tag = "Info" }},
		{"a 1 MB ID3v2 tag and an ID3v1 tag", mpeg25, 61 * time.Second, func(m *voicegen.MP3) { m.ID3v2, m.ID3v1 = 1<<20, true }},
		{"zero bytes after the tag", mpeg2, 61 * time.Second, func(m *voicegen.MP3) { m.ID3v2, m.Junk = 100, 1000 }},
	} {
		b, d := mp3(m.m, m.d, m.edit)
		add("MP3 "+m.name, b, d)
	}
	lie, _ := mp3(vbr, time.Second, func(m *voicegen.MP3) { m.Tag, m.TagFrames = "Xing", 10_000 })
	add("MP3, the Xing count is what counts", lie, 10_000*36*ms)
	info, _ := mp3(mpeg1, 36*ms, func(m *voicegen.MP3) { m.Tag, m.Frames = "Info", 1000 })
	i := bytes.Index(info, []byte("Info"))
	copy(info[i+4:], []byte{0, 0, 0, 0}) // no frame count: the frames are followed, the Info frame is not one
	add("MP3, an Info header without a count", info, 1000*36*ms)
	one, _ := mp3(mpeg1, 36*ms, nil)
	add("MP3 of one frame", one, 36*ms)
	cut, _ := mp3(mpeg1, 3600*ms, nil)
	add("MP3, a last frame cut short", cut[:len(cut)-10], 99*36*ms)
	two, _ := mp3(mpeg2, 3600*ms, nil)
	other, _ := mp3(mpeg1, 1800*ms, nil)
	add("MP3, frames of another stream after", append(two, other...), 3600*ms)

	add("WAV, just under 60 s", voicegen.PCM8(59990*ms).Bytes(), 59990*ms)
	add("WAV, just over 60 s", voicegen.PCM8(60010*ms).Bytes(), 60010*ms)
	gsm := voicegen.WAV{Format: 0x31, Channels: 1, SampleRate: 8000, ByteRate: 1625, BlockAlign: 65, DataBytes: 61 * 1625}
	add("WAV GSM 6.10, 61 s", gsm.Bytes(), 61*time.Second)
	w := pcm
	w.List = 33
	add("WAV with an odd LIST chunk first", w.Bytes(), 61*time.Second)
	w = pcm
	w.DataFirst = true
	add("WAV with data before fmt", w.Bytes(), 61*time.Second)
	w = pcm
	w.DataSize = 0xFFFFFFFF
	add("WAV of unknown data size", w.Bytes(), 61*time.Second)
	w = pcm
	w.DataSize = 120 * 8000
	add("WAV cut short", w.Bytes(), 61*time.Second)

	add("WMA, just under 60 s", voicegen.WMA{Play: 62990 * ms, Preroll: 3 * time.Second}.Bytes(), 59990*ms)
	add("WMA, just over 60 s", voicegen.WMA{Play: 63010 * ms, Preroll: 3 * time.Second, Packets: 2}.Bytes(), 60010*ms)
	add("WMA, stream properties first", voicegen.WMA{Play: 61 * time.Second, StreamFirst: true}.Bytes(), 61*time.Second)

	noData := voicegen.PCM8(time.Second).Bytes()[:36]
	tests = append(tests,
		tc{name: "WMA for broadcast", data: voicegen.WMA{Play: 61 * time.Second, Broadcast: true}.Bytes(), none: true},
		tc{name: "WAV without data", data: noData, none: true},
		tc{name: "an ID3v2 tag and no frame", data: append([]byte("ID3\x04\x00\x00\x00\x00\x01\x00"), make([]byte, 128)...), none: true},
		tc{name: "text", data: bytes.Repeat([]byte("not a voice "), 100), none: true},
		tc{name: "a JPEG", data: append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 100)...), none: true},
	)
	for _, tt := range tests {
		for _, piece := range []int{1, 3, 7, 512, 4096, len(tt.data) + 1} {
			m := newVoiceMeter()
			for b := tt.data; len(b) > 0; {
				k := min(piece, len(b))
				m.Write(b[:k])
				b = b[k:]
			}
			got, ok := m.duration(int64(len(tt.data)))
			if tt.none {
				if ok {
					t.Errorf("%s, in pieces of %d: measured %v, want no length", tt.name, piece, got)
				}
				continue
			}
			if !ok || got != tt.want {
				t.Errorf("%s, in pieces of %d: %v (measured %v), want %v", tt.name, piece, got, ok, tt.want)
			}
		}
	}
}

// FuzzVoiceMeter writes any bytes to the meter in pieces: it must not
// panic, report a negative length, hold more than a frame, or measure
// differently than when the bytes come at once. The seeds in
// testdata/fuzz/FuzzVoiceMeter are small voices of each format, whole and
// cut short.
func FuzzVoiceMeter(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, piece uint8) {
		whole := newVoiceMeter()
		whole.Write(data)
		want, wantOK := whole.duration(int64(len(data)))
		m := newVoiceMeter()
		step := int(piece)%64 + 1
		for b := data; len(b) > 0; {
			k := min(step, len(b))
			m.Write(b[:k])
			b = b[k:]
			if held := len(m.got) + len(m.again); held > 8<<10 {
				t.Fatalf("the meter holds %d bytes", held)
			}
		}
		got, ok := m.duration(int64(len(data)))
		if got < 0 || got != want || ok != wantOK {
			t.Fatalf("in pieces of %d: %v, %v; at once: %v, %v", step, got, ok, want, wantOK)
		}
	})
}
