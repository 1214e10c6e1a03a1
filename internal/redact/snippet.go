package redact

import (
	"cmp"
	"html"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// SnippetLen is the most bytes of reply text Snippet keeps.
const SnippetLen = 160

// MinFragment is the length of the shortest run of a held value that
// Snippet and Scrub hide on its own: any run of 12 bytes or more of a text
// that is also part of a held value (or of one of its escaped forms),
// compared without regard to ASCII case, is hidden, not only the whole
// value. The values held are 32 bytes and more (an AppSecret is 32 hex
// digits, a corp secret 43 characters, a token 100 and more), so
// 12 bytes of one (48 random bits for hex, 72 for the others) never turn
// up in a reply by chance, while what may still show of a value, 11 bytes
// in a row, leaves at least 84 of a hex secret's 128 bits unknown. A value
// shorter than 12 bytes is hidden whole only.
const MinFragment = 12

// paramSlack is how far past the kept text Snippet looks, so that the value
// of a secret parameter cut by the window is still recognised.
const paramSlack = 64

// maxEscape is the most bytes of a reply one character of the decoded text
// usually takes (\uXXXX): Snippet reads up to that many times the text it
// needs when the text decodes to less.
const maxEscape = 6

// maxPasses bounds how many times Snippet decodes a text whose decoded
// form holds escapes again (\u0026#95; is &#95;, which is _). A text that
// still changes after that many passes is not shown at all.
const maxPasses = 8

// Snippet is the one way text taken from a reply (a body, an errmsg, a
// header) goes into an error or a log line. It decodes what a reader would
// decode (JSON \uXXXX and \/ escapes, HTML character references such as
// &#95;, &#x5f; and &lowbar;, and URL %XX escapes, again and again until
// nothing changes), so that what it shows is the decoded text; hides every
// value s holds (in any of the forms it registers), every run of
// MinFragment bytes or more of one, and the values of secret parameters
// (as String does); makes the text printable (control characters become
// spaces, invalid UTF-8 '?'); and cuts it to SnippetLen bytes, marking a
// cut with "...". Whatever the size of text, only a window a few times
// SnippetLen plus the longest value is looked at; the text is cut before
// any value that window might hold only in part, so no fragment of a
// secret survives the cut. s may be nil.
func Snippet[T ~string | ~[]byte](text T, s *Set) string {
	m := s.matcher()
	need := SnippetLen + paramSlack + 2*m.longest
	var (
		w   string
		cut bool
	)
	for window := need; ; window *= 2 {
		raw := string(text[:min(len(text), window)])
		cut = len(text) > len(raw)
		var ok bool
		if w, ok = decode(raw); !ok {
			return Marker
		}
		if !cut || len(w) >= need || window >= maxEscape*need {
			break
		}
	}
	// safe is where a held value could start and not end inside w.
	safe := len(w)
	if cut {
		safe = len(w) - m.longest
	}
	hidden := m.hide(w)
	var b strings.Builder
	i := 0
	for i < len(w) {
		if b.Len() >= SnippetLen || i >= safe {
			cut = true
			break
		}
		if len(hidden) > 0 && hidden[0][0] == i {
			b.WriteString(Marker)
			i = hidden[0][1]
			hidden = hidden[1:]
			continue
		}
		b.WriteByte(w[i])
		i++
	}
	out := b.String()
	if cut { // do not let the cut split a character
		for i := len(out) - 1; i >= 0 && i >= len(out)-utf8.UTFMax; i-- {
			if utf8.RuneStart(out[i]) {
				if !utf8.FullRuneInString(out[i:]) {
					out = out[:i]
				}
				break
			}
		}
	}
	out = strings.ToValidUTF8(out, "?")
	out = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, out)
	if len(out) > SnippetLen {
		out = out[:SnippetLen]
		for !utf8.ValidString(out) {
			out = out[:len(out)-1]
		}
		cut = true
	}
	out = strings.TrimSpace(out)
	if cut {
		out += "..."
	}
	return out
}

// Scrub returns text with every value s holds, every run of MinFragment
// bytes or more of one, and the values of secret parameters replaced, as
// they stand (nothing is decoded): for short texts of known origin (an
// error message, a file name, a host). Text from a reply goes through
// Snippet.
func (s *Set) Scrub(text string) string {
	hidden := s.matcher().hide(text)
	if len(hidden) == 0 {
		return text
	}
	var b strings.Builder
	prev := 0
	for _, h := range hidden {
		b.WriteString(text[prev:h[0]])
		b.WriteString(Marker)
		prev = h[1]
	}
	b.WriteString(text[prev:])
	return b.String()
}

// matcher finds held values in a text.
type matcher struct {
	short   []string            // the forms of values shorter than MinFragment, found whole
	longest int                 // the length of the longest form
	grams   map[string]struct{} // every MinFragment-byte run of the other forms, in lower case
}

func newMatcher(values []string) *matcher {
	m := &matcher{grams: make(map[string]struct{})}
	for _, v := range values {
		m.longest = max(m.longest, len(v))
		if len(v) < MinFragment {
			m.short = append(m.short, v)
			continue
		}
		lv := lowerASCII(v)
		for i := 0; i+MinFragment <= len(lv); i++ {
			m.grams[lv[i:i+MinFragment]] = struct{}{}
		}
	}
	return m
}

// hide returns the byte ranges of w to hide, sorted and merged: every run
// of MinFragment bytes of a held value (without regard to ASCII case, so
// every occurrence of a longer value too), every occurrence of a shorter
// one, and the values of secret parameters.
func (m *matcher) hide(w string) [][2]int {
	var r [][2]int
	for _, v := range m.short {
		for off := 0; ; {
			j := strings.Index(w[off:], v)
			if j < 0 {
				break
			}
			r = append(r, [2]int{off + j, off + j + len(v)})
			off += j + 1
		}
	}
	if len(m.grams) > 0 && len(w) >= MinFragment {
		lw := lowerASCII(w)
		for i := 0; i+MinFragment <= len(lw); i++ {
			if _, ok := m.grams[lw[i:i+MinFragment]]; ok {
				r = append(r, [2]int{i, i + MinFragment})
			}
		}
	}
	for _, p := range pattern.FindAllStringSubmatchIndex(w, -1) {
		if p[4] < p[5] {
			r = append(r, [2]int{p[4], p[5]})
		}
	}
	slices.SortFunc(r, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	var merged [][2]int
	for _, h := range r {
		if n := len(merged); n > 0 && h[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], h[1])
			continue
		}
		merged = append(merged, h)
	}
	return merged
}

// lowerASCII lower-cases the ASCII letters of s, leaving every other byte
// where it is.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// decode decodes the escapes a reader of s would read through, again and
// again until nothing changes: JSON's \uXXXX (surrogate pairs joined) and
// \/, HTML character references, and URL %XX. It reports false when s
// still changes after maxPasses passes.
func decode(s string) (string, bool) {
	for range maxPasses {
		d := unescapeURL(html.UnescapeString(unescapeJSON(s)))
		if d == s {
			return s, true
		}
		s = d
	}
	return s, false
}

// unescapeJSON decodes \uXXXX and \/ escapes; it leaves every other byte,
// and an escape that is not whole, as it is.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		if s[i+1] == '/' {
			b.WriteByte('/')
			i += 2
			continue
		}
		r, ok := hex4(s, i)
		if !ok {
			b.WriteByte(s[i])
			i++
			continue
		}
		i += 6
		if utf16.IsSurrogate(r) {
			if r2, ok := hex4(s, i); ok {
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r = pair
					i += 6
				}
			}
		}
		b.WriteRune(r) // a lone surrogate becomes U+FFFD
	}
	return b.String()
}

// hex4 reads the escape \uXXXX at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i+2 : i+6]) {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// unescapeURL decodes %XX escapes; it leaves '+' and a '%' that does not
// start one as they are.
func unescapeURL(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
