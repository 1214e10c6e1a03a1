package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"
)

// emit prints a command's result on stdout: v as JSON with --json, else
// what text writes.
func (a *app) emit(v any, text func(w io.Writer)) error {
	if a.g.json {
		b, err := marshalJSON(v, "  ")
		if err != nil {
			return err
		}
		_, err = a.stdout.Write(b)
		return err
	}
	// Ids, names and kinds come from manifests and servers: shown, never
	// acted on by the terminal.
	text(safeWriter{a.stdout})
	return nil
}

// marshalJSON encodes v as JSON ending in a newline, indented by indent
// ("" for one line), without escaping <, > and & (the tool's output and
// files hold HTML as it is, "<p>", never "\u003cp\u003e"), and with what
// a terminal acts on escaped (safeJSON).
func marshalJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return safeJSON(b.Bytes()), nil
}

// watchWriter passes writes on to w and notes whether they held needle,
// even split across writes.
type watchWriter struct {
	w      io.Writer
	needle []byte
	tail   []byte // the last len(needle)-1 bytes written
	seen   bool
}

// watch starts looking for s in what is written from now on.
func (ww *watchWriter) watch(s string) {
	ww.needle, ww.tail = []byte(s), nil
}

func (ww *watchWriter) Write(p []byte) (int, error) {
	if k := len(ww.needle) - 1; k >= 0 && !ww.seen {
		head := p[:min(k, len(p))]
		ww.seen = bytes.Contains(p, ww.needle) || bytes.Contains(append(append([]byte(nil), ww.tail...), head...), ww.needle)
		joined := append(append([]byte(nil), ww.tail...), p[max(0, len(p)-k):]...)
		ww.tail = joined[max(0, len(joined)-k):]
	}
	return ww.w.Write(p)
}

// row writes one line of a command's text output: fields separated by
// tabs, the empty ones at the end left out, so that the line never ends in
// a separator (scripts read the columns with cut -f). A tab, a newline or
// another control character in a field is written escaped (see safeText),
// so that a field is always one column of one line.
func row(w io.Writer, fields ...string) {
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	safe := make([]string, len(fields))
	for i, f := range fields {
		safe[i] = safeText(f, "")
	}
	io.WriteString(w, strings.Join(safe, "\t")+"\n")
}

// stamp formats a time for text output: UTC, to the second, or "-" when
// zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
