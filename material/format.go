package material

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"strings"
)

// Format is a file format the platforms name in their limits.
type Format string

// The formats the platforms' limits mention. FormatUnknown is a format the
// detector does not recognise.
const (
	FormatUnknown Format = ""
	FormatJPEG    Format = "jpeg"
	FormatPNG     Format = "png"
	FormatGIF     Format = "gif"
	FormatBMP     Format = "bmp"
	FormatAMR     Format = "amr"
	FormatMP3     Format = "mp3"
	FormatWMA     Format = "wma"
	FormatWAV     Format = "wav"
	FormatMP4     Format = "mp4"
	FormatSpeex   Format = "speex"
)

// formatInfo maps a format to the file extensions the platforms accept for
// it (the first is canonical) and its MIME type. The pages name JPG/JPEG
// and MP4 only: .jpe and .m4v are refused, as the platforms refuse them.
var formatInfo = map[Format]struct {
	exts []string
	mime string
}{
	FormatJPEG:  {[]string{".jpg", ".jpeg"}, "image/jpeg"},
	FormatPNG:   {[]string{".png"}, "image/png"},
	FormatGIF:   {[]string{".gif"}, "image/gif"},
	FormatBMP:   {[]string{".bmp"}, "image/bmp"},
	FormatAMR:   {[]string{".amr"}, "audio/amr"},
	FormatMP3:   {[]string{".mp3"}, "audio/mpeg"},
	FormatWMA:   {[]string{".wma"}, "audio/x-ms-wma"},
	FormatWAV:   {[]string{".wav"}, "audio/wav"},
	FormatMP4:   {[]string{".mp4"}, "video/mp4"},
	FormatSpeex: {[]string{".speex", ".spx"}, "voice/speex"},
}

// FormatOfName returns the format a file name's extension names, or
// FormatUnknown.
func FormatOfName(name string) Format {
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return FormatUnknown
	}
	for f, info := range formatInfo {
		for _, e := range info.exts {
			if e == ext {
				return f
			}
		}
	}
	return FormatUnknown
}

// Extension returns the canonical file extension of f, with its dot, or "".
func (f Format) Extension() string {
	if info, ok := formatInfo[f]; ok {
		return info.exts[0]
	}
	return ""
}

// MIMEType returns the MIME type of f, or "".
func (f Format) MIMEType() string { return formatInfo[f].mime }

// String returns the format's name.
func (f Format) String() string {
	if f == FormatUnknown {
		return "unknown"
	}
	return string(f)
}

// SniffLen is how many leading bytes DetectFormat looks at.
const SniffLen = 512

// DetectFormat judges the format from a file's first bytes (up to SniffLen
// are used). It recognises the formats the platforms accept; anything else
// is FormatUnknown.
func DetectFormat(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return FormatGIF
	case len(head) >= 14 && bytes.HasPrefix(head, []byte("BM")):
		return FormatBMP
	case bytes.HasPrefix(head, []byte("#!AMR")):
		return FormatAMR
	case bytes.HasPrefix(head, []byte("ID3")), len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0:
		return FormatMP3
	case bytes.HasPrefix(head, []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11}):
		return FormatWMA
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WAVE":
		return FormatWAV
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return FormatMP4
	case bytes.HasPrefix(head, []byte("OggS")) && bytes.Contains(head[:min(len(head), 128)], []byte("Speex")),
		bytes.HasPrefix(head, []byte("Speex   ")):
		return FormatSpeex
	}
	return FormatUnknown
}

// contentTypeOf picks a MIME type for a file: from the name's extension,
// then from the bytes, then application/octet-stream.
func contentTypeOf(name string, head []byte) string {
	if f := FormatOfName(name); f != FormatUnknown {
		return f.MIMEType()
	}
	if ext := path.Ext(name); ext != "" {
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
	}
	if f := DetectFormat(head); f != FormatUnknown {
		return f.MIMEType()
	}
	if len(head) > 0 {
		return http.DetectContentType(head)
	}
	return "application/octet-stream"
}
