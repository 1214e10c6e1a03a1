package work_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// getLog is what a download test asserts of each media/get request.
type getLog struct {
	Range   string
	Status  int
	Errcode int
	Fault   bool
}

func getsOf(e *env) []getLog {
	var out []getLog
	for _, r := range e.calls() {
		if r.Path == "/cgi-bin/media/get" {
			out = append(out, getLog{Range: r.Header.Get("Range"), Status: r.Status, Errcode: r.Errcode, Fault: r.Fault != ""})
		}
	}
	return out
}

func rangeIs(v string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("Range") == v }
}

// TestDownload830002 downloads media over 20 MB: the platform answers the
// plain request with 830002 and the client fetches Range chunks.
func TestDownload830002(t *testing.T) {
	const size = 21<<20 + 3 // over 20 MB, not a multiple of the chunk
	const chunk = 8 << 20
	tests := []struct {
		name  string
		fault *emulator.Fault
		want  []getLog
	}{
		{
			name: "chunks",
			want: []getLog{
				{Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-8388607", Status: 206},
				{Range: "bytes=8388608-16777215", Status: 206},
				{Range: "bytes=16777216-22020098", Status: 206},
			},
		},
		{
			name:  "a truncated chunk resumes where it broke",
			fault: &emulator.Fault{Path: "/cgi-bin/media/get", Match: rangeIs("bytes=8388608-16777215"), Action: emulator.TruncateBody(1_000_000)},
			want: []getLog{
				{Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-8388607", Status: 206},
				{Range: "bytes=8388608-16777215", Status: 206, Fault: true},
				{Range: "bytes=9388608-16777215", Status: 206},
				{Range: "bytes=16777216-22020098", Status: 206},
			},
		},
		{
			name:  "a dropped chunk is fetched again",
			fault: &emulator.Fault{Path: "/cgi-bin/media/get", Match: rangeIs("bytes=16777216-22020098"), Action: emulator.DropResponse(0)},
			want: []getLog{
				{Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-8388607", Status: 206},
				{Range: "bytes=8388608-16777215", Status: 206},
				{Range: "bytes=16777216-22020098", Status: 0, Fault: true}, // no answer: the transport retries the read
				{Range: "bytes=16777216-22020098", Status: 206},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []emulator.Option{emulator.WithDiscard()}, work.WithChunkSize(chunk), work.WithRetry(transport.RetryPolicy{MinDelay: 1, MaxDelay: 1}))
			id, err := e.emu.SeedTemporary(emulator.WeCom, corpID, "file", "big.bin", make([]byte, size))
			if err != nil {
				t.Fatal(err)
			}
			if tt.fault != nil {
				e.emu.Inject(*tt.fault)
			}
			c, err := e.c.Download(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Size != size || c.Name != "big.bin" {
				t.Errorf("Content{Name %q, Size %d}, want big.bin, %d", c.Name, c.Size, size)
			}
			got, n := sha(t, c)
			want := sha256.Sum256(make([]byte, size)) // discarded media download as zeros
			if got != hex.EncodeToString(want[:]) || n != size {
				t.Errorf("read %d bytes with SHA-256 %s, want %d zeros", n, got, size)
			}
			if diff := cmp.Diff(tt.want, getsOf(e)); diff != "" {
				t.Errorf("media/get requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDownloadChunkLimits runs Download against emulators that count WeCom's
// "20M" in decimal (20,000,000 bytes) or allow only 5 MB: the default chunk
// passes under the first, and a refused chunk is halved until it passes,
// with the file's bytes intact.
func TestDownloadChunkLimits(t *testing.T) {
	const decimal, small = 20_000_000, 5_000_000
	tests := []struct {
		name  string
		limit int64 // the emulator's chunk limit
		size  int
		opts  []work.Option
		want  []getLog
	}{
		{
			name: "decimal limit, default chunk", limit: decimal, size: decimal + 1,
			want: []getLog{
				{Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-16777215", Status: 206},
				{Range: "bytes=16777216-20000000", Status: 206},
			},
		},
		{
			name: "decimal limit, 20 MiB chunks are halved once", limit: decimal, size: decimal + 1,
			opts: []work.Option{work.WithChunkSize(20 << 20)},
			want: []getLog{
				{Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-20971519", Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-10485759", Status: 206},
				{Range: "bytes=10485760-20000000", Status: 206},
			},
		},
		{
			name: "5 MB limit, default chunk halved twice", limit: small, size: 12_000_000,
			want: []getLog{
				{Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-16777215", Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-8388607", Status: 200, Errcode: work.CodeUseRange},
				{Range: "bytes=0-4194303", Status: 206},
				{Range: "bytes=4194304-8388607", Status: 206},
				{Range: "bytes=8388608-11999999", Status: 206},
			},
		},
		{
			name: "5 MB limit, a file under it comes whole", limit: small, size: small,
			want: []getLog{{Status: 200}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []emulator.Option{emulator.WithRangeChunkLimit(tt.limit)}, tt.opts...)
			data := make([]byte, tt.size)
			if _, err := io.ReadFull(newPattern(int64(tt.size)).section(), data); err != nil {
				t.Fatal(err)
			}
			id, err := e.emu.SeedTemporary(emulator.WeCom, corpID, "file", "big.bin", data)
			if err != nil {
				t.Fatal(err)
			}
			sameDownload(t, e, id, data)
			if diff := cmp.Diff(tt.want, getsOf(e)); diff != "" {
				t.Errorf("media/get requests (-want +got):\n%s", diff)
			}
		})
	}
}

// sameDownload downloads id and checks that the Content's size and bytes
// are data's.
func sameDownload(t *testing.T, e *env, id string, data []byte) {
	t.Helper()
	c, err := e.c.Download(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	got, n := sha(t, c)
	c.Close()
	want := sha256.Sum256(data)
	if got != hex.EncodeToString(want[:]) || n != int64(len(data)) || c.Size != int64(len(data)) {
		t.Errorf("read %d bytes (Size %d) with SHA-256 %.12s, want the %d bytes of the file", n, c.Size, got, len(data))
	}
}

// TestDownloadResume cuts a whole-file download off and checks that it
// resumes from the byte where it broke.
func TestDownloadResume(t *testing.T) {
	const size = 3<<20 + 11
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	tests := []struct {
		name      string
		action    emulator.FaultAction
		wantStart int64 // the first byte of the resumption; -1: anywhere inside the file
	}{
		{name: "truncated body", action: emulator.TruncateBody(1 << 20), wantStart: 1 << 20},
		{name: "dropped connection", action: emulator.DropResponse(64 << 10), wantStart: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			id, err := e.emu.SeedTemporary(emulator.WeCom, corpID, "file", "doc.bin", data)
			if err != nil {
				t.Fatal(err)
			}
			e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Action: tt.action})
			sameDownload(t, e, id, data)
			gets := getsOf(e) // in the order they arrived
			if len(gets) != 2 || gets[0].Range != "" || !gets[0].Fault {
				t.Fatalf("media/get requests = %+v, want the cut one and one resumption", gets)
			}
			var first, last int64
			if _, err := fmt.Sscanf(gets[1].Range, "bytes=%d-%d", &first, &last); err != nil {
				t.Fatalf("resumption Range %q: %v", gets[1].Range, err)
			}
			if last != size-1 || first <= 0 || first >= size || (tt.wantStart >= 0 && first != tt.wantStart) {
				t.Errorf("resumption Range %q, want bytes=%d-%d", gets[1].Range, tt.wantStart, size-1)
			}
		})
	}
}

func TestDownloadNotFound(t *testing.T) {
	e := newEnv(t, nil)
	id, err := e.emu.SeedTemporary(emulator.WeCom, corpID, "file", "a.txt", []byte("some text"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, id string
		advance  bool
	}{
		{name: "unknown", id: "no-such-media"},
		{name: "expired", id: id, advance: true},
	} {
		if tt.advance {
			e.clock.Advance(material.TemporaryLifetime + 1)
		}
		_, err := e.c.Download(t.Context(), tt.id)
		var apiErr *material.APIError
		if !errors.Is(err, material.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Code != 40007 {
			t.Errorf("Download(%s): err = %v, want 40007 matching material.ErrNotFound", tt.name, err)
		}
	}
}
