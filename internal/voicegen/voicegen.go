// Package voicegen writes small voice files of a chosen length, for the
// tests of the clients' and the emulator's length measurements: AMR
// (narrow- and wide-band), MP3 (MPEG-1, 2 and 2.5 layer III, constant or
// variable bit rate, with or without a Xing, Info or VBRI header, an ID3v2
// tag before and an ID3v1 tag after), WAV and WMA (an ASF header).
//
// The files hold headers and silence (zero bytes), not sound: only what a
// length measurement reads is right. The layouts follow the format
// documents, not the code that measures them:
//   - AMR: RFC 4867 section 5 (storage format), frame sizes of 3GPP TS
//     26.101 and 26.201;
//   - MPEG audio: ISO/IEC 11172-3 and 13818-3 frame headers, the Xing/Info
//     header after the side information, the VBRI header 32 bytes after the
//     frame header; ID3v2 per id3.org's id3v2.4.0-structure;
//   - WAV: the RIFF WAVE "fmt " and "data" chunks;
//   - ASF: the Header Object and its File Properties Object (ASF
//     specification 3.1 and 3.2).
//
// Tests only: nothing outside _test.go files imports it.
package voicegen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
)

// AMR returns an AMR file of frames 20-ms frames of mode (frame type) mode:
// narrow-band ("#!AMR\n") or, with wb, wide-band ("#!AMR-WB\n").
func AMR(wb bool, mode, frames int) []byte {
	magic, sizes := "#!AMR\n", amrNB
	if wb {
		magic, sizes = "#!AMR-WB\n", amrWB
	}
	size := sizes[mode]
	b := make([]byte, 0, len(magic)+frames*(1+size))
	b = append(b, magic...)
	for range frames {
		b = append(b, byte(mode<<3|0x04)) // F=0, FT=mode, Q=1
		b = append(b, make([]byte, size)...)
	}
	return b
}

// AMRFrames is how many 20-ms frames play for d.
func AMRFrames(d time.Duration) int { return int(d / (20 * time.Millisecond)) }

// Speech bytes after the one-byte frame header, by frame type (3GPP TS
// 26.101 table 1a, TS 26.201 table 1a): 4.75 to 12.2 kbit/s and SID for
// narrow-band, 6.60 to 23.85 kbit/s and SID for wide-band; NO_DATA is 0.
var (
	amrNB = [16]int{12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0}
	amrWB = [16]int{17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0}
)

// MP3 describes an MPEG audio layer III file.
type MP3 struct {
	Version    int   // 1 (MPEG-1), 2 (MPEG-2) or 25 (MPEG-2.5)
	SampleRate int   // one the version allows, in Hz
	Bitrates   []int // kbit/s of the frames in turn; one value is a constant bit rate
	Frames     int   // audio frames
	Mono       bool
	// Tag is "", "Xing", "Info" or "VBRI": a first frame that holds the
	// header of that name with the frame count (the tag frame is not
	// counted).
	Tag string
	// TagFrames, if not zero, is the frame count the tag gives instead of
	// Frames: a tag that lies.
	TagFrames int
	ID3v2     int  // the size of an ID3v2 tag's body before the audio; 0 for none
	ID3v1     bool // a 128-byte ID3v1 tag after the audio
	Junk      int  // zero bytes between the ID3v2 tag and the first frame
}

// SamplesPerFrame is 1152 for MPEG-1 layer III, 576 for MPEG-2 and 2.5.
func (m MP3) SamplesPerFrame() int {
	if m.Version == 1 {
		return 1152
	}
	return 576
}

// FramesFor is how many frames play for at least d.
func (m MP3) FramesFor(d time.Duration) int {
	spf := time.Duration(m.SamplesPerFrame())
	per := spf * time.Second / time.Duration(m.SampleRate)
	return int((d + per - 1) / per)
}

// Duration is the length of the audio frames.
func (m MP3) Duration() time.Duration {
	return time.Duration(m.Frames*m.SamplesPerFrame()) * time.Second / time.Duration(m.SampleRate)
}

// Bytes writes the file. It panics on a version, sample rate or bit rate
// the format lacks.
func (m MP3) Bytes() []byte {
	var b bytes.Buffer
	if m.ID3v2 > 0 {
		b.WriteString("ID3\x04\x00\x00")
		n := m.ID3v2
		b.Write([]byte{byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)})
		body := make([]byte, n)
		copy(body, "TIT2\x00\x00\x00\x06\x00\x00\x03voice") // a title frame; the rest is padding
		b.Write(body)
	}
	b.Write(make([]byte, m.Junk))
	if m.Tag != "" {
		frames := m.Frames
		if m.TagFrames != 0 {
			frames = m.TagFrames
		}
		b.Write(m.tagFrame(frames))
	}
	for i := range m.Frames {
		b.Write(m.frame(m.Bitrates[i%len(m.Bitrates)]))
	}
	if m.ID3v1 {
		tag := make([]byte, 128)
		copy(tag, "TAGvoice")
		b.Write(tag)
	}
	return b.Bytes()
}

// header is the 4-byte frame header: sync, version, layer III, no CRC,
// bit rate, sample rate, no padding, channel mode.
func (m MP3) header(kbps int) []byte {
	var version byte
	switch m.Version {
	case 1:
		version = 3
	case 2:
		version = 2
	case 25:
		version = 0
	default:
		panic(fmt.Sprintf("voicegen: MPEG version %d", m.Version))
	}
	rates := map[int][3]int{1: {44100, 48000, 32000}, 2: {22050, 24000, 16000}, 25: {11025, 12000, 8000}}[m.Version]
	sr := -1
	for i, r := range rates {
		if r == m.SampleRate {
			sr = i
		}
	}
	table := bitratesV2
	if m.Version == 1 {
		table = bitratesV1
	}
	br := -1
	for i, r := range table {
		if r == kbps && i > 0 {
			br = i
		}
	}
	if sr < 0 || br < 0 {
		panic(fmt.Sprintf("voicegen: MPEG-%d has no %d Hz or no %d kbit/s", m.Version, m.SampleRate, kbps))
	}
	mode := byte(0) // stereo
	if m.Mono {
		mode = 3
	}
	return []byte{0xFF, 0xE0 | version<<3 | 1<<1 | 1, byte(br<<4 | sr<<2), mode << 6}
}

var (
	bitratesV1 = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1}
	bitratesV2 = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1}
)

// FrameLen is the length of a frame at kbps, without padding.
func (m MP3) FrameLen(kbps int) int {
	if m.Version == 1 {
		return 144 * kbps * 1000 / m.SampleRate
	}
	return 72 * kbps * 1000 / m.SampleRate
}

func (m MP3) frame(kbps int) []byte {
	f := make([]byte, m.FrameLen(kbps))
	copy(f, m.header(kbps))
	return f
}

// tagFrame is a frame at the first bit rate holding the Xing, Info or VBRI
// header that says frames.
func (m MP3) tagFrame(frames int) []byte {
	kbps := m.Bitrates[0]
	f := m.frame(kbps)
	if len(f) < 64 {
		// The tag needs room: use the largest bit rate of the version.
		kbps = 320
		if m.Version != 1 {
			kbps = 160
		}
		f = m.frame(kbps)
	}
	switch m.Tag {
	case "Xing", "Info":
		side := 32 // MPEG-1 stereo side information
		switch {
		case m.Version == 1 && m.Mono:
			side = 17
		case m.Version != 1 && !m.Mono:
			side = 17
		case m.Version != 1 && m.Mono:
			side = 9
		}
		o := 4 + side
		copy(f[o:], m.Tag)
		binary.BigEndian.PutUint32(f[o+4:], 0x0001|0x0002) // frames and bytes fields present
		binary.BigEndian.PutUint32(f[o+8:], uint32(frames))
		binary.BigEndian.PutUint32(f[o+12:], uint32(frames*m.FrameLen(m.Bitrates[0])))
	case "VBRI":
		o := 4 + 32
		copy(f[o:], "VBRI")
		binary.BigEndian.PutUint16(f[o+4:], 1)                                         // version
		binary.BigEndian.PutUint16(f[o+6:], 0)                                         // delay
		binary.BigEndian.PutUint16(f[o+8:], 75)                                        // quality
		binary.BigEndian.PutUint32(f[o+10:], uint32(frames*m.FrameLen(m.Bitrates[0]))) // bytes
		binary.BigEndian.PutUint32(f[o+14:], uint32(frames))
	default:
		panic("voicegen: tag " + m.Tag)
	}
	return f
}

// WAV describes a RIFF WAVE file.
type WAV struct {
	Format     uint16 // 1 PCM, 7 mu-law, 0x31 GSM 6.10, ...
	Channels   int
	SampleRate int
	ByteRate   int // bytes a second
	BlockAlign int
	Bits       int
	DataBytes  int // the data chunk's size
	// DataSize, if not zero, is the size the data chunk's header gives
	// instead of DataBytes (0xFFFFFFFF for a stream of unknown length).
	DataSize uint32
	// List adds a LIST chunk of that many bytes before fmt (odd sizes are
	// padded to even).
	List int
	// DataFirst puts the data chunk before the fmt chunk.
	DataFirst bool
}

// PCM8 is 8-bit mono PCM at 8 kHz: 8000 bytes a second.
func PCM8(d time.Duration) WAV {
	return WAV{Format: 1, Channels: 1, SampleRate: 8000, ByteRate: 8000, BlockAlign: 1, Bits: 8, DataBytes: int(d * 8000 / time.Second)}
}

// Bytes writes the file.
func (w WAV) Bytes() []byte {
	le := binary.LittleEndian
	chunk := func(id string, body []byte, size uint32) []byte {
		c := append([]byte(id), le.AppendUint32(nil, size)...)
		c = append(c, body...)
		if len(body)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	fmtBody := le.AppendUint16(nil, w.Format)
	fmtBody = le.AppendUint16(fmtBody, uint16(w.Channels))
	fmtBody = le.AppendUint32(fmtBody, uint32(w.SampleRate))
	fmtBody = le.AppendUint32(fmtBody, uint32(w.ByteRate))
	fmtBody = le.AppendUint16(fmtBody, uint16(w.BlockAlign))
	fmtBody = le.AppendUint16(fmtBody, uint16(w.Bits))
	size := uint32(w.DataBytes)
	if w.DataSize != 0 {
		size = w.DataSize
	}
	var body []byte
	if w.List > 0 {
		list := make([]byte, w.List)
		copy(list, "INFO")
		body = append(body, chunk("LIST", list, uint32(w.List))...)
	}
	fmtChunk := chunk("fmt ", fmtBody, uint32(len(fmtBody)))
	data := chunk("data", make([]byte, w.DataBytes), size)
	if w.DataFirst {
		body = append(append(body, data...), fmtChunk...)
	} else {
		body = append(append(body, fmtChunk...), data...)
	}
	out := append([]byte("RIFF"), le.AppendUint32(nil, uint32(4+len(body)))...)
	out = append(out, "WAVE"...)
	return append(out, body...)
}

// WMA describes an ASF file: a Header Object holding a Stream Properties
// Object and a File Properties Object, then a Data Object with empty
// packets.
type WMA struct {
	Play      time.Duration // the File Properties Object's play duration (it includes the preroll)
	Preroll   time.Duration // whole milliseconds
	Broadcast bool          // the broadcast flag: durations are not valid
	// StreamFirst puts the Stream Properties Object before the File
	// Properties Object (encoders write the file properties first).
	StreamFirst bool
	Packets     int // data packets of 100 zero bytes after the header
}

// Duration is the length a player shows: play duration minus preroll.
func (w WMA) Duration() time.Duration { return w.Play - w.Preroll }

// GUIDs in their on-disk byte order.
var (
	asfHeader            = []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
	asfFileProps         = []byte{0xA1, 0xDC, 0xAB, 0x8C, 0x47, 0xA9, 0xCF, 0x11, 0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65}
	asfStreamProps       = []byte{0x91, 0x07, 0xDC, 0xB7, 0xB7, 0xA9, 0xCF, 0x11, 0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65}
	asfAudioMedia        = []byte{0x40, 0x9E, 0x69, 0xF8, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B}
	asfNoErrorCorrection = []byte{0x00, 0x57, 0xFB, 0x20, 0x55, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B}
	asfData              = []byte{0x36, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}
)

// Bytes writes the file.
func (w WMA) Bytes() []byte {
	le := binary.LittleEndian
	props := append([]byte(nil), asfFileProps...)
	props = le.AppendUint64(props, 104)
	props = append(props, make([]byte, 16)...)                         // file id
	props = le.AppendUint64(props, 0)                                  // file size (not read)
	props = le.AppendUint64(props, 0)                                  // creation date
	props = le.AppendUint64(props, uint64(w.Packets))                  // data packets
	props = le.AppendUint64(props, uint64(w.Play/100))                 // play duration, 100-ns units
	props = le.AppendUint64(props, uint64((w.Play-w.Preroll)/100))     // send duration
	props = le.AppendUint64(props, uint64(w.Preroll/time.Millisecond)) // preroll, ms
	var flags uint32 = 2                                               // seekable
	if w.Broadcast {
		flags = 1
	}
	props = le.AppendUint32(props, flags)
	props = le.AppendUint32(props, 100) // min packet size
	props = le.AppendUint32(props, 100) // max packet size
	props = le.AppendUint32(props, 8000)
	// A Stream Properties Object of one WMA v2 audio stream, 8 kHz mono.
	format := le.AppendUint16(nil, 0x0161) // WMA v2
	format = le.AppendUint16(format, 1)    // channels
	format = le.AppendUint32(format, 8000) // samples a second
	format = le.AppendUint32(format, 1000) // bytes a second
	format = le.AppendUint16(format, 100)  // block align
	format = le.AppendUint16(format, 16)   // bits a sample
	format = le.AppendUint16(format, 0)    // extra bytes
	stream := append([]byte(nil), asfStreamProps...)
	stream = le.AppendUint64(stream, uint64(24+54+len(format)))
	stream = append(stream, asfAudioMedia...)
	stream = append(stream, asfNoErrorCorrection...)
	stream = le.AppendUint64(stream, 0)                   // time offset
	stream = le.AppendUint32(stream, uint32(len(format))) // type-specific data
	stream = le.AppendUint32(stream, 0)                   // error correction data
	stream = le.AppendUint16(stream, 1)                   // stream number 1
	stream = le.AppendUint32(stream, 0)                   // reserved
	stream = append(stream, format...)
	objs := [][]byte{props, stream}
	if w.StreamFirst {
		objs = [][]byte{stream, props}
	}
	var body []byte
	for _, o := range objs {
		body = append(body, o...)
	}
	head := append([]byte(nil), asfHeader...)
	head = le.AppendUint64(head, uint64(30+len(body)))
	head = le.AppendUint32(head, uint32(len(objs)))
	head = append(head, 1, 2) // reserved
	out := append(head, body...)
	data := append([]byte(nil), asfData...)
	data = le.AppendUint64(data, uint64(50+100*w.Packets))
	data = append(data, make([]byte, 16)...) // file id
	data = le.AppendUint64(data, uint64(w.Packets))
	data = append(data, 1, 1) // reserved
	out = append(out, data...)
	return append(out, make([]byte, 100*w.Packets)...)
}
