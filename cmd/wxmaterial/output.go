package main

import (
	"encoding/json"
	"io"
	"time"
)

// emit prints a command's result: v as JSON with --json, else what text
// writes.
func (a *app) emit(v any, text func(w io.Writer)) error {
	if a.g.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
	text(a.stdout)
	return nil
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
