package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []transport.Event
}

func (r *recorder) Observe(_ context.Context, e transport.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) all() []transport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transport.Event(nil), r.events...)
}

// ignoreVarying leaves out what changes from run to run.
var ignoreVarying = cmpopts.IgnoreFields(transport.Event{}, "Duration", "BytesSent", "BytesReceived")

func observed(t *testing.T, platform material.Platform, h http.Handler) (*transport.Client, *recorder, *tokens) {
	t.Helper()
	rec := &recorder{}
	c, ts := setup(t, platform, h, func(cfg *transport.Config) { cfg.Observer = rec })
	return c, rec, ts
}

// TestObserverEvents: one event per attempt and one per call, with the
// status, errcode, token refresh and class of each.
func TestObserverEvents(t *testing.T) {
	attempt := func(n, status, code int, class transport.Class) transport.Event {
		return transport.Event{Kind: transport.EventAttempt, Platform: material.WeCom, Operation: "count", Path: "/cgi-bin/x",
			Attempt: n, Status: status, Code: code, Class: class}
	}
	call := func(n, status, code int, class transport.Class) transport.Event {
		e := attempt(n, status, code, class)
		e.Kind = transport.EventCall
		return e
	}
	tests := []struct {
		name    string
		write   bool
		replies []reply
		want    []transport.Event
	}{
		{name: "success", replies: []reply{ok}, want: []transport.Event{
			attempt(1, 200, 0, transport.ClassOK), call(1, 200, 0, transport.ClassOK)}},
		{name: "busy then success", replies: []reply{busy, ok}, want: []transport.Event{
			attempt(1, 200, -1, transport.ClassPlatform), attempt(2, 200, 0, transport.ClassOK), call(2, 200, 0, transport.ClassOK)}},
		{name: "definite errcode", replies: []reply{quota}, want: []transport.Event{
			attempt(1, 200, 45009, transport.ClassPlatform), call(1, 200, 45009, transport.ClassPlatform)}},
		{name: "write answered 500", write: true, replies: []reply{http500}, want: []transport.Event{
			attempt(1, 500, 0, transport.ClassOutcomeUnknown), call(1, 500, 0, transport.ClassOutcomeUnknown)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec, _ := observed(t, material.WeCom, &scripted{replies: tt.replies})
			c.Do(t.Context(), &transport.Request{Op: "count", Method: http.MethodPost, Path: "/cgi-bin/x", JSON: map[string]int{"a": 1}, Write: tt.write}, nil)
			if diff := cmp.Diff(tt.want, rec.all(), ignoreVarying); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestObserverTokenRefreshAndBytes: a rejected token shows as
// TokenRefreshed on the attempt and the call; bytes count both sends.
func TestObserverTokenRefreshAndBytes(t *testing.T) {
	c, rec, _ := observed(t, material.OfficialAccount, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Query().Get("access_token") == "TOKEN-1" {
			writeJSON(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
			return
		}
		writeJSON(w, `{"media_id":"M"}`)
	}))
	src := material.FromBytes("a.bin", make([]byte, 1000))
	var out mediaOut
	if err := c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload", File: &src, Write: true}, &out); err != nil {
		t.Fatal(err)
	}
	events := rec.all()
	if len(events) != 2 {
		t.Fatalf("%d events, want an attempt and a call: %+v", len(events), events)
	}
	for _, e := range events {
		if !e.TokenRefreshed || e.Attempt != 1 || e.Class != transport.ClassOK || e.Operation != "cgi-bin/media/upload" {
			t.Errorf("event %+v: want attempt 1, token refreshed, ok, operation the endpoint", e)
		}
		if e.BytesSent < 2000 || e.BytesSent > 2000+2048 {
			t.Errorf("%v: BytesSent = %d, want the form twice (a little over 2000)", e.Kind, e.BytesSent)
		}
		if want := int64(len(`{"errcode":40001,"errmsg":"invalid credential"}`) + len(`{"media_id":"M"}`)); e.BytesReceived != want {
			t.Errorf("%v: BytesReceived = %d, want %d", e.Kind, e.BytesReceived, want)
		}
	}
}

// TestObserverDownloadCallEndsWithTheBody: a download's call event comes
// when its body has been read, and counts the file's bytes.
func TestObserverDownloadCallEndsWithTheBody(t *testing.T) {
	const size = 300 << 10
	c, rec, _ := observed(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(make([]byte, size))
	}))
	r, err := c.Download(t.Context(), &transport.Request{Op: "download", Path: "/cgi-bin/media/get"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.all()); n != 1 {
		t.Fatalf("%d events before the body is read, want the attempt only", n)
	}
	if n, err := io.Copy(io.Discard, r.Content.Body); n != size || err != nil {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	r.Content.Body.Close()
	events := rec.all()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	if e := events[1]; e.Kind != transport.EventCall || e.BytesReceived != size || e.Class != transport.ClassOK || e.Operation != "download" {
		t.Errorf("call event %+v: want the whole file received, ok", e)
	}
}

// TestClassOf sorts the errors a client returns.
func TestClassOf(t *testing.T) {
	api := &material.APIError{Platform: material.WeCom, Code: 40007, HTTPStatus: 200}
	tests := []struct {
		name string
		err  error
		want transport.Class
	}{
		{name: "nil", err: nil, want: transport.ClassOK},
		{name: "platform", err: api, want: transport.ClassPlatform},
		{name: "unknown", err: errors.Join(api, material.ErrOutcomeUnknown), want: transport.ClassOutcomeUnknown},
		{name: "canceled", err: context.Canceled, want: transport.ClassCanceled},
		{name: "deadline", err: context.DeadlineExceeded, want: transport.ClassCanceled},
		{name: "validation", err: &material.ValidationError{Err: []error{material.ErrTooLarge}}, want: transport.ClassInvalidInput},
		{name: "invalid input", err: material.ErrInvalidInput, want: transport.ClassInvalidInput},
		{name: "network", err: io.ErrUnexpectedEOF, want: transport.ClassNetwork},
	}
	for _, tt := range tests {
		if got := transport.ClassOf(tt.err); got != tt.want {
			t.Errorf("%s: ClassOf = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestErrorStatusBodiesReadLittle: a reply with an error status is an error
// whatever it holds; each attempt reads at most 64 KiB of it (enough for an
// errcode and an excerpt), however long it is, on a JSON call and on a
// download alike.
func TestErrorStatusBodiesReadLittle(t *testing.T) {
	const long = 4 << 20
	tests := []struct {
		name         string
		status       int
		first        string // the body's first bytes; long bytes follow
		wantAttempts int
	}{
		{name: "500 page", status: 500, first: "<html>", wantAttempts: 4},
		{name: "502 JSON-like", status: 502, first: `{"message":"`, wantAttempts: 4},
		{name: "503 text", status: 503, first: "busy ", wantAttempts: 4},
		{name: "404 page", status: 404, first: "<html>", wantAttempts: 1},
	}
	for _, tt := range tests {
		for _, download := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/download=%v", tt.name, download), func(t *testing.T) {
				c, rec, _ := observed(t, material.WeCom, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(tt.status) // no Content-Length: chunked
					io.WriteString(w, tt.first)
					chunk := strings.Repeat("a", 32<<10)
					for n := 0; n < long; n += len(chunk) {
						if _, err := io.WriteString(w, chunk); err != nil {
							return
						}
					}
				}))
				req := &transport.Request{Path: "/cgi-bin/x"}
				err := doOrDownload(t.Context(), c, req, download)
				var apiErr *material.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatus != tt.status {
					t.Fatalf("err = %v, want an APIError with HTTP %d", err, tt.status)
				}
				attempts := 0
				for _, e := range rec.all() {
					if e.Kind != transport.EventAttempt {
						continue
					}
					attempts++
					if e.BytesReceived > 64<<10 {
						t.Errorf("attempt %d read %d bytes of the reply, over 64 KiB", e.Attempt, e.BytesReceived)
					}
				}
				if attempts != tt.wantAttempts {
					t.Errorf("%d attempts, want %d", attempts, tt.wantAttempts)
				}
			})
		}
	}
}
