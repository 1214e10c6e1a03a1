package material_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/voicegen"
	"github.com/wxmaterial/wxmaterial/material"
)

const ms = time.Millisecond

// mp3Of returns an MP3 of m's kind holding at least d of audio, and its
// length.
func mp3Of(m voicegen.MP3, d time.Duration) ([]byte, time.Duration) {
	m.Frames = m.FramesFor(d)
	return m.Bytes(), m.Duration()
}

// Typical voice encodings, at low bit rates so that a minute stays small.
var (
	mpeg25 = voicegen.MP3{Version: 25, SampleRate: 8000, Bitrates: []int{8}, Mono: true}             // 72 ms frames of 72 bytes
	mpeg2  = voicegen.MP3{Version: 2, SampleRate: 16000, Bitrates: []int{8}}                         // 36 ms frames of 36 bytes
	mpeg1  = voicegen.MP3{Version: 1, SampleRate: 32000, Bitrates: []int{32}, Mono: true}            // 36 ms frames of 144 bytes
	vbr    = voicegen.MP3{Version: 2, SampleRate: 16000, Bitrates: []int{8, 16, 24, 16}, Mono: true} // a variable bit rate
)

func with(m voicegen.MP3, f func(*voicegen.MP3)) voicegen.MP3 {
	f(&m)
	return m
}

func TestMeasureDuration(t *testing.T) {
	type tc struct {
		name   string
		format material.Format
		data   []byte
		size   int64 // -2: len(data); otherwise passed as is
		want   time.Duration
		unmeas bool // the length cannot be measured
	}
	mp3 := func(name string, m voicegen.MP3, d time.Duration) tc {
		b, want := mp3Of(m, d)
		return tc{name: name, format: material.FormatMP3, data: b, size: -2, want: want}
	}
	amr := func(name string, wb bool, mode, frames int) tc {
		return tc{name: name, format: material.FormatAMR, data: voicegen.AMR(wb, mode, frames), size: -2, want: time.Duration(frames) * 20 * ms}
	}
	wav := func(name string, w voicegen.WAV, size int64, want time.Duration) tc {
		return tc{name: name, format: material.FormatWAV, data: w.Bytes(), size: size, want: want}
	}
	wma := func(name string, w voicegen.WMA) tc {
		return tc{name: name, format: material.FormatWMA, data: w.Bytes(), size: -2, want: w.Duration()}
	}
	xingLie := with(vbr, func(m *voicegen.MP3) { m.Tag, m.TagFrames = "Xing", 10_000 })
	xingLie.Frames = 100
	cut := func(b []byte, n int) []byte { return b[:len(b)-n] }
	pcm := voicegen.PCM8(61 * time.Second)
	tests := []tc{
		amr("AMR-NB 4.75 kbit/s, 59.98 s", false, 0, 2999),
		amr("AMR-NB 4.75 kbit/s, 60 s", false, 0, 3000),
		amr("AMR-NB 4.75 kbit/s, 60.02 s", false, 0, 3001),
		amr("AMR-NB 12.2 kbit/s, 61 s", false, 7, 3050),
		amr("AMR-NB SID and NO_DATA frames", false, 15, 3050),
		amr("AMR-WB 6.60 kbit/s, 59 s", true, 0, 2950),
		amr("AMR-WB 23.85 kbit/s, 61 s", true, 8, 3050),
		{name: "AMR, a last frame cut short", format: material.FormatAMR, data: cut(voicegen.AMR(false, 7, 3050), 5), size: -1, want: 3049 * 20 * ms},
		{name: "AMR, the magic line only", format: material.FormatAMR, data: []byte("#!AMR\n"), size: -1, want: 0},
		{name: "AMR multi-channel", format: material.FormatAMR, data: []byte("#!AMR_MC1.0\n\x00\x00\x00\x01"), size: -1, unmeas: true},

		mp3("MPEG-2.5 CBR, just under 60 s", mpeg25, 59950*ms),
		mp3("MPEG-2.5 CBR, just over 60 s", mpeg25, 60010*ms),
		mp3("MPEG-2 CBR, just under 60 s", mpeg2, 59970*ms),
		mp3("MPEG-2 CBR, just over 60 s", mpeg2, 60010*ms),
		mp3("MPEG-1 CBR, just under 60 s", mpeg1, 59970*ms),
		mp3("MPEG-1 CBR, just over 60 s", mpeg1, 60010*ms),
		mp3("MPEG-1 stereo 128 kbit/s, 61 s", voicegen.MP3{Version: 1, SampleRate: 44100, Bitrates: []int{128}}, 61*time.Second),
		mp3("VBR without a header, walked", vbr, 61*time.Second),
		mp3("VBR with a Xing header", with(vbr, func(m *voicegen.MP3) { m.Tag = "Xing" }), 61*time.Second),
		mp3("VBR with a VBRI header", with(vbr, func(m *voicegen.MP3) { m.Tag = "VBRI" }), 59*time.Second),
		mp3("CBR with an Info header, MPEG-1", with(mpeg1, func(m *voicegen.MP3) { m.Tag = "Info" }), 61*time.Second),
		mp3("stereo MPEG-2 with a Xing header", with(mpeg2, func(m *voicegen.MP3) { m.Tag = "Xing" }), 61*time.Second),
		{name: "an Info header without a frame count: the frames are walked", format: material.FormatMP3, size: -1,
			data: noCount(with(mpeg1, func(m *voicegen.MP3) { m.Tag, m.Frames = "Info", 1000 }).Bytes()), want: 1000 * 36 * ms},
		mp3("stereo MPEG-1 with a Xing header", voicegen.MP3{Version: 1, SampleRate: 48000, Bitrates: []int{64, 96}, Tag: "Xing"}, 59*time.Second),
		mp3("mono MPEG-2.5 with a VBRI header", with(mpeg25, func(m *voicegen.MP3) { m.Tag = "VBRI" }), 61*time.Second),
		{name: "the Xing count is read, not the frames", format: material.FormatMP3, data: xingLie.Bytes(), size: -1,
			want: 10_000 * 36 * ms},
		mp3("a 1 MB ID3v2 tag and an ID3v1 tag", with(mpeg25, func(m *voicegen.MP3) { m.ID3v2, m.ID3v1 = 1<<20, true }), 61*time.Second),
		mp3("zero bytes between the tag and the first frame", with(mpeg2, func(m *voicegen.MP3) { m.ID3v2, m.Junk = 100, 1000 }), 61*time.Second),
		{name: "MP3, a last frame cut short", format: material.FormatMP3, data: cut(with(mpeg1, func(m *voicegen.MP3) { m.Frames = 100 }).Bytes(), 10),
			size: -1, want: 99 * 36 * ms},
		{name: "MP3 of one frame", format: material.FormatMP3, data: with(mpeg1, func(m *voicegen.MP3) { m.Frames = 1 }).Bytes(), size: -1, want: 36 * ms},
		{name: "MP3, frames of another stream after the audio are not counted", format: material.FormatMP3, size: -1, want: 100 * 36 * ms,
			data: append(with(mpeg2, func(m *voicegen.MP3) { m.Frames = 100 }).Bytes(), with(mpeg1, func(m *voicegen.MP3) { m.Frames = 50 }).Bytes()...)},
		{name: "MP3 after an ID3v2.4 tag with a footer", format: material.FormatMP3, size: -1, want: 100 * 36 * ms,
			data: slices.Concat([]byte("ID3\x04\x00\x10\x00\x00\x00\x20"), make([]byte, 32), []byte("3DI\x04\x00\x10\x00\x00\x00\x20"),
				with(mpeg1, func(m *voicegen.MP3) { m.Frames = 100 }).Bytes())},
		{name: "MP3, an ID3v2 tag and no frame", format: material.FormatMP3, data: append([]byte("ID3\x04\x00\x00\x00\x00\x01\x00"), make([]byte, 128)...), size: -1, unmeas: true},
		{name: "MP3, an ID3v2 tag larger than the file", format: material.FormatMP3, data: append([]byte("ID3\x04\x00\x00\x7f\x7f\x7f\x7f"), make([]byte, 128)...), size: -1, unmeas: true},
		{name: "MP3, text", format: material.FormatMP3, data: []byte(strings.Repeat("not an mp3 ", 100)), size: -1, unmeas: true},
		{name: "MP3, one frame header and garbage", format: material.FormatMP3, data: append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 100)...), size: -1, unmeas: true},

		wav("WAV 8-bit PCM, just under 60 s", voicegen.PCM8(59990*ms), -2, 59990*ms),
		wav("WAV 8-bit PCM, just over 60 s", voicegen.PCM8(60010*ms), -2, 60010*ms),
		wav("WAV 16-bit stereo 44.1 kHz, 1 s", voicegen.WAV{Format: 1, Channels: 2, SampleRate: 44100, ByteRate: 176400, BlockAlign: 4, Bits: 16, DataBytes: 176400}, -2, time.Second),
		wav("WAV GSM 6.10, 61 s", voicegen.WAV{Format: 0x31, Channels: 1, SampleRate: 8000, ByteRate: 1625, BlockAlign: 65, Bits: 0, DataBytes: 61 * 1625}, -2, 61*time.Second),
		wav("WAV with an odd-sized LIST chunk first", with2(pcm, func(w *voicegen.WAV) { w.List = 33 }), -2, 61*time.Second),
		wav("WAV with data before fmt", with2(pcm, func(w *voicegen.WAV) { w.DataFirst = true }), -2, 61*time.Second),
		wav("WAV streamed: data size 0xFFFFFFFF, file size known", with2(pcm, func(w *voicegen.WAV) { w.DataSize = 0xFFFFFFFF }), -2, 61*time.Second),
		wav("WAV cut short: the size caps the header", with2(pcm, func(w *voicegen.WAV) { w.DataSize = 120 * 8000 }), -2, 61*time.Second),
		wav("WAV, size unknown: the header is trusted", with2(pcm, func(w *voicegen.WAV) { w.DataSize = 120 * 8000 }), -1, 120*time.Second),
		{name: "WAV with a byte rate of 0", format: material.FormatWAV, data: with2(pcm, func(w *voicegen.WAV) { w.ByteRate = 0 }).Bytes(), size: -2, unmeas: true},
		{name: "WAV without a data chunk", format: material.FormatWAV, data: voicegen.PCM8(time.Second).Bytes()[:36], size: -2, unmeas: true},
		{name: "WAV, RIFF of another form", format: material.FormatWAV, data: []byte("RIFF\x04\x00\x00\x00AVI LIST"), size: -2, unmeas: true},

		wma("WMA, just under 60 s", voicegen.WMA{Play: 62990 * ms, Preroll: 3 * time.Second}),
		wma("WMA, just over 60 s", voicegen.WMA{Play: 63010 * ms, Preroll: 3 * time.Second, Packets: 3}),
		wma("WMA, stream properties first", voicegen.WMA{Play: 61 * time.Second, StreamFirst: true}),
		{name: "WMA written for broadcast", format: material.FormatWMA, data: voicegen.WMA{Play: 61 * time.Second, Broadcast: true}.Bytes(), size: -2, unmeas: true},
		{name: "WMA, header cut short", format: material.FormatWMA, data: voicegen.WMA{Play: 61 * time.Second}.Bytes()[:100], size: -2, unmeas: true},

		{name: "a format without a length", format: material.FormatJPEG, data: []byte{0xFF, 0xD8, 0xFF}, size: -2, unmeas: true},
		{name: "an empty file", format: material.FormatAMR, size: -2, unmeas: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == -2 {
				size = int64(len(tt.data))
			}
			got, err := material.MeasureDuration(iotest.OneByteReader(bytes.NewReader(tt.data)), tt.format, size)
			if tt.unmeas {
				if !errors.Is(err, material.ErrUnmeasurable) {
					t.Fatalf("MeasureDuration = %v, %v; want an error matching ErrUnmeasurable", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("MeasureDuration = %v, %v; want %v", got, err, tt.want)
			}
			// A seekable reader gives the same length.
			if got, err := material.MeasureDuration(bytes.NewReader(tt.data), tt.format, size); err != nil || got != tt.want {
				t.Errorf("MeasureDuration over a seeker = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// noCount clears the flags of the Info header in b: no frame count.
func noCount(b []byte) []byte {
	i := bytes.Index(b, []byte("Info"))
	copy(b[i+4:], []byte{0, 0, 0, 0})
	return b
}

func with2(w voicegen.WAV, f func(*voicegen.WAV)) voicegen.WAV {
	f(&w)
	return w
}

// countingReader counts the bytes read through it; seekable when r is.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type countingSeeker struct{ countingReader }

func (c *countingSeeker) Seek(off int64, whence int) (int64, error) {
	return c.r.(io.Seeker).Seek(off, whence)
}

// TestMeasureDurationReadsHeaders: the formats whose length is in a header
// are measured from a few KiB, however large the file; a seekable reader
// is not read through a large ID3v2 tag.
func TestMeasureDurationReadsHeaders(t *testing.T) {
	xing := with(vbr, func(m *voicegen.MP3) { m.Tag, m.ID3v2 = "Xing", 1<<20 })
	xingData, _ := mp3Of(xing, 61*time.Second)
	tests := []struct {
		name     string
		format   material.Format
		data     []byte
		seekable bool
		maxRead  int64
	}{
		{name: "WAV of 1.9 MB", format: material.FormatWAV, data: voicegen.PCM8(4 * time.Minute).Bytes(), maxRead: 4096},
		{name: "WAV with data before fmt, seeking", format: material.FormatWAV, data: with2(voicegen.PCM8(4*time.Minute), func(w *voicegen.WAV) { w.DataFirst = true }).Bytes(), seekable: true, maxRead: 3 * 4096},
		{name: "WMA", format: material.FormatWMA, data: voicegen.WMA{Play: time.Minute, Packets: 10_000}.Bytes(), maxRead: 4096},
		{name: "MP3 with Xing after a 1 MB tag, seeking", format: material.FormatMP3, data: xingData, seekable: true, maxRead: 3 * 4096},
		{name: "MP3 with Xing after a 1 MB tag, reading", format: material.FormatMP3, data: xingData, maxRead: 1<<20 + 3*4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader
			var read *int64
			if tt.seekable {
				c := &countingSeeker{countingReader{r: bytes.NewReader(tt.data)}}
				r, read = c, &c.n
			} else {
				c := &countingReader{r: bytes.NewReader(tt.data)}
				r, read = c, &c.n
			}
			if _, err := material.MeasureDuration(r, tt.format, int64(len(tt.data))); err != nil {
				t.Fatal(err)
			}
			if *read > tt.maxRead {
				t.Errorf("read %d of %d bytes, want at most %d", *read, len(tt.data), tt.maxRead)
			}
		})
	}
}

// TestMeasureDurationReadError: a read error is returned, not taken for a
// file that cannot be measured.
func TestMeasureDurationReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	data, _ := mp3Of(mpeg1, 61*time.Second)
	r := io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(boom))
	if _, err := material.MeasureDuration(r, material.FormatMP3, int64(len(data))); !errors.Is(err, boom) || errors.Is(err, material.ErrUnmeasurable) {
		t.Errorf("MeasureDuration = %v, want the read error", err)
	}
}

// TestValidateDuration: a voice longer than the platform's 60 s is refused
// before sending, with its measured length, on every API and format that
// takes voices; shorter ones and ones that cannot be measured pass.
func TestValidateDuration(t *testing.T) {
	over, _ := mp3Of(mpeg25, 60010*ms)
	under, _ := mp3Of(mpeg25, 59950*ms)
	tests := []struct {
		name     string
		platform material.Platform
		api      material.API
		file     string
		data     []byte
		wantText string // "" means valid
	}{
		{name: "OA temporary MP3 over", platform: material.OfficialAccount, api: material.APITemporary, file: "a.mp3", data: over,
			wantText: `duration "60.048 s": plays longer than the 60 s limit (measured from its MP3 frame headers)`},
		{name: "OA temporary MP3 under", platform: material.OfficialAccount, api: material.APITemporary, file: "a.mp3", data: under},
		{name: "OA temporary AMR over", platform: material.OfficialAccount, api: material.APITemporary, file: "a.amr", data: voicegen.AMR(false, 0, 3001),
			wantText: `"60.02 s": plays longer than the 60 s limit (measured from its AMR frames)`},
		{name: "OA temporary AMR of exactly 60 s", platform: material.OfficialAccount, api: material.APITemporary, file: "a.amr", data: voicegen.AMR(false, 0, 3000)},
		{name: "OA permanent WAV over", platform: material.OfficialAccount, api: material.APIPermanent, file: "a.wav", data: voicegen.PCM8(60010 * ms).Bytes(),
			wantText: `"60.01 s": plays longer than the 60 s limit (measured from its WAV header)`},
		{name: "OA permanent WMA over", platform: material.OfficialAccount, api: material.APIPermanent, file: "a.wma", data: voicegen.WMA{Play: 61 * time.Second}.Bytes(),
			wantText: `"61 s": plays longer than the 60 s limit (measured from its ASF file properties)`},
		{name: "OA permanent MP3 with Xing over", platform: material.OfficialAccount, api: material.APIPermanent, file: "a.mp3",
			data: with(vbr, func(m *voicegen.MP3) { m.Tag, m.Frames = "Xing", 1700 }).Bytes(), wantText: "(measured from its Xing header)"},
		{name: "WeCom AMR-WB over", platform: material.WeCom, api: material.APITemporary, file: "a.amr", data: voicegen.AMR(true, 0, 3050),
			wantText: `WeCom temporary voice "a.amr" duration "61 s"`},
		{name: "WeCom AMR under", platform: material.WeCom, api: material.APITemporary, file: "a.amr", data: voicegen.AMR(true, 0, 2950)},
		{name: "a WAV without a data chunk is sent", platform: material.OfficialAccount, api: material.APIPermanent, file: "a.wav",
			data: voicegen.PCM8(time.Second).Bytes()[:36]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, err := material.RuleFor(tt.platform, tt.api, material.KindVoice)
			if err != nil {
				t.Fatal(err)
			}
			err = rule.Validate(material.FromBytes(tt.file, tt.data))
			if tt.wantText == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *material.ValidationError
			if !errors.As(err, &ve) || ve.Field != "duration" {
				t.Fatalf("Validate = %v, want a *material.ValidationError on the duration", err)
			}
			for _, target := range []error{material.ErrTooLong, material.ErrTooLarge, material.ErrInvalidSize} {
				if !errors.Is(err, target) {
					t.Errorf("err = %v, does not match %v", err, target)
				}
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

// TestPrepareOneShotVoice: a one-shot voice of known size is spooled so
// that its length is measured, and the prepared Source sends the same bytes
// (and can send them again); Validate alone does not read it.
func TestPrepareOneShotVoice(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // spool files land here, for spoolFiles to count
	rule, _ := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindVoice)
	over, _ := mp3Of(mpeg25, 61*time.Second)
	under, _ := mp3Of(mpeg25, 59*time.Second)
	oneShot := func(b []byte, size int64) material.Source {
		return material.FromReader("voice.mp3", io.MultiReader(bytes.NewReader(b)), size)
	}

	t.Run("Validate leaves a one-shot source unread", func(t *testing.T) {
		src := oneShot(over, int64(len(over)))
		if err := rule.Validate(src); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if got := readAll(t, src); !bytes.Equal(got, over) {
			t.Errorf("the source yields %d bytes after Validate, want its %d", len(got), len(over))
		}
	})
	t.Run("too long", func(t *testing.T) {
		before := len(spoolFiles(t))
		_, _, err := rule.Prepare(oneShot(over, int64(len(over))))
		if !errors.Is(err, material.ErrTooLong) || !strings.Contains(err.Error(), "61.056 s") {
			t.Errorf("Prepare = %v, want ErrTooLong with the measured length", err)
		}
		if after := len(spoolFiles(t)); after != before {
			t.Errorf("%d temporary files left behind", after-before)
		}
	})
	for _, tt := range []struct {
		name string
		size int64
		want []byte // nil: an error matching ErrInvalidInput
	}{
		{name: "under, known size", size: int64(len(under)), want: under},
		{name: "under, unknown size", size: -1, want: under},
		{name: "a reader longer than its size", size: int64(len(under)) - 1},
		{name: "a reader shorter than its size", size: int64(len(under)) + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(spoolFiles(t))
			src, cleanup, err := rule.Prepare(oneShot(under, tt.size))
			if tt.want == nil {
				if !errors.Is(err, material.ErrInvalidInput) {
					t.Errorf("Prepare = %v, want an error matching ErrInvalidInput", err)
				}
			} else {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if !src.Replayable() || src.Size() != int64(len(tt.want)) || src.Name() != "voice.mp3" {
					t.Errorf("prepared %q of %d bytes, replayable %v", src.Name(), src.Size(), src.Replayable())
				}
				for range 2 {
					if got := readAll(t, src); !bytes.Equal(got, tt.want) {
						t.Errorf("the prepared source yields %d bytes, want the %d sent", len(got), len(tt.want))
					}
				}
				cleanup()
			}
			if after := len(spoolFiles(t)); after != before {
				t.Errorf("%d temporary files left behind", after-before)
			}
		})
	}
}

// fuzzFormats are the formats FuzzMeasureDuration picks from.
var fuzzFormats = []material.Format{material.FormatMP3, material.FormatWAV, material.FormatWMA, material.FormatAMR}

// FuzzMeasureDuration feeds any bytes to every parser: it must not panic
// or report a negative length, and it must give the same answer whether it
// reads the file through or seeks over it. The seeds in
// testdata/fuzz/FuzzMeasureDuration are small files of each format, whole
// and cut short.
func FuzzMeasureDuration(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, pick byte) {
		format := fuzzFormats[int(pick)%len(fuzzFormats)]
		read, errRead := material.MeasureDuration(iotest.HalfReader(bytes.NewReader(data)), format, int64(len(data)))
		seek, errSeek := material.MeasureDuration(bytes.NewReader(data), format, int64(len(data)))
		if read < 0 {
			t.Fatalf("%s: negative length %v", format, read)
		}
		if read != seek || (errRead == nil) != (errSeek == nil) {
			t.Fatalf("%s: read through %v, %v; seeking %v, %v", format, read, errRead, seek, errSeek)
		}
		if _, err := material.MeasureDuration(bytes.NewReader(data), format, -1); err != nil && !errors.Is(err, material.ErrUnmeasurable) {
			t.Fatalf("%s: a bytes.Reader failed with %v", format, err)
		}
	})
}
