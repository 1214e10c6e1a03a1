package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// The loggers the tool hands to the library (the clients with -v, the
// token cache, the Redis stores, dedup, the emulator, the Redis client's
// own log) all write through logHandler, so that what they say follows the
// tool's output rules: a warning (a record at slog.LevelWarn or above) is
// written as warnf writes one, "wxmaterial: warning: ..." or with --json
// {"warning": ...}, even with -q; records below that level are written only
// with -v, as slog's text lines or, with --json, as slog's JSON objects.

// log returns the logger that the tool hands to library components. Call
// it once the flags are parsed.
func (a *app) log() *slog.Logger {
	return slog.New(newLogHandler(a))
}

// verboseLog returns the logger of -v, or nil without -v: for the clients,
// whose every call it logs.
func (a *app) verboseLog() *slog.Logger {
	if !a.g.verbose {
		return nil
	}
	return a.log()
}

// logHandler is the slog.Handler of the tool's logger.
type logHandler struct {
	json    bool
	verbose bool
	mu      *sync.Mutex // the app's: one line at a time on stderr
	out     io.Writer
	detail  slog.Handler // for records below warning, with -v
	attrs   []slog.Attr  // from WithAttrs, their keys qualified by the groups then open
	group   string       // the groups open, "g1.g2." ("" for none)
}

func newLogHandler(a *app) *logHandler {
	h := &logHandler{json: a.g.json, verbose: a.g.verbose, mu: &a.logMu, out: a.stderr}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	if h.json {
		h.detail = slog.NewJSONHandler(h.out, opts)
	} else {
		h.detail = slog.NewTextHandler(h.out, opts)
	}
	return h
}

// Enabled reports whether records of level l are written: warnings
// always, the rest with -v.
func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.verbose
}

// Handle writes r: a warning as the tool writes its own, the rest (only
// with -v) as slog does.
func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		if !h.verbose {
			return nil
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.detail.Handle(ctx, r)
	}
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, qualify(h.group, a)...)
		return true
	})
	line := h.warningLine(r.Message, attrs)
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.out.Write(line)
	return err
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), qualifyAll(h.group, attrs)...)
	c.detail = h.detail.WithAttrs(attrs)
	return &c
}

// WithGroup returns a handler that qualifies the keys of later attributes
// with name.
func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	c.detail = h.detail.WithGroup(name)
	return &c
}

// qualify resolves a and returns it, or the attributes of a group,
// flattened, with keys prefixed by group; empty attributes are dropped, as
// slog's handlers drop them.
func qualify(group string, a slog.Attr) []slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return nil
	}
	if a.Value.Kind() == slog.KindGroup {
		inner := group
		if a.Key != "" {
			inner += a.Key + "."
		}
		return qualifyAll(inner, a.Value.Group())
	}
	a.Key = group + a.Key
	return []slog.Attr{a}
}

func qualifyAll(group string, attrs []slog.Attr) []slog.Attr {
	var out []slog.Attr
	for _, a := range attrs {
		out = append(out, qualify(group, a)...)
	}
	return out
}

// warningLine formats a warning: with --json one object, the message under
// "warning" and the attributes beside it (a key that is "warning" itself
// gets an underscore in front); otherwise "wxmaterial: warning: msg:
// key=value ...", values quoted where they hold spaces or quotes.
func (h *logHandler) warningLine(msg string, attrs []slog.Attr) []byte {
	var b bytes.Buffer
	if h.json {
		b.WriteString(`{"warning":`)
		writeJSON(&b, msg)
		for _, a := range attrs {
			key := a.Key
			if key == "warning" {
				key = "_" + key
			}
			b.WriteByte(',')
			writeJSON(&b, key)
			b.WriteByte(':')
			writeJSON(&b, jsonValue(a.Value))
		}
		b.WriteString("}\n")
		return b.Bytes()
	}
	b.WriteString("wxmaterial: warning: ")
	b.WriteString(safeText(msg, "")) // may quote a server's text: see safeText
	for i, a := range attrs {
		if i == 0 {
			b.WriteString(":")
		}
		b.WriteString(" ")
		b.WriteString(a.Key)
		b.WriteString("=")
		b.WriteString(quoteIfNeeded(textValue(a.Value)))
	}
	b.WriteString("\n")
	return b.Bytes()
}

// writeJSON writes v as JSON without escaping <, > and &, and with what a
// terminal acts on escaped, as the tool's other output.
func writeJSON(b *bytes.Buffer, v any) {
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		one.Reset()
		_ = enc.Encode(fmt.Sprint(v)) // a string always encodes
	}
	b.Write(safeJSON(bytes.TrimSuffix(one.Bytes(), []byte("\n")))) // without Encode's newline
}

// jsonValue returns what a value of an attribute is in JSON: numbers and
// booleans as such, times in RFC 3339, durations and errors as text.
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	switch x := v.Any().(type) {
	case error:
		return x.Error()
	case json.Marshaler:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return v.Any()
}

// textValue returns a value of an attribute as text.
func textValue(v slog.Value) string {
	switch v.Kind() {
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
	}
	return v.String()
}

// quoteIfNeeded quotes s as Go does when it is empty or holds a space, a
// quote, an '=' or a character that is not printable.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, ` "=`) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// redisLog is the Redis client's own log (redis.SetLogger), on the tool's
// logger at debug level: shown with -v only, since the stores say what
// matters when Redis fails.
type redisLog struct{ log *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, args ...any) {
	if r.log.Enabled(ctx, slog.LevelDebug) {
		r.log.DebugContext(ctx, fmt.Sprintf(format, args...))
	}
}
