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
	} {
		err := material.CheckFileName(tc.name)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, material.ErrInvalidInput)) {
			t.Errorf("CheckFileName(%q) = %v, want ok %v (an error matching ErrInvalidInput)", tc.name, err, tc.ok)
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
