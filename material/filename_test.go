package material_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

func TestCheckFileName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{name: "a.jpg", ok: true},
		{name: "dir/a.jpg", ok: true}, // sent as its base name, a.jpg
		{name: "", ok: false},
		{name: ".", ok: false},
		{name: "..", ok: false},
		{name: "dir/..", ok: false},
		{name: `dir\.`, ok: false},
		{name: "dir/", ok: false},
		{name: "素材 图片 😀.jpg", ok: true},
		{name: "\u200fصورة.jpg", ok: true},      // a right-to-left mark, as Arabic names carry
		{name: "a\u200db.jpg", ok: true},        // a zero-width joiner (emoji sequences)
		{name: "photo\u202egpj.exe", ok: false}, // an override: reads "photoexe.jpg"
		{name: "a\u2066b.jpg", ok: false},       // an isolate
		{name: "a\x1b[31m.jpg", ok: false},      // C0
		{name: "a\u009b.jpg", ok: false},        // C1
		{name: "a\tb.jpg", ok: false},           // a tab
		{name: "a\xffb.jpg", ok: false},         // not UTF-8
	} {
		err := material.CheckFileName(tc.name)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, material.ErrInvalidInput)) {
			t.Errorf("CheckFileName(%q) = %v, want ok %v (an error matching ErrInvalidInput)", tc.name, err, tc.ok)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{in: "a.jpg", want: "a.jpg"},
		{in: "dir/a.jpg", want: "a.jpg"},
		{in: "photo\u202egpj.exe", want: "photogpj.exe"},
		{in: "a\x1b[31m\tb\u2066.jpg", want: "a[31mb.jpg"},
		{in: "\u200fصورة.jpg", want: "\u200fصورة.jpg"},
		{in: "a\xffb.jpg", want: "a_b.jpg"},
		{in: "\x01", want: ""},
	} {
		got := material.CleanFileName(tc.in)
		if got != tc.want {
			t.Errorf("CleanFileName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got != "" {
			if err := material.CheckFileName(got); err != nil {
				t.Errorf("CheckFileName(CleanFileName(%q)) = %v", tc.in, err)
			}
		}
	}
}

func ExampleCheckFileName() {
	fmt.Println(material.CheckFileName("voice.amr"))
	fmt.Println(material.CheckFileName(".."))
	// Output:
	// <nil>
	// the file name ".." names no file: give the file a name
}
