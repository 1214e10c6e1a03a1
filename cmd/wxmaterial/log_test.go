package main

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLogHandler: how the tool writes what the library logs. A warning is
// a line like the tool's own, its attributes after it (groups flattened
// with dots, values quoted where needed), or with --json one object with
// the message under "warning"; records below warning only with -v, as
// log/slog writes them.
func TestLogHandler(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	logAll := func(l *slog.Logger) {
		l.Info("a call", "path", "/cgi-bin/token")
		l.With("store", "redis").WithGroup("call").Warn("the store failed; going on without it",
			"op", "load", "error", errors.New(`dial tcp: "refused"`), slog.Group("retry", "in", time.Second, "at", at),
			"warning", "a clash", "n", 3, "ok", false, "empty", "")
	}
	for _, tc := range []struct {
		name          string
		json, verbose bool
		want          []string
	}{
		{name: "text", want: []string{
			`wxmaterial: warning: the store failed; going on without it: store=redis call.op=load call.error="dial tcp: \"refused\"" call.retry.in=1s call.retry.at=2030-01-02T03:04:05Z call.warning="a clash" call.n=3 call.ok=false call.empty=""`}},
		{name: "json", json: true, want: []string{
			`{"warning":"the store failed; going on without it","store":"redis","call.op":"load","call.error":"dial tcp: \"refused\"","call.retry.in":"1s","call.retry.at":"2030-01-02T03:04:05Z","call.warning":"a clash","call.n":3,"call.ok":false,"call.empty":""}`}},
		{name: "text, -v", verbose: true, want: []string{
			`level=INFO msg="a call" path=/cgi-bin/token`,
			`wxmaterial: warning: the store failed; going on without it: store=redis`}},
		{name: "json, -v", json: true, verbose: true, want: []string{
			`"level":"INFO","msg":"a call","path":"/cgi-bin/token"}`,
			`{"warning":"the store failed; going on without it","store":"redis",`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			a := newApp(nil, &bytes.Buffer{}, &stderr, func(string) string { return "" })
			a.g.json, a.g.verbose = tc.json, tc.verbose
			logAll(a.log())
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), stderr.String())
			}
			for i, want := range tc.want {
				if !strings.Contains(lines[i], want) {
					t.Errorf("line %d:\n%s", i+1, cmp.Diff(want, lines[i]))
				}
			}
		})
	}
}

// TestLogHandlerWarningKey: an attribute named "warning" does not replace
// the message in JSON.
func TestLogHandlerWarningKey(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	a := newApp(nil, &bytes.Buffer{}, &stderr, func(string) string { return "" })
	a.g.json = true
	a.log().Warn("the message", "warning", "an attribute")
	if want := `{"warning":"the message","_warning":"an attribute"}` + "\n"; stderr.String() != want {
		t.Errorf("got %s, want %s", stderr.String(), want)
	}
}
