package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// hostileText is what a forged manifest or a hostile server puts in an id
// or a name: a terminal title, a screen clear, a colour, a bell, a C1 CSI,
// a right-to-left override, a tab and a newline.
const hostileText = "\x1b]0;PWNED\x07\x1b[2J\x1b[31mRED\u009b31m\u202egpj.exe\t\nX"

// assertTerminalSafe fails if out holds a character a terminal acts on
// rather than shows.
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, c := range []string{"\x1b", "\x07", "\u009b", "\u202e"} {
		if strings.Contains(out, c) {
			t.Errorf("%s holds %q raw:\n%q", what, c, out)
		}
	}
}

// TestUntrustedTextIsShownEscaped: ids and names from a manifest or a
// server reach the terminal escaped, in status lines, errors and rows, and
// a tab or a newline in a row's field does not break its columns.
func TestUntrustedTextIsShownEscaped(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if err := s.AddOfficialAccount(appB, secretB); err != nil {
		t.Fatal(err)
	}
	backup := hostileBackup(t, s)

	// A manifest's id, in restore's progress lines and summary.
	dir := backup(t, func(_ string, img *entry) { img.MediaID = hostileText })
	envB, flagsB := s.oa(appB, secretB)
	r := cli(t, envB, append(flagsB, "restore", dir)...)
	r.ok(t)
	if !strings.Contains(r.stderr, `image \x1b]0;PWNED\a\x1b[2J\x1b[31mRED\u009b31m\u202egpj.exe\t\nX → `) {
		t.Errorf("restore's progress line does not show the id escaped:\n%s", r.stderr)
	}
	assertTerminalSafe(t, "restore's stderr", r.stderr)
	assertTerminalSafe(t, "restore's stdout", r.stdout)

	// A manifest's id and name, in an error.
	dir = backup(t, func(dir string, img *entry) {
		img.MediaID, img.Name = hostileText, "a"+hostileText+".jpg"
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(img.File))); err != nil {
			t.Fatal(err)
		}
	})
	r = cli(t, envB, append(flagsB, "restore", dir, "--map", filepath.Join(t.TempDir(), "map.json"))...)
	r.fails(t, exitFailure, `nothing restored: backup damaged: image \x1b]0;PWNED\a`)
	assertTerminalSafe(t, "the error", r.stderr+r.stdout)

	// A server's name, in list's rows.
	id, err := s.SeedPermanent(emulator.DemoAppID, "image", "n"+hostileText+".jpg", pngFile(t))
	if err != nil {
		t.Fatal(err)
	}
	out := s.run(t, "list", "--kind", "image").ok(t)
	assertTerminalSafe(t, "list's rows", out)
	found := false
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Errorf("row with %d columns, want 4: %q", len(cols), line)
		}
		if cols[1] == id {
			found = true
			if want := `n\x1b]0;PWNED\a\x1b[2J\x1b[31mRED\u009b31m\u202egpj.exe\t\nX.jpg`; cols[3] != want {
				t.Errorf("name column %q, want %q", cols[3], want)
			}
		}
	}
	if !found {
		t.Errorf("list does not show %s:\n%s", id, out)
	}
}

// TestSafeText: what safeText escapes and what it keeps.
func TestSafeText(t *testing.T) {
	for _, tc := range []struct {
		name, in, keep, want string
	}{
		{name: "plain", in: "image 3OPd_x-1 素材.jpg", want: "image 3OPd_x-1 素材.jpg"},
		{name: "C0", in: "a\x1b[2J\x07\x00b", want: `a\x1b[2J\a\x00b`},
		{name: "tab and newline", in: "a\tb\nc", want: `a\tb\nc`},
		{name: "tab and newline kept", in: "a\tb\nc\r", keep: "\n\t", want: "a\tb\nc\\r"},
		{name: "DEL and C1", in: "a\x7fb\u009bc\u0085", want: `a\x7fb\u009bc\u0085`},
		{name: "bidi", in: "\u202egpj.exe\u2066\u200f\u061c", want: `\u202egpj.exe\u2066\u200f\u061c`},
		{name: "not UTF-8", in: "a\x9bb\xff", want: `a\x9bb\xff`},
		{name: "printable non-ASCII kept", in: "é—→", want: "é—→"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := safeText(tc.in, tc.keep); got != tc.want {
				t.Errorf("safeText(%q, %q) = %q, want %q", tc.in, tc.keep, got, tc.want)
			}
		})
	}
}

// TestRestoreSummaryOneLinePerFact: a manifest's account holding a tab and
// a newline is shown escaped in restore's summary, which keeps one line
// per fact.
func TestRestoreSummaryOneLinePerFact(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if err := s.AddOfficialAccount(appB, secretB); err != nil {
		t.Fatal(err)
	}
	dir := hostileBackup(t, s)(t, func(string, *entry) {})
	m := readTestManifest(t, dir)
	m.Account = "wx\tforged\nrestored 99 items"
	if _, err := m.write(dir); err != nil {
		t.Fatal(err)
	}
	envB, flagsB := s.oa(appB, secretB)
	out := cli(t, envB, append(flagsB, "restore", dir)...).ok(t)
	if strings.Count(out, "\nrestored ") != 0 || !strings.Contains(out, `wx\tforged\nrestored 99 items`) {
		t.Errorf("restore's summary does not show the account escaped on one line:\n%s", out)
	}
	assertTerminalSafe(t, "restore's stdout", out)
}

// TestSafeJSON: DEL, C1 and bidirectional controls, which encoding/json
// leaves raw, come out as \u escapes; the JSON still decodes to the same
// value.
func TestSafeJSON(t *testing.T) {
	in := map[string]string{"name": "a\x7fb\u009bc\u202egpj.exe 素材\x1b"}
	b, err := marshalJSON(in, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"a\u007fb\u009bc\u202egpj.exe 素材\u001b"}` + "\n"
	if string(b) != want {
		t.Errorf("marshalJSON = %s, want %s", b, want)
	}
	var back map[string]string
	if err := json.Unmarshal(b, &back); err != nil || back["name"] != in["name"] {
		t.Errorf("the escaped JSON decodes to %q, %v; want %q", back["name"], err, in["name"])
	}
	assertTerminalSafe(t, "marshalJSON", string(b))
	var lb bytes.Buffer
	writeJSON(&lb, in["name"])
	if want := `"a\u007fb\u009bc\u202egpj.exe 素材\u001b"`; lb.String() != want {
		t.Errorf("writeJSON = %s, want %s", lb.String(), want)
	}
}
