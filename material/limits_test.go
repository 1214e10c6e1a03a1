package material_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

var (
	jpegBytes = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{1}, 100)...)
	amrBytes  = append([]byte("#!AMR\n"), bytes.Repeat([]byte{2}, 100)...)
	mp4Bytes  = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"), bytes.Repeat([]byte{3}, 100)...)
)

func big(head []byte, n int) []byte {
	b := make([]byte, n)
	copy(b, head)
	return b
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		platform material.Platform
		api      material.API
		kind     material.Kind
		src      material.Source
		wantErr  []error // every sentinel the error must match; nil means valid
		wantText string  // a part of the message naming the limit
	}{
		{name: "valid OA image", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a.jpg", jpegBytes)},
		{name: "valid WeCom file of any format", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("notes.txt", []byte("hello world"))},
		{name: "unknown kind", platform: material.OfficialAccount, api: material.APITemporary, kind: "sticker", src: material.FromBytes("a.jpg", jpegBytes), wantErr: []error{material.ErrInvalidInput, material.ErrUnsupported}, wantText: "unknown kind"},
		{name: "thumb on WeCom", platform: material.WeCom, api: material.APITemporary, kind: material.KindThumb, src: material.FromBytes("a.jpg", jpegBytes), wantErr: []error{material.ErrUnsupported}, wantText: "WeCom temporary thumb: not a kind these uploads take (image, voice, video, file)"},
		{name: "file on the Official Account", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("a.txt", []byte("hello")), wantErr: []error{material.ErrUnsupported}, wantText: "Official Account temporary file: not a kind these uploads take (image, voice, video, thumb)"},
		{name: "news upload", platform: material.OfficialAccount, api: material.APIPermanent, kind: material.KindNews, src: material.FromBytes("a.json", []byte("{}")), wantErr: []error{material.ErrUnsupported}},
		{name: "empty file", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a.jpg", nil), wantErr: []error{material.ErrEmpty, material.ErrInvalidSize}, wantText: "empty"},
		{name: "WeCom five bytes", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("a.txt", []byte("12345")), wantErr: []error{material.ErrTooSmall, material.ErrInvalidSize}, wantText: "more than 5 bytes"},
		{name: "OA image over 10 MB", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a.jpg", big(jpegBytes, 10<<20+1)), wantErr: []error{material.ErrTooLarge, material.ErrInvalidSize}, wantText: "10.000001 MB (10485761 bytes) is over the 10 MB (10485760 bytes) limit"},
		{name: "OA thumb over 64 KB", platform: material.OfficialAccount, api: material.APIPermanent, kind: material.KindThumb, src: material.FromBytes("t.jpg", big(jpegBytes, 64<<10+1)), wantErr: []error{material.ErrTooLarge}, wantText: "is over the 64 KB (65536 bytes) limit"},
		{name: "OA uploadimg exactly 1 MB", platform: material.OfficialAccount, api: material.APIImage, kind: material.KindImage, src: material.FromBytes("a.jpg", big(jpegBytes, 1<<20)), wantErr: []error{material.ErrTooLarge}, wantText: "is over the 1048575-byte (under 1 MB) limit"},
		{name: "WeCom file over 20 MB", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("a.zip", big(nil, 20<<20+1)), wantErr: []error{material.ErrTooLarge}, wantText: "is over the 20 MB (20971520 bytes) limit"},
		{name: "missing name", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("", jpegBytes), wantErr: []error{material.ErrInvalidInput}, wantText: "missing file name"},
		{name: "dot as name", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes(".", []byte("hello world")), wantErr: []error{material.ErrInvalidInput}, wantText: `WeCom temporary file ".": the file name "." names no file: give the file a name`},
		{name: "dot-dot as name", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("..", []byte("hello world")), wantErr: []error{material.ErrInvalidInput}, wantText: `the file name ".." names no file`},
		{name: "dot-dot as a path's base name", platform: material.WeCom, api: material.APIAttachment, kind: material.KindFile, src: material.FromBytes("docs/..", []byte("hello world")), wantErr: []error{material.ErrInvalidInput}, wantText: `the file name ".." names no file`},
		{name: "folder path, no base name", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("docs/", []byte("hello world")), wantErr: []error{material.ErrInvalidInput}, wantText: "missing file name"},
		{name: "dot on the Official Account", platform: material.OfficialAccount, api: material.APIPermanent, kind: material.KindImage, src: material.FromBytes(`c:\photos\.`, jpegBytes), wantErr: []error{material.ErrInvalidInput}, wantText: `names no file`},
		{name: "control character in the name", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("a\x1b[31m.txt", []byte("hello world")), wantErr: []error{material.ErrInvalidInput}, wantText: "control character (U+001B)"},
		{name: "bidirectional override in the name", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a\u202egpj.png", jpegBytes), wantErr: []error{material.ErrInvalidInput}, wantText: "control character (U+202E)"},
		{name: "right-to-left mark in an Arabic name", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("\u200fصورة.jpg", jpegBytes)},
		{name: "WeCom file without extension", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("README", []byte("hello world"))},
		{name: "WeCom file named with dots", platform: material.WeCom, api: material.APITemporary, kind: material.KindFile, src: material.FromBytes("...", []byte("hello world"))},
		{name: "WeCom image without extension", platform: material.WeCom, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("photo", jpegBytes), wantErr: []error{material.ErrInvalidFormat}, wantText: "extension"},
		{name: "wrong extension", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a.bmp", jpegBytes), wantErr: []error{material.ErrInvalidFormat}, wantText: "jpeg, png, gif"},
		{name: "no extension", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("photo", jpegBytes), wantErr: []error{material.ErrInvalidFormat}, wantText: "extension"},
		{name: "no extension, permanent voice", platform: material.OfficialAccount, api: material.APIPermanent, kind: material.KindVoice, src: material.FromBytes("hello.", amrBytes), wantErr: []error{material.ErrInvalidFormat}, wantText: "extension"},
		{name: "content not the format", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a.jpg", []byte("this is text, not a picture")), wantErr: []error{material.ErrInvalidFormat}, wantText: "not a recognisable"},
		{name: "content another format", platform: material.WeCom, api: material.APITemporary, kind: material.KindVoice, src: material.FromBytes("a.amr", append([]byte("ID3\x03"), make([]byte, 50)...)), wantErr: []error{material.ErrInvalidFormat}, wantText: "the content is mp3"},
		{name: "WeCom voice must be AMR", platform: material.WeCom, api: material.APITemporary, kind: material.KindVoice, src: material.FromBytes("a.mp3", append([]byte("ID3\x03"), make([]byte, 50)...)), wantErr: []error{material.ErrInvalidFormat}, wantText: `extension ".mp3" is not accepted: the accepted formats are amr (.amr)`},
		{name: ".jpe is not a JPEG name the platforms accept", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, src: material.FromBytes("a.jpe", jpegBytes), wantErr: []error{material.ErrInvalidFormat}, wantText: `".jpe" is not accepted: the accepted formats are jpeg, png, gif (.jpg, .jpeg, .png, .gif)`},
		{name: ".m4v is not an MP4 name the platforms accept", platform: material.WeCom, api: material.APIAttachment, kind: material.KindVideo, src: material.FromBytes("a.m4v", mp4Bytes), wantErr: []error{material.ErrInvalidFormat}, wantText: `".m4v" is not accepted`},
		{name: "valid WeCom voice", platform: material.WeCom, api: material.APITemporary, kind: material.KindVoice, src: material.FromBytes("a.amr", amrBytes)},
		{name: "valid OA video", platform: material.OfficialAccount, api: material.APIPermanent, kind: material.KindVideo, src: material.FromBytes("a.mp4", mp4Bytes)},
		{name: "zero Source", platform: material.OfficialAccount, api: material.APITemporary, kind: material.KindImage, wantErr: []error{material.ErrInvalidInput}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, err := material.RuleFor(tt.platform, tt.api, tt.kind)
			if err == nil {
				err = rule.Validate(tt.src)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("err = nil, want an error")
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, does not match %v", err, want)
				}
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestPrepareSpoolsUnknownSize(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // a folder of its own: other tests spool too
	rule, err := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindThumb)
	if err != nil {
		t.Fatal(err)
	}
	data := big(jpegBytes, 10_000)
	src := material.FromReader("t.jpg", io.MultiReader(bytes.NewReader(data)), -1)
	got, cleanup, err := rule.Prepare(src)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if got.Size() != int64(len(data)) || !got.Replayable() || got.Name() != "t.jpg" {
		t.Errorf("prepared source: size %d replayable %v name %q", got.Size(), got.Replayable(), got.Name())
	}
	if !bytes.Equal(readAll(t, got), data) {
		t.Error("spooled bytes differ")
	}
	if tmp := spoolFiles(t); len(tmp) != 1 {
		t.Errorf("spool files before cleanup: %v, want one", tmp)
	}
	cleanup()
	if after := spoolFiles(t); len(after) != 0 {
		t.Errorf("cleanup left the temporary file: %v", after)
	}
}

func TestPrepareRejectsOversizedStream(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // a folder of its own: other tests spool too
	rule, err := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindThumb)
	if err != nil {
		t.Fatal(err)
	}
	src := material.FromReader("t.jpg", io.MultiReader(bytes.NewReader(big(jpegBytes, 64<<10+1))), -1)
	_, _, err = rule.Prepare(src)
	if !errors.Is(err, material.ErrTooLarge) || !strings.Contains(err.Error(), "64 KB") {
		t.Errorf("err = %v, want ErrTooLarge naming 64 KB", err)
	}
	if after := spoolFiles(t); len(after) != 0 {
		t.Errorf("a temporary file was left behind: %v", after)
	}
}

func spoolFiles(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "wxmaterial-spool-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want material.Format
	}{
		{name: "jpeg", head: jpegBytes, want: material.FormatJPEG},
		{name: "png", head: pngHead, want: material.FormatPNG},
		{name: "gif", head: []byte("GIF89a\x01\x00"), want: material.FormatGIF},
		{name: "bmp", head: append([]byte("BM"), make([]byte, 20)...), want: material.FormatBMP},
		{name: "amr", head: amrBytes, want: material.FormatAMR},
		{name: "mp3 id3", head: []byte("ID3\x04\x00"), want: material.FormatMP3},
		{name: "mp3 frame", head: []byte{0xFF, 0xFB, 0x90, 0x00}, want: material.FormatMP3},
		{name: "wav", head: []byte("RIFF\x24\x00\x00\x00WAVEfmt "), want: material.FormatWAV},
		{name: "wma", head: []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6}, want: material.FormatWMA},
		{name: "mp4", head: mp4Bytes, want: material.FormatMP4},
		{name: "speex", head: append([]byte("OggS\x00\x02"), append(make([]byte, 22), []byte("Speex   1.2")...)...), want: material.FormatSpeex},
		{name: "text", head: []byte("hello"), want: material.FormatUnknown},
		{name: "empty", head: nil, want: material.FormatUnknown},
	}
	for _, tt := range tests {
		if got := material.DetectFormat(tt.head); got != tt.want {
			t.Errorf("%s: DetectFormat = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestKindsFor(t *testing.T) {
	if got := material.KindsFor(material.WeCom, material.APITemporary); len(got) != 4 {
		t.Errorf("WeCom temporary kinds = %v", got)
	}
	if _, err := material.ParseKind("VIDEO"); err != nil {
		t.Errorf("ParseKind(VIDEO): %v", err)
	}
	if _, err := material.ParseKind("gif"); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("ParseKind(gif): %v", err)
	}
}

// TestTablesAreReadOnly: what Rules, Kinds and RuleFor return are copies:
// changing them changes no limit.
func TestTablesAreReadOnly(t *testing.T) {
	rules := material.Rules()
	for i := range rules {
		rules[i].MaxSize = 1
		for j := range rules[i].Formats {
			rules[i].Formats[j] = material.FormatUnknown
		}
	}
	r, err := material.RuleFor(material.WeCom, material.APITemporary, material.KindImage)
	if err != nil {
		t.Fatal(err)
	}
	r.Formats[0] = material.FormatUnknown
	kinds := material.Kinds()
	kinds[0] = "sticker"
	again, _ := material.RuleFor(material.WeCom, material.APITemporary, material.KindImage)
	if again.MaxSize != 10<<20 || again.Formats[0] != material.FormatJPEG || material.Kinds()[0] != material.KindImage || !material.KindImage.Valid() {
		t.Errorf("a changed copy changed the tables: %+v, kinds %v", again, material.Kinds())
	}
}
