package material

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// ErrUnmeasurable is matched by the error of MeasureDuration for a file
// whose playback length its headers do not tell: another format, a header
// cut short or garbled, an MP3 without two frames in a row, a WMA written
// for broadcast. An upload of such a file is sent: the platform decides.
var ErrUnmeasurable = errors.New("material: playback length cannot be measured")

// MeasureDuration returns the playback length of an audio file of format f
// read from r, which holds size bytes (-1 when unknown). As
// image.DecodeConfig does for pictures, it reads only what says the length,
// never decoding the sound:
//
//   - FormatMP3 (MPEG-1, 2 and 2.5 layer III): an ID3v2 tag is skipped by
//     its size; a Xing, Info or VBRI header in the first frame gives the
//     frame count of the file; otherwise every frame header is read, from
//     one to the next by the frame lengths they give, up to the end or an
//     ID3v1, APE or Lyrics tag. Length = frames × 1152 (MPEG-1) or 576
//     samples ÷ the sample rate.
//   - FormatWAV: the "fmt " chunk's byte rate and the "data" chunk's size
//     (capped by size, for a file cut short).
//   - FormatWMA: the ASF File Properties Object's play duration minus its
//     preroll.
//   - FormatAMR (narrow- and wide-band): one frame header after another, by
//     the frame sizes of their modes; 20 ms a frame.
//
// A file that cannot be measured fails with an error matching
// ErrUnmeasurable; a read error is returned as it is. When r is also an
// io.Seeker, skipped bytes are seeked over rather than read. Memory stays
// a few KiB whatever the file.
func MeasureDuration(r io.Reader, f Format, size int64) (time.Duration, error) {
	d, _, err := measure(r, f, size)
	return d, err
}

// measure is MeasureDuration, also saying what the length was read from.
func measure(r io.Reader, f Format, size int64) (time.Duration, string, error) {
	s := &audioScanner{br: bufio.NewReaderSize(r, scanBuffer), under: r, size: size}
	if sk, ok := r.(io.Seeker); ok && size >= 0 {
		s.seeker = sk
	}
	var d time.Duration
	var from string
	var err error
	switch f {
	case FormatMP3:
		d, from, err = s.mp3()
	case FormatWAV:
		d, from, err = s.wav()
	case FormatWMA:
		d, from, err = s.wma()
	case FormatAMR:
		d, from, err = s.amr()
	default:
		return 0, "", fmt.Errorf("%w: %s files are not measured", ErrUnmeasurable, f)
	}
	if err != nil && !errors.Is(err, ErrUnmeasurable) && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		err = fmt.Errorf("%w: the %s file ends inside a header", ErrUnmeasurable, f)
	}
	return d, from, err
}

// scanBuffer is the read buffer: more than the largest MPEG frame (1441
// bytes) and its successor's header, so that a frame can be confirmed by a
// peek.
const scanBuffer = 4096

// audioScanner reads a file forward, peeking at headers and skipping the
// rest.
type audioScanner struct {
	br     *bufio.Reader
	under  io.Reader // the reader under br
	seeker io.Seeker // under, when it can seek and the size is known
	size   int64     // the file's size, -1 when unknown
	pos    int64     // offset of the next unread byte
}

// peek returns up to n next bytes without consuming them; fewer only at
// the end of the file (or on a read error, returned then).
func (s *audioScanner) peek(n int) ([]byte, error) {
	b, err := s.br.Peek(n)
	if err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	return b, err
}

// skip consumes n bytes and reports how many there were before the end.
// Over a seeker, a skip longer than the buffer seeks instead of reading.
func (s *audioScanner) skip(n int64) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	if s.seeker != nil && n > scanBuffer {
		if s.size >= 0 {
			n = min(n, s.size-s.pos) // never past the end
		}
		buffered := int64(s.br.Buffered())
		if _, err := s.seeker.Seek(n-buffered, io.SeekCurrent); err != nil {
			return 0, err
		}
		s.br.Reset(s.under)
		s.pos += n
		return n, nil
	}
	var done int64
	for done < n {
		m, err := s.br.Discard(int(min(n-done, math.MaxInt32)))
		done += int64(m)
		s.pos += int64(m)
		if err == io.EOF {
			return done, nil
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// unmeasurable returns an error matching ErrUnmeasurable.
func unmeasurable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnmeasurable, fmt.Sprintf(format, args...))
}

// samples converts a number of samples (or bytes) at rate a second to a
// duration, without overflowing for any count a header can hold.
func samples(n, rate uint64) time.Duration {
	if rate == 0 {
		return 0
	}
	secs := n / rate
	if secs > uint64(math.MaxInt64/int64(time.Second))-1 {
		return math.MaxInt64
	}
	return time.Duration(secs)*time.Second + time.Duration((n%rate)*uint64(time.Second)/rate)
}

// AMR (RFC 4867 section 5): a magic line, then frames of a one-byte header
// (frame type in bits 3-6) and the speech bits of that type, 20 ms each.
var (
	amrNBSpeech = [16]int64{12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0}
	amrWBSpeech = [16]int64{17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0}
)

func (s *audioScanner) amr() (time.Duration, string, error) {
	head, err := s.peek(9)
	if err != nil {
		return 0, "", err
	}
	var speech *[16]int64
	switch {
	case bytes.HasPrefix(head, []byte("#!AMR-WB\n")):
		speech = &amrWBSpeech
		_, err = s.skip(9)
	case bytes.HasPrefix(head, []byte("#!AMR\n")):
		speech = &amrNBSpeech
		_, err = s.skip(6)
	default:
		return 0, "", unmeasurable("no AMR magic line (multi-channel AMR is not measured)")
	}
	if err != nil {
		return 0, "", err
	}
	var frames int64
	for {
		h, err := s.peek(1)
		if err != nil {
			return 0, "", err
		}
		if len(h) == 0 {
			break
		}
		n := 1 + speech[h[0]>>3&0x0F]
		got, err := s.skip(n)
		if err != nil {
			return 0, "", err
		}
		if got < n {
			break // a last frame cut short does not play
		}
		frames++
	}
	return time.Duration(frames) * 20 * time.Millisecond, "its AMR frames", nil
}

// WAV: a RIFF file of form WAVE whose "fmt " chunk gives the byte rate
// (bytes 8-11 of its body) and whose "data" chunk holds the sound.
func (s *audioScanner) wav() (time.Duration, string, error) {
	head, err := s.peek(12)
	if err != nil {
		return 0, "", err
	}
	if len(head) < 12 || string(head[:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		return 0, "", unmeasurable("no RIFF WAVE header")
	}
	if _, err := s.skip(12); err != nil {
		return 0, "", err
	}
	var byteRate uint32
	var dataSize, dataAt int64 = -1, 0
	for range 1000 { // chunks; more is garbage
		h, err := s.peek(8)
		if err != nil {
			return 0, "", err
		}
		if len(h) < 8 {
			break
		}
		id, size := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:8]))
		if _, err := s.skip(8); err != nil {
			return 0, "", err
		}
		body := size + size&1 // chunks are padded to an even size
		switch id {
		case "fmt ":
			if size < 16 {
				return 0, "", unmeasurable("a WAV fmt chunk of %d bytes", size)
			}
			f, err := s.peek(16)
			if err != nil {
				return 0, "", err
			}
			if len(f) < 16 {
				return 0, "", unmeasurable("the WAV fmt chunk is cut short")
			}
			byteRate = binary.LittleEndian.Uint32(f[8:12])
		case "data":
			dataSize, dataAt = size, s.pos
		}
		if byteRate != 0 && dataSize >= 0 {
			break
		}
		got, err := s.skip(body)
		if err != nil {
			return 0, "", err
		}
		if got < body {
			break
		}
	}
	if dataSize < 0 || byteRate == 0 {
		return 0, "", unmeasurable("a WAV file without a data chunk and a fmt chunk giving a byte rate")
	}
	if s.size >= 0 {
		avail := max(s.size-dataAt, 0)
		if dataSize == math.MaxUint32 || dataSize > avail {
			dataSize = avail // a stream of unknown length, or a file cut short
		}
	}
	return samples(uint64(dataSize), uint64(byteRate)), "its WAV header", nil
}

// ASF (WMA): a Header Object (GUID, size, object count, 2 reserved bytes)
// holding a File Properties Object whose play duration (100-ns units, at
// offset 64) includes the preroll (ms, offset 80); flag bit 0 (offset 88)
// marks a broadcast whose durations are not valid.
var (
	asfHeaderGUID    = []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
	asfFilePropsGUID = []byte{0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65}
)

func (s *audioScanner) wma() (time.Duration, string, error) {
	head, err := s.peek(30)
	if err != nil {
		return 0, "", err
	}
	if len(head) < 30 || !bytes.Equal(head[:16], asfHeaderGUID) {
		return 0, "", unmeasurable("no ASF header object")
	}
	le := binary.LittleEndian
	headerEnd := int64(le.Uint64(head[16:24]))
	count := le.Uint32(head[24:28])
	if _, err := s.skip(30); err != nil {
		return 0, "", err
	}
	for i := uint32(0); i < count && i < 1000; i++ {
		o, err := s.peek(24)
		if err != nil {
			return 0, "", err
		}
		if len(o) < 24 {
			break
		}
		size := le.Uint64(o[16:24])
		if size < 24 || headerEnd < 0 || size > uint64(headerEnd) {
			return 0, "", unmeasurable("an ASF object of %d bytes", size)
		}
		if bytes.Equal(o[:16], asfFilePropsGUID) {
			if size < 104 {
				return 0, "", unmeasurable("an ASF file properties object of %d bytes", size)
			}
			p, err := s.peek(104)
			if err != nil {
				return 0, "", err
			}
			if len(p) < 104 {
				break
			}
			if le.Uint32(p[88:92])&1 != 0 {
				return 0, "", unmeasurable("a WMA written for broadcast has no duration")
			}
			play, preroll := le.Uint64(p[64:72]), le.Uint64(p[80:88])
			if play > math.MaxInt64/100 || preroll > math.MaxInt64/uint64(time.Millisecond) {
				return 0, "", unmeasurable("an ASF play duration out of range")
			}
			d := time.Duration(play)*100 - time.Duration(preroll)*time.Millisecond
			return max(d, 0), "its ASF file properties", nil
		}
		got, err := s.skip(int64(size))
		if err != nil {
			return 0, "", err
		}
		if got < int64(size) {
			break
		}
	}
	return 0, "", unmeasurable("no ASF file properties object in the header")
}

// mpegHeader is a parsed MPEG audio layer III frame header.
type mpegHeader struct {
	version    int // 1, 2, or 25 for MPEG-2.5
	sampleRate int
	length     int // bytes in the frame, header included
	samples    int // per frame
	mono       bool
}

var (
	mpeg1L3Kbps = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}
	mpeg2L3Kbps = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0}
	mpegRates   = map[int][3]int{1: {44100, 48000, 32000}, 2: {22050, 24000, 16000}, 25: {11025, 12000, 8000}}
)

// parseMPEG reads a layer III frame header of a known bit rate from the
// first 4 bytes of b.
func parseMPEG(b []byte) (mpegHeader, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mpegHeader{}, false
	}
	var h mpegHeader
	switch b[1] >> 3 & 3 {
	case 0:
		h.version = 25
	case 2:
		h.version = 2
	case 3:
		h.version = 1
	default:
		return mpegHeader{}, false // reserved
	}
	if b[1]>>1&3 != 1 { // layer III only
		return mpegHeader{}, false
	}
	ri := b[2] >> 2 & 3
	if ri == 3 {
		return mpegHeader{}, false
	}
	h.sampleRate = mpegRates[h.version][ri]
	kbps := mpeg2L3Kbps[b[2]>>4]
	coef := 72
	h.samples = 576
	if h.version == 1 {
		kbps, coef, h.samples = mpeg1L3Kbps[b[2]>>4], 144, 1152
	}
	if kbps == 0 { // free format or a bad index: no length to walk by
		return mpegHeader{}, false
	}
	h.length = coef*kbps*1000/h.sampleRate + int(b[2]>>1&1)
	h.mono = b[3]>>6 == 3
	return h, true
}

// sameStream reports whether h can follow first in one stream.
func (h mpegHeader) sameStream(first mpegHeader) bool {
	return h.version == first.version && h.sampleRate == first.sampleRate
}

// mp3Scan bounds the search for a frame: after the ID3v2 tag and after a
// break in the stream.
const mp3Scan = 64 << 10

func (s *audioScanner) mp3() (time.Duration, string, error) {
	for range 16 { // ID3v2 tags, possibly more than one
		h, err := s.peek(10)
		if err != nil {
			return 0, "", err
		}
		if len(h) < 10 || string(h[:3]) != "ID3" {
			break
		}
		if h[3] == 0xFF || h[4] == 0xFF || h[6]|h[7]|h[8]|h[9] >= 0x80 {
			return 0, "", unmeasurable("a garbled ID3v2 header")
		}
		n := 10 + (int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9]))
		if h[5]&0x10 != 0 {
			n += 10 // a footer
		}
		got, err := s.skip(n)
		if err != nil {
			return 0, "", err
		}
		if got < n {
			return 0, "", unmeasurable("the file ends inside its ID3v2 tag")
		}
	}
	first, ok, err := s.findFrame(mpegHeader{})
	if err != nil {
		return 0, "", err
	}
	if !ok {
		return 0, "", unmeasurable("no MPEG layer III frame in the first %d KiB", mp3Scan>>10)
	}
	// A Xing, Info or VBRI header in the first frame counts the frames.
	f, err := s.peek(first.length)
	if err != nil {
		return 0, "", err
	}
	if n, tag, ok := vbrFrames(f, first); ok {
		return samples(n*uint64(first.samples), uint64(first.sampleRate)), "its " + tag + " header", nil
	} else if tag != "" {
		// An Info or Xing frame without a count is silence, not sound.
		got, err := s.skip(int64(first.length))
		if err != nil {
			return 0, "", err
		}
		if got < int64(first.length) {
			return 0, "", unmeasurable("the file ends inside its first frame")
		}
	}
	var frames uint64
	for {
		h, err := s.peek(4)
		if err != nil {
			return 0, "", err
		}
		if len(h) < 4 {
			break
		}
		if fh, ok := parseMPEG(h); ok && fh.sameStream(first) {
			got, err := s.skip(int64(fh.length))
			if err != nil {
				return 0, "", err
			}
			if got < int64(fh.length) {
				break // a last frame cut short does not play
			}
			frames++
			continue
		}
		if isTrailingTag(h) {
			break
		}
		// A break in the stream: look for the next frame.
		if _, ok, err := s.findFrame(first); err != nil {
			return 0, "", err
		} else if !ok {
			break
		}
	}
	if frames == 0 {
		return 0, "", unmeasurable("no MPEG frame after the first")
	}
	return samples(frames*uint64(first.samples), uint64(first.sampleRate)), "its MP3 frame headers", nil
}

// isTrailingTag reports whether b starts an ID3v1, APE, Lyrics3 or
// appended ID3v2 tag, which end the audio.
func isTrailingTag(b []byte) bool {
	for _, t := range []string{"TAG", "APET", "LYRI", "ID3"} {
		if bytes.HasPrefix(b, []byte(t)) {
			return true
		}
	}
	return false
}

// findFrame moves to the next frame header (of the same stream as like,
// unless like is the zero header) that is followed by another one, or by
// the end of the file, within mp3Scan bytes. It does not consume the frame.
func (s *audioScanner) findFrame(like mpegHeader) (mpegHeader, bool, error) {
	for range mp3Scan {
		b, err := s.peek(4)
		if err != nil || len(b) < 4 {
			return mpegHeader{}, false, err
		}
		if h, ok := parseMPEG(b); ok && (like.version == 0 || h.sameStream(like)) {
			next, err := s.peek(h.length + 4)
			if err != nil {
				return mpegHeader{}, false, err
			}
			switch {
			case len(next) == h.length:
				return h, true, nil // the last frame of the file
			case len(next) == h.length+4:
				if nh, ok := parseMPEG(next[h.length:]); ok && nh.sameStream(h) || isTrailingTag(next[h.length:]) {
					return h, true, nil
				}
			}
		}
		if _, err := s.skip(1); err != nil {
			return mpegHeader{}, false, err
		}
	}
	return mpegHeader{}, false, nil
}

// vbrFrames reads the frame count of a Xing or Info header (after the side
// information: 32 or 17 bytes for MPEG-1 stereo or mono, 17 or 9 for
// MPEG-2 and 2.5) or a VBRI header (32 bytes after the frame header) in
// frame f. tag names the header found, if any; ok says it gave a count.
func vbrFrames(f []byte, h mpegHeader) (n uint64, tag string, ok bool) {
	side := 32
	switch {
	case h.version == 1 && h.mono, h.version != 1 && !h.mono:
		side = 17
	case h.version != 1 && h.mono:
		side = 9
	}
	if o := 4 + side; len(f) >= o+12 && (string(f[o:o+4]) == "Xing" || string(f[o:o+4]) == "Info") {
		tag = string(f[o : o+4])
		if binary.BigEndian.Uint32(f[o+4:o+8])&1 == 0 {
			return 0, tag, false
		}
		n = uint64(binary.BigEndian.Uint32(f[o+8 : o+12]))
		return n, tag, n > 0
	}
	if o := 4 + 32; len(f) >= o+18 && string(f[o:o+4]) == "VBRI" {
		n = uint64(binary.BigEndian.Uint32(f[o+14 : o+18]))
		return n, "VBRI", n > 0
	}
	return 0, "", false
}

// durationText writes d in seconds to the millisecond: "61 s", "60.5 s".
func durationText(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', -1, 64) + " s"
}

// checkDuration measures a voice of format f and refuses one longer than
// r.MaxDuration with a *ValidationError that gives the measured length. A
// file that cannot be measured passes (the platform decides); so does a
// one-shot Source, which Validate may not read (Prepare spools it first).
func (r Rule) checkDuration(src Source, f Format) error {
	if r.MaxDuration <= 0 || !src.Replayable() {
		return nil
	}
	rc, err := src.Open()
	if err != nil {
		return fmt.Errorf("material: read %s: %w", displayName(src.Name()), err)
	}
	defer rc.Close()
	d, from, err := measure(rc, f, src.Size())
	switch {
	case errors.Is(err, ErrUnmeasurable):
		return nil
	case err != nil:
		return fmt.Errorf("material: read %s: %w", displayName(src.Name()), err)
	case d <= r.MaxDuration:
		return nil
	}
	return &ValidationError{Platform: r.Platform, API: r.API, Kind: r.Kind, Name: src.Name(), Field: "duration", Value: durationText(d),
		Problem: fmt.Sprintf("plays longer than the %s limit (measured from %s)", durationText(r.MaxDuration), from),
		Err:     []error{ErrTooLong, ErrTooLarge, ErrInvalidSize}}
}

// spoolVoice copies a one-shot voice of known size into a temporary file,
// so that Validate can measure its length and the upload still sends it
// (and can resend it). A voice is at most a few MB. The copy must hold the
// size the Source declared. cleanup removes the file; it is nil when src is
// returned as it is.
func (r Rule) spoolVoice(src Source) (Source, func(), error) {
	size := src.Size()
	if r.MaxDuration <= 0 || src.b == nil || src.Replayable() || size <= 0 || size > r.MaxSize {
		return src, nil, nil
	}
	sp, cleanup, tooLarge, err := src.spool("", size)
	if err != nil {
		return Source{}, nil, err
	}
	if tooLarge || sp.Size() != size {
		if cleanup != nil {
			cleanup()
		}
		got := "more"
		if !tooLarge {
			got = strconv.FormatInt(sp.Size(), 10)
		}
		return Source{}, nil, &ValidationError{Platform: r.Platform, API: r.API, Kind: r.Kind, Name: src.Name(), Field: "size",
			Problem: fmt.Sprintf("the reader yielded %s bytes, not the %d its Source declared", got, size), Err: []error{ErrInvalidInput}}
	}
	return sp, cleanup, nil
}
