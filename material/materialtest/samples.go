package materialtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"sync"
	"sync/atomic"

	"github.com/wxmaterial/wxmaterial/material"
)

// Sample returns a small valid file of kind k that every upload API taking
// the kind accepts on both platforms: a PNG image, an AMR voice, an MP4
// video, a JPEG thumb (under 64 KB), a binary file; each over 5 bytes. The
// bytes are the same on every call. It panics for news, which is no file.
func Sample(k material.Kind) material.Source {
	name, data := sample(k, 0)
	return material.FromBytes(name, data)
}

// samples memoizes sample: encoding images is slow under the race detector.
var samples sync.Map // sampleKey -> sampleValue

type sampleKey struct {
	kind    material.Kind
	variant int
}

type sampleValue struct {
	name string
	data []byte
}

// sample returns the file of Sample; each variant has other bytes and
// another name. The bytes are shared: callers must not change them.
func sample(k material.Kind, variant int) (name string, data []byte) {
	key := sampleKey{kind: k, variant: variant}
	if v, ok := samples.Load(key); ok {
		return v.(sampleValue).name, v.(sampleValue).data
	}
	name, data = makeSample(k, variant)
	samples.Store(key, sampleValue{name: name, data: data})
	return name, data
}

func makeSample(k material.Kind, variant int) (name string, data []byte) {
	base := "sample"
	if variant != 0 {
		base = fmt.Sprintf("sample-%d", variant)
	}
	switch k {
	case material.KindImage:
		return base + ".png", samplePNG(variant)
	case material.KindVoice:
		return base + ".amr", sampleAMR(variant)
	case material.KindVideo:
		return base + ".mp4", sampleMP4(variant)
	case material.KindThumb:
		return base + ".jpg", sampleJPEG(variant)
	case material.KindFile:
		return base + ".bin", sampleFile(variant)
	}
	panic(fmt.Sprintf("materialtest: no sample file of kind %q", k))
}

// picture is a 16×16 gradient that differs with variant.
func picture(variant int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.NRGBA{R: uint8(x*16 + variant*7), G: uint8(y * 16), B: uint8((x + y + variant) * 8), A: 255})
		}
	}
	return img
}

func samplePNG(variant int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, picture(variant)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func sampleJPEG(variant int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(variant), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// sampleAMR is an AMR-NB file: the magic, then 4.75 kbit/s frames (a
// header byte and 12 bytes each).
func sampleAMR(variant int) []byte {
	b := []byte("#!AMR\n")
	for i := range 20 {
		b = append(b, 0x04)
		for j := range 12 {
			b = append(b, byte(i*31+j*7+variant*13))
		}
	}
	return b
}

// sampleMP4 is an ftyp box followed by an mdat box.
func sampleMP4(variant int) []byte {
	b := []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41")
	payload := make([]byte, 256)
	for i := range payload {
		payload[i] = byte(i*5 + variant*11)
	}
	b = append(b, 0, 0, 1, 8) // box size: 8 + 256
	b = append(b, "mdat"...)
	return append(b, payload...)
}

// sampleMP3 is an ID3v2.4 header followed by two MPEG-1 layer III frames.
func sampleMP3(variant int) []byte {
	b := []byte("ID3\x04\x00\x00\x00\x00\x00\x00")
	for range 2 {
		frame := make([]byte, 417)
		copy(frame, []byte{0xFF, 0xFB, 0x90, 0x64})
		frame[len(frame)-1] = byte(variant)
		b = append(b, frame...)
	}
	return b
}

// sampleFile is a line of text followed by every byte value.
func sampleFile(variant int) []byte {
	b := fmt.Appendf(nil, "materialtest sample file, variant %d\n", variant)
	for i := range 256 {
		b = append(b, byte(i))
	}
	return b
}

// countingReader yields head, then zeros, size bytes in all,
// and counts what has been read, to tell whether an implementation read a
// file it should have refused.
type countingReader struct {
	head []byte
	size int64
	read atomic.Int64
}

// countingSource returns a one-shot Source of size bytes starting with
// head (size -1: the Source says its size is unknown, the reader still
// yields n bytes).
func countingSource(name string, head []byte, n, size int64) (material.Source, *countingReader) {
	r := &countingReader{head: head, size: n}
	return material.FromReader(name, r, size), r
}

func (r *countingReader) Read(p []byte) (int, error) {
	off := r.read.Load()
	if off >= r.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.size-off))
	h := 0
	if off < int64(len(r.head)) {
		h = copy(p[:n], r.head[off:])
	}
	clear(p[h:n])
	r.read.Add(int64(n))
	return n, nil
}
