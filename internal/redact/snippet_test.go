package redact_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/redact"
)

// The values of the escape tests: an AppSecret (32 hex digits), a corp
// secret (43 characters) and a token, as the platforms make them.
const (
	hexSecret  = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	corpSecret = "Xy_9-kLmN0pQrStUvWxYz_AbCdEfGhIjKlMnOpQrStU"
	longToken  = "81_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_aBcDeFgHiJkLmNo"
)

func escapeSet() *redact.Set {
	s := redact.NewSet(hexSecret, corpSecret)
	s.AddToken(longToken)
	return s
}

// jsonEscape writes every byte of v as \u00XX.
func jsonEscape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		fmt.Fprintf(&b, `\u%04x`, v[i])
	}
	return b.String()
}

// htmlEscape writes every byte of v as a character reference in format f.
func htmlEscape(v, f string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		fmt.Fprintf(&b, f, v[i])
	}
	return b.String()
}

// TestSnippetDecodesEscapes: what a reader would read through (JSON \u and
// \/ escapes, HTML character references, URL escapes, nested) is shown
// decoded, and a held value in any of these forms, or a run of 12 bytes
// or more of one, is hidden.
func TestSnippetDecodesEscapes(t *testing.T) {
	s := escapeSet()
	tok := longToken
	tests := []struct {
		name, text, want string
	}{
		{name: "a token in \\u escapes", text: `{"echo":"` + jsonEscape(tok) + `"}`, want: `{"echo":"REDACTED"}`},
		{name: "one \\u escape in a token", text: `{"echo":"` + strings.Replace(tok, "_", `\u005f`, 1) + `"}`, want: `{"echo":"REDACTED"}`},
		{name: "upper-case hex digits", text: `{"echo":"` + htmlEscape(hexSecret, `\u%04X`) + `"}`, want: `{"echo":"REDACTED"}`},
		{name: "a surrogate pair", text: `{"errmsg":"\ud83d\ude00 ` + corpSecret + `"}`, want: `{"errmsg":"😀 REDACTED"}`},
		{name: "a lone surrogate", text: `\ud83d!`, want: "\ufffd!"},
		{name: "escaped slashes", text: `{"url":"http:\/\/mmbiz.qpic.cn\/1.png"}`, want: `{"url":"http://mmbiz.qpic.cn/1.png"}`},
		{name: "decimal references", text: "<p>" + htmlEscape(corpSecret, "&#%d;") + "</p>", want: "<p>REDACTED</p>"},
		{name: "hexadecimal references", text: "<p>" + htmlEscape(hexSecret, "&#x%x;") + "</p>", want: "<p>REDACTED</p>"},
		{name: "references with leading zeros", text: "<p>" + htmlEscape(hexSecret, "&#x000%X;") + "</p>", want: "<p>REDACTED</p>"},
		{name: "named references", text: "<p>" + strings.ReplaceAll(tok, "_", "&lowbar;") + "</p>", want: "<p>REDACTED</p>"},
		{name: "&#95; in a token", text: "<p>" + strings.ReplaceAll(tok, "_", "&#95;") + "</p>", want: "<p>REDACTED</p>"},
		{name: "URL escapes", text: "q=" + htmlEscape(corpSecret, "%%%02X") + "&x=1", want: "q=REDACTED&x=1"},
		{name: "a reference inside a \\u escape", text: strings.ReplaceAll(corpSecret, "_", `\u0026#95;`), want: "REDACTED"},
		{name: "an escape inside a reference", text: strings.ReplaceAll(corpSecret, "_", `&#92;u005f`), want: "REDACTED"},
		{name: "nested too deep to show", text: "x" + strings.Repeat("&amp;", 1) + strings.Repeat("amp;", 12) + "#95;", want: "REDACTED"},
		{name: "a 20-byte prefix of a token", text: "tok=" + tok[:20] + " end", want: "tok=REDACTED end"},
		{name: "a 15-byte piece of a secret", text: "sec " + hexSecret[9:24] + ".", want: "sec REDACTED."},
		{name: "a 12-byte piece", text: "[" + corpSecret[20:32] + "]", want: "[REDACTED]"},
		{name: "an 11-byte piece is shown", text: "[" + corpSecret[20:31] + "]", want: "[" + corpSecret[20:31] + "]"},
		{name: "a secret in upper case", text: "sec=" + strings.ToUpper(hexSecret), want: "sec=REDACTED"},
		{name: "a token in lower case", text: "tok " + strings.ToLower(tok), want: "tok REDACTED"},
		{name: "nothing held", text: `{"errcode":40007,"errmsg":"invalid media_id"}`, want: `{"errcode":40007,"errmsg":"invalid media_id"}`},
		{name: "a quote escape stays", text: `{"errmsg":"say \"hi\""}`, want: `{"errmsg":"say \"hi\""}`},
		{name: "a lone percent sign stays", text: "50% done, %zz", want: "50% done, %zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.Snippet(tt.text, s)
			if got != tt.want {
				t.Errorf("Snippet(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
			checkNoWindow(t, got)
		})
	}
}

// held are the values FuzzSnippet's Set holds.
var held = []string{hexSecret, corpSecret, longToken}

// checkNoWindow fails t if out, or out decoded by the test's own decoder,
// holds a run of redact.MinFragment bytes of a held value, in any case.
func checkNoWindow(t *testing.T, out string) {
	t.Helper()
	for _, text := range []string{out, testDecode(out)} {
		lower := strings.ToLower(text)
		for _, v := range held {
			lv := strings.ToLower(v)
			for i := 0; i+redact.MinFragment <= len(lv); i++ {
				if strings.Contains(lower, lv[i:i+redact.MinFragment]) {
					t.Fatalf("the snippet %q holds %q, bytes %d-%d of a held value", out, v[i:i+redact.MinFragment], i, i+redact.MinFragment-1)
				}
			}
		}
	}
	if len(out) > redact.SnippetLen+len("...") {
		t.Fatalf("the snippet is %d bytes, over %d", len(out), redact.SnippetLen)
	}
}

var (
	uEscape   = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)
	pctEscape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
)

// testDecode is an independent decoder of the escapes Snippet reads
// through, applied a few times.
func testDecode(s string) string {
	for range 4 {
		s = uEscape.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.ParseUint(m[2:], 16, 32)
			return string(rune(n))
		})
		s = strings.ReplaceAll(s, `\/`, "/")
		s = html.UnescapeString(s)
		s = pctEscape.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := url.PathUnescape(m)
			return v
		})
	}
	return s
}

// encodings are the ways FuzzSnippet writes a fragment of a held value.
var encodings = []func(v string, seed uint64) string{
	func(v string, _ uint64) string { return v },
	func(v string, _ uint64) string { return jsonEscape(v) },
	func(v string, _ uint64) string { return htmlEscape(v, "&#%d;") },
	func(v string, _ uint64) string { return htmlEscape(v, "&#x%x;") },
	func(v string, _ uint64) string { return htmlEscape(v, "&#X%04X;") },
	func(v string, _ uint64) string { return htmlEscape(v, "%%%02x") },
	func(v string, _ uint64) string { return strings.ToUpper(v) },
	func(v string, _ uint64) string {
		return strings.NewReplacer("_", "&lowbar;", "-", "&#45;", "/", `\/`).Replace(v)
	},
	func(v string, _ uint64) string { return htmlEscape(jsonEscape(v), "&#%d;") },  // nested
	func(v string, _ uint64) string { return jsonEscape(htmlEscape(v, "%%%02X")) }, // nested
	func(v string, seed uint64) string { // each byte its own way
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			switch (seed >> (2 * (i % 32))) & 3 {
			case 0:
				b.WriteByte(v[i])
			case 1:
				fmt.Fprintf(&b, `\u%04X`, v[i])
			case 2:
				fmt.Fprintf(&b, "&#x%02x;", v[i])
			case 3:
				fmt.Fprintf(&b, "%%%02X", v[i])
			}
		}
		return b.String()
	},
}

// FuzzSnippet: whatever surrounds a fragment of a held value, however it
// is encoded and wherever it falls (before, across or after the cut), no
// run of MinFragment bytes of a held value survives in the snippet, read
// as it is or decoded.
func FuzzSnippet(f *testing.F) {
	f.Add(`{"errmsg":"`, uint8(2), uint8(1), uint16(0), uint16(500), uint64(0), uint16(0), `"}`)
	f.Add("<html>", uint8(1), uint8(2), uint16(5), uint16(20), uint64(0), uint16(100), "</html>")
	f.Add("x", uint8(0), uint8(10), uint16(3), uint16(40), uint64(0x9e3779b97f4a7c15), uint16(140), "")
	f.Fuzz(func(t *testing.T, prefix string, which, enc uint8, start, n uint16, seed uint64, pad uint16, suffix string) {
		v := held[int(which)%len(held)]
		from := int(start) % (len(v) - redact.MinFragment + 1)
		to := from + redact.MinFragment + int(n)%(len(v)-from-redact.MinFragment+1)
		fragment := encodings[int(enc)%len(encodings)](v[from:to], seed)
		text := prefix + strings.Repeat(" ", int(pad)%4096) + fragment + suffix
		checkNoWindow(t, redact.Snippet(text, escapeSetOnce))
	})
}

var escapeSetOnce = escapeSet()

// BenchmarkSnippet measures a snippet of a long reply for a Set holding a
// secret and MaxHeld tokens of 136 bytes, with and without escapes to
// decode.
func BenchmarkSnippet(b *testing.B) {
	s := redact.NewSet(hexSecret, corpSecret)
	for i := range redact.MaxHeld {
		s.AddToken(fmt.Sprintf("%03d", i) + longToken[3:])
	}
	texts := map[string]string{
		"plain JSON":   `{"errcode":40007,"errmsg":"invalid media_id ` + strings.Repeat("x", 1<<20) + `"}`,
		"escaped page": "<html>" + strings.Repeat(`&#95;\u005f%5F`, 1<<16) + "</html>",
	}
	for name, text := range texts {
		b.Run(name, func(b *testing.B) {
			redact.Snippet(text, s) // builds the Set's matcher once
			b.ReportAllocs()
			for b.Loop() {
				redact.Snippet(text, s)
			}
		})
	}
}
