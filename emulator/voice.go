package emulator

import (
	"bytes"
	"encoding/binary"
	"time"
)

// voiceMeter measures the playback length of a voice from the bytes of an
// upload as they stream past (it is an io.Writer beside the storage), the
// way the platforms judge 45007: from the headers, never decoding the
// sound, holding no more than one MPEG frame. It recognises the format by
// its first bytes:
//
//   - AMR ("#!AMR\n", "#!AMR-WB\n"): 20 ms a frame; a frame is a header
//     byte whose bits 3-6 give the frame type, then the speech bytes of
//     that type (RFC 4867 section 5; 3GPP TS 26.101 and 26.201).
//   - MP3: ID3v2 tags skipped by their synchsafe size; MPEG-1, 2 and 2.5
//     layer III frames; a Xing or Info header (after the side information)
//     or a VBRI header (32 bytes after the frame header) in the first frame
//     gives the frame count; otherwise frames are followed header to header.
//     1152 samples a frame for MPEG-1, 576 for MPEG-2 and 2.5.
//   - WAV: the "fmt " chunk's byte rate and the "data" chunk's size.
//   - WMA: the ASF File Properties Object's play duration (100 ns units)
//     minus its preroll (ms).
//
// Anything else, or a file whose headers do not add up, is not measured.
type voiceMeter struct {
	// The engine: each step asks for a number of bytes (want) and is
	// called with them; pass drops bytes first; unread hands bytes back.
	want    int
	pass    int64
	got     []byte // bytes gathered for step; its array is reused
	again   []byte // bytes handed back, consumed before new input
	spare   [2][]byte
	flip    int // again lives in spare[flip]
	step    func(b []byte)
	at      int64 // offset of the next byte to consume
	stopped bool

	// What was learned.
	length  time.Duration // when known is set
	known   bool
	frames  int64 // AMR or MP3 frames seen
	lastEnd int64 // where the last frame seen ends
	amrOK   bool  // AMR frames are being counted

	mp3         mpegFrame // the first MPEG frame, zero until found
	mp3Pending  *mpegFrame
	scanned     int64 // bytes searched for an MPEG frame since the last one
	wavRate     uint32
	wavData     int64 // the data chunk's size, -1 until seen
	wavDataAt   int64
	wavChunks   int
	asfLeft     uint32 // header objects not read yet
	asfCapacity uint64 // the header object's size
}

func newVoiceMeter() *voiceMeter {
	v := &voiceMeter{wavData: -1}
	v.ask(12, v.sniff)
	return v
}

func (v *voiceMeter) ask(n int, f func([]byte)) { v.want, v.step = n, f }
func (v *voiceMeter) skip(n int64)              { v.pass += n }
func (v *voiceMeter) stop()                     { v.stopped = true }

// unread hands b back, to be consumed again before the rest. It copies b
// into the spare array that does not hold again, so that nothing is
// allocated once the arrays have grown.
func (v *voiceMeter) unread(b []byte) {
	v.flip ^= 1
	buf := append(v.spare[v.flip][:0], b...)
	buf = append(buf, v.again...)
	v.spare[v.flip], v.again = buf, buf
	v.at -= int64(len(b))
}

// Write feeds the meter; it never fails.
func (v *voiceMeter) Write(p []byte) (int, error) {
	n := len(p)
	for !v.stopped {
		src := &p
		if len(v.again) > 0 {
			src = &v.again
		} else if len(p) == 0 {
			break
		}
		if v.pass > 0 {
			k := int(min(v.pass, int64(len(*src))))
			v.pass -= int64(k)
			v.at += int64(k)
			*src = (*src)[k:]
			continue
		}
		k := min(v.want-len(v.got), len(*src))
		v.got = append(v.got, (*src)[:k]...)
		v.at += int64(k)
		*src = (*src)[k:]
		if len(v.got) == v.want {
			b := v.got
			v.got = v.got[:0] // steps do not keep b
			v.step(b)
		}
	}
	return n, nil
}

// duration reports the length of a voice of total bytes, once every byte
// has been written, and whether it could be measured.
func (v *voiceMeter) duration(total int64) (time.Duration, bool) {
	if v.known {
		return v.length, true
	}
	switch {
	case v.amrOK:
		n := v.frames
		if v.lastEnd > total {
			n-- // the last frame is cut short
		}
		return time.Duration(n) * 20 * time.Millisecond, true
	case v.mp3.rate != 0 || v.mp3Pending != nil:
		n := v.frames
		if v.lastEnd > total {
			n--
		}
		f := v.mp3
		if p := v.mp3Pending; p != nil && len(v.got) == p.size-4 && total == v.at {
			n++ // the file ends with the frame being confirmed
			if f.rate == 0 {
				f = *p
			}
		}
		if n <= 0 || f.rate == 0 {
			return 0, false
		}
		return f.play(n), true
	case v.wavRate != 0 && v.wavData >= 0:
		return v.wavLength(total), true
	}
	return 0, false
}

// sniff decides the format from the first 12 bytes.
func (v *voiceMeter) sniff(b []byte) {
	switch {
	case bytes.HasPrefix(b, []byte(amrWBMagic)):
		v.amrStart(b, len(amrWBMagic), &amrWBSizes)
	case bytes.HasPrefix(b, []byte(amrNBMagic)):
		v.amrStart(b, len(amrNBMagic), &amrNBSizes)
	case string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		v.ask(8, v.wavChunk)
	case bytes.Equal(b, asfHeaderID[:12]):
		v.unread(b)
		v.ask(30, v.asfHeader)
	case string(b[:3]) == "ID3":
		v.unread(b)
		v.ask(10, v.id3)
	default:
		v.unread(b)
		v.ask(4, v.mpegSync)
	}
}

// AMR.

var (
	amrNBSizes = [16]int{12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0}
	amrWBSizes = [16]int{17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0}
)

const (
	amrNBMagic = "#!AMR\n"
	amrWBMagic = "#!AMR-WB\n"
)

func (v *voiceMeter) amrStart(b []byte, magic int, sizes *[16]int) {
	v.amrOK = true
	v.unread(b[magic:])
	var frame func([]byte)
	frame = func(h []byte) {
		n := sizes[h[0]>>3&0x0F]
		v.frames++
		v.lastEnd = v.at + int64(n)
		v.skip(int64(n))
		v.ask(1, frame)
	}
	v.ask(1, frame)
}

// WAV.

func (v *voiceMeter) wavChunk(h []byte) {
	if v.wavChunks++; v.wavChunks > 1000 {
		v.stop()
		return
	}
	id, size := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
	padded := size + size%2
	switch id {
	case "fmt ":
		if size < 16 {
			v.stop()
			return
		}
		v.ask(16, func(f []byte) {
			v.wavRate = binary.LittleEndian.Uint32(f[8:12])
			if v.wavRate == 0 {
				v.stop()
				return
			}
			if v.wavData >= 0 {
				v.stop() // both known
				return
			}
			v.skip(padded - 16)
			v.ask(8, v.wavChunk)
		})
		return
	case "data":
		v.wavData, v.wavDataAt = size, v.at
		if v.wavRate != 0 {
			v.stop()
			return
		}
	}
	v.skip(padded)
	v.ask(8, v.wavChunk)
}

// wavLength is the data chunk's length, at most what the file holds.
func (v *voiceMeter) wavLength(total int64) time.Duration {
	n := v.wavData
	if have := total - v.wavDataAt; n == 0xFFFFFFFF || n > have {
		n = max(have, 0)
	}
	return perSecond(n, int64(v.wavRate))
}

// perSecond is n units at rate units a second.
func perSecond(n, rate int64) time.Duration {
	return time.Duration(n/rate)*time.Second + time.Duration(n%rate)*time.Second/time.Duration(rate)
}

// WMA (ASF).

var (
	asfHeaderID    = [16]byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
	asfFilePropsID = [16]byte{0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65}
)

func (v *voiceMeter) asfHeader(h []byte) {
	if !bytes.Equal(h[:16], asfHeaderID[:]) {
		v.stop()
		return
	}
	v.asfCapacity = binary.LittleEndian.Uint64(h[16:24])
	v.asfLeft = binary.LittleEndian.Uint32(h[24:28])
	v.ask(24, v.asfObject)
}

func (v *voiceMeter) asfObject(h []byte) {
	if v.asfLeft == 0 {
		v.stop()
		return
	}
	v.asfLeft--
	size := binary.LittleEndian.Uint64(h[16:24])
	if size < 24 || size > v.asfCapacity {
		v.stop()
		return
	}
	if bytes.Equal(h[:16], asfFilePropsID[:]) {
		if size < 104 {
			v.stop()
			return
		}
		// The rest of the object: file id, file size, creation date, data
		// packets, play duration, send duration, preroll, flags.
		v.ask(80, func(p []byte) {
			v.stop()
			le := binary.LittleEndian
			play, preroll, flags := le.Uint64(p[40:48]), le.Uint64(p[56:64]), le.Uint32(p[64:68])
			if flags&1 != 0 || play >= 1<<62/100 || preroll >= 1<<62/uint64(time.Millisecond) {
				return // a broadcast (no duration), or nonsense
			}
			v.length = max(time.Duration(play)*100-time.Duration(preroll)*time.Millisecond, 0)
			v.known = true
		})
		return
	}
	v.skip(int64(size) - 24)
	v.ask(24, v.asfObject)
}

// MP3.

// mpegFrame is what a layer III frame header says.
type mpegFrame struct {
	version int // 1, 2 or 25
	rate    int // samples a second
	size    int // bytes, header included
	mono    bool
}

// play is the length of n frames of f's stream.
func (f mpegFrame) play(n int64) time.Duration {
	perFrame := int64(576)
	if f.version == 1 {
		perFrame = 1152
	}
	return perSecond(n*perFrame, int64(f.rate))
}

func (f mpegFrame) sameStream(g mpegFrame) bool { return f.version == g.version && f.rate == g.rate }

// readMPEG parses a layer III frame header.
func readMPEG(h []byte) (mpegFrame, bool) {
	if h[0] != 0xFF || h[1]>>5 != 7 || h[1]>>1&3 != 1 {
		return mpegFrame{}, false
	}
	var f mpegFrame
	var kbps int
	bi, ri := int(h[2]>>4), int(h[2]>>2&3)
	if bi == 0 || bi == 15 || ri == 3 {
		return mpegFrame{}, false
	}
	switch h[1] >> 3 & 3 {
	case 3:
		f.version, f.rate = 1, [3]int{44100, 48000, 32000}[ri]
		kbps = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}[bi]
		f.size = 144 * kbps * 1000 / f.rate
	case 2, 0:
		f.version, f.rate = 2, [3]int{22050, 24000, 16000}[ri]
		if h[1]>>3&3 == 0 {
			f.version, f.rate = 25, f.rate/2
		}
		kbps = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}[bi]
		f.size = 72 * kbps * 1000 / f.rate
	default:
		return mpegFrame{}, false
	}
	f.size += int(h[2] >> 1 & 1)
	f.mono = h[3]>>6 == 3
	return f, true
}

// endsAudio reports whether b starts a tag written after the audio.
func endsAudio(b []byte) bool {
	return bytes.HasPrefix(b, []byte("TAG")) || bytes.HasPrefix(b, []byte("APETAGEX")[:4]) ||
		bytes.HasPrefix(b, []byte("LYRICS")[:4]) || bytes.HasPrefix(b, []byte("ID3"))
}

func (v *voiceMeter) id3(h []byte) {
	if string(h[:3]) != "ID3" {
		v.unread(h)
		v.ask(4, v.mpegSync)
		return
	}
	if h[3] == 0xFF || h[4] == 0xFF || (h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
		v.stop()
		return
	}
	size := int64(h[6])<<21 + int64(h[7])<<14 + int64(h[8])<<7 + int64(h[9])
	if h[5]&0x10 != 0 {
		size += 10 // the footer
	}
	v.skip(size)
	v.ask(10, v.id3)
}

// mpegSync looks for a frame header, one byte at a time, and asks for the
// frame and the next header to confirm it.
func (v *voiceMeter) mpegSync(h []byte) {
	if v.scanned++; v.scanned > 64<<10 {
		v.stop()
		return
	}
	f, ok := readMPEG(h)
	if !ok || (v.mp3.rate != 0 && !f.sameStream(v.mp3)) {
		v.unread(h[1:])
		v.ask(4, v.mpegSync)
		return
	}
	head := append([]byte(nil), h...)
	v.mp3Pending = &f
	v.ask(f.size, func(rest []byte) { // the frame's body and the next header
		v.mp3Pending = nil
		next := rest[f.size-4:]
		if g, ok := readMPEG(next); !(ok && g.sameStream(f)) && !endsAudio(next) {
			v.unread(append(head[1:], rest...))
			v.ask(4, v.mpegSync)
			return
		}
		v.scanned = 0
		frame := append(head, rest[:f.size-4]...)
		if v.mp3.rate == 0 {
			v.mp3 = f
			if n, tag := vbrCount(frame, f); n > 0 {
				v.length, v.known = f.play(n), true
				v.stop()
				return
			} else if !tag {
				v.frames, v.lastEnd = 1, v.at-4
			}
		} else {
			v.frames++
			v.lastEnd = v.at - 4
		}
		v.unread(next)
		v.ask(4, v.mpegWalk)
	})
}

// mpegWalk follows the frames header to header.
func (v *voiceMeter) mpegWalk(h []byte) {
	if f, ok := readMPEG(h); ok && f.sameStream(v.mp3) {
		v.frames++
		v.lastEnd = v.at - 4 + int64(f.size)
		v.skip(int64(f.size - 4))
		v.ask(4, v.mpegWalk)
		return
	}
	if endsAudio(h) {
		v.stop()
		return
	}
	v.unread(h[1:]) // a break: look for the stream again
	v.ask(4, v.mpegSync)
}

// vbrCount reads the frame count of a Xing/Info or VBRI header in the
// first frame; tag reports a Xing or Info header, whose frame is silence.
func vbrCount(frame []byte, f mpegFrame) (n int64, tag bool) {
	var side int
	switch {
	case f.version == 1 && !f.mono:
		side = 32
	case f.version == 1 || !f.mono:
		side = 17
	default:
		side = 9
	}
	if x := frame[min(4+side, len(frame)):]; len(x) >= 12 && (bytes.HasPrefix(x, []byte("Xing")) || bytes.HasPrefix(x, []byte("Info"))) {
		if binary.BigEndian.Uint32(x[4:8])&1 == 0 {
			return 0, true
		}
		return int64(binary.BigEndian.Uint32(x[8:12])), true
	}
	if x := frame[min(36, len(frame)):]; len(x) >= 18 && bytes.HasPrefix(x, []byte("VBRI")) {
		return int64(binary.BigEndian.Uint32(x[14:18])), true
	}
	return 0, false
}
