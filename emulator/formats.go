package emulator

import (
	"bytes"
	"mime"
	"path"
	"strings"
)

// File formats the emulator recognises by their first bytes.
const (
	fmtJPEG  = "jpeg"
	fmtPNG   = "png"
	fmtGIF   = "gif"
	fmtBMP   = "bmp"
	fmtAMR   = "amr"
	fmtMP3   = "mp3"
	fmtWAV   = "wav"
	fmtWMA   = "wma"
	fmtMP4   = "mp4"
	fmtSpeex = "speex"
)

// sniffLen is how many leading bytes detectFormat needs.
const sniffLen = 64

// detectFormat names the format of a file from its first bytes, or returns
// "" when it is none the platforms care about.
func detectFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return fmtJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return fmtPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return fmtGIF
	case bytes.HasPrefix(head, []byte("BM")) && len(head) >= 14:
		return fmtBMP
	case bytes.HasPrefix(head, []byte("#!AMR")):
		return fmtAMR
	case bytes.HasPrefix(head, []byte("ID3")),
		len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0:
		return fmtMP3
	case len(head) >= 12 && bytes.Equal(head[0:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WAVE")):
		return fmtWAV
	case bytes.HasPrefix(head, []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11}):
		return fmtWMA
	case len(head) >= 8 && bytes.Equal(head[4:8], []byte("ftyp")):
		return fmtMP4
	case bytes.HasPrefix(head, []byte("OggS")):
		return fmtSpeex
	}
	return ""
}

// extFormat names the format a file name's extension claims.
func extFormat(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".jpg", ".jpeg":
		return fmtJPEG
	case ".png":
		return fmtPNG
	case ".gif":
		return fmtGIF
	case ".bmp":
		return fmtBMP
	case ".amr":
		return fmtAMR
	case ".mp3":
		return fmtMP3
	case ".wav":
		return fmtWAV
	case ".wma":
		return fmtWMA
	case ".mp4":
		return fmtMP4
	case ".speex", ".spx", ".ogg":
		return fmtSpeex
	}
	return ""
}

var formatInfo = map[string]struct{ ext, contentType string }{
	fmtJPEG:  {".jpg", "image/jpeg"},
	fmtPNG:   {".png", "image/png"},
	fmtGIF:   {".gif", "image/gif"},
	fmtBMP:   {".bmp", "image/bmp"},
	fmtAMR:   {".amr", "audio/amr"},
	fmtMP3:   {".mp3", "audio/mpeg"},
	fmtWAV:   {".wav", "audio/wav"},
	fmtWMA:   {".wma", "audio/x-ms-wma"},
	fmtMP4:   {".mp4", "video/mp4"},
	fmtSpeex: {".speex", "voice/speex"},
}

// typeOf returns the extension and Content-Type to serve a file with: those
// of its detected format, else guessed from its name.
func typeOf(format, name string) (ext, contentType string) {
	if fi, ok := formatInfo[format]; ok {
		return fi.ext, fi.contentType
	}
	ext = strings.ToLower(path.Ext(name))
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ext, ct
	}
	return ext, "application/octet-stream"
}
