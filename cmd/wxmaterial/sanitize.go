package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// safeText returns s with what a terminal would act on instead of showing
// written as escapes, the way strconv.Quote writes them ("\x1b", "\u202e"):
// C0 controls (tab and newline included) but those in keep, DEL, C1
// controls, bidirectional controls and bytes that are not UTF-8. Media ids,
// names, paths and kinds come from manifests and servers the tool does not
// control: every line of text output that holds them passes through here,
// so that one cannot retitle the terminal, clear it, reorder what a line
// shows or break a row's columns.
func safeText(s, keep string) string {
	i := unsafeAt(s, keep)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case mustEscape(r, keep):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeAt returns the index of the first byte of s that safeText changes,
// or -1.
func unsafeAt(s, keep string) int {
	for i, r := range s {
		if mustEscape(r, keep) {
			return i
		}
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return -1
}

// mustEscape reports whether safeText writes r as an escape.
func mustEscape(r rune, keep string) bool {
	switch {
	case r < 0x20:
		return !strings.ContainsRune(keep, r)
	case r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // ALM, LRM, RLM, LRE…RLO, LRI…PDI
	}
	return false
}

// safeWriter passes writes on to w through safeText, keeping newlines and
// tabs (the text output's own line and column separators: row escapes
// those within a field). Each Write is taken as whole text: fmt writes a
// formatted line at once.
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	t := string(p)
	if unsafeAt(t, "\n\t") < 0 {
		return s.w.Write(p)
	}
	if _, err := io.WriteString(s.w, safeText(t, "\n\t")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// safeJSON returns encoded JSON with DEL, C1 controls and bidirectional
// controls written as \u escapes, which encoding/json leaves raw (it
// escapes C0 controls itself): the same value to any JSON reader, and
// nothing a terminal acts on when the output is shown as it is. These
// characters can only stand inside strings, so the bytes are rewritten
// without parsing them.
func safeJSON(b []byte) []byte {
	s := string(b)
	i := strings.IndexFunc(s, func(r rune) bool { return r >= 0x20 && mustEscape(r, "") })
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, s[:i]...)
	for _, r := range s[i:] {
		if r >= 0x20 && mustEscape(r, "") {
			out = append(out, fmt.Sprintf(`\u%04x`, r)...)
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}
