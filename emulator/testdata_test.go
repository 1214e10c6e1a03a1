package emulator_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// amrBytes is an AMR-NB file of the given length in 20 ms frames.
func amrBytes(frames int) []byte {
	b := []byte("#!AMR\n")
	for i := 0; i < frames; i++ {
		b = append(b, 7<<3|0x04)
		b = append(b, make([]byte, 31)...)
	}
	return b
}

// mp4Bytes is an ftyp box padded to size bytes.
func mp4Bytes(size int) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(24))
	b.WriteString("ftypisom\x00\x00\x02\x00isomiso2")
	b.Write(make([]byte, max(0, size-b.Len())))
	return b.Bytes()
}

func mp3Bytes() []byte {
	return append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), make([]byte, 200)...)
}

// sized returns data padded with zeros to n bytes (keeping its header).
func sized(data []byte, n int) []byte {
	if len(data) >= n {
		return data[:n]
	}
	return append(append([]byte(nil), data...), make([]byte, n-len(data))...)
}
