package work_test

import (
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/work"
)

const (
	corpID  = "ww00000000000000aa"
	agentID = int64(1000002)
	secret  = "agent-secret-0123456789abcdefghijklmnopqrstu"
)

// start is the emulator's fake time at the beginning of every test.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is an emulator on a loopback server and a client of its WeCom agent.
type env struct {
	emu   *emulator.Emulator
	srv   *httptest.Server
	clock *emulator.FakeClock
	c     *work.Client
}

// fastWait keeps job waits quick over real HTTP.
var fastWait = work.WithWait(time.Millisecond, 20*time.Millisecond)

// newEnv starts an emulator with one WeCom agent and a client for it. The
// client never reuses a connection, so an injected dropped connection is
// seen on its own.
func newEnv(t testing.TB, emuOpts []emulator.Option, opts ...work.Option) *env {
	t.Helper()
	clock := emulator.NewFakeClock(start)
	emu := emulator.New(append([]emulator.Option{emulator.WithClock(clock)}, emuOpts...)...)
	t.Cleanup(func() { emu.Close() })
	if err := emu.AddWeComAgent(corpID, agentID, secret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	t.Cleanup(tr.CloseIdleConnections)
	all := append([]work.Option{
		work.WithBaseURL(srv.URL + "/work"),
		work.WithClock(clock.Now),
		work.WithHTTPClient(&http.Client{Transport: tr}),
		fastWait,
	}, opts...)
	c, err := work.New(corpID, agentID, secret, all...)
	if err != nil {
		t.Fatal(err)
	}
	return &env{emu: emu, srv: srv, clock: clock, c: c}
}

// log closes the server, which waits for the handlers still running (the
// emulator logs a request when its handler returns, which may be after the
// client has read the whole reply), and returns the request log in the
// order the requests arrived (the log itself is in the order they ended: a
// dropped request can end after its retry). The test makes no more calls
// afterwards.
func (e *env) log() []emulator.Request {
	e.srv.Close()
	reqs := e.emu.Requests()
	slices.SortFunc(reqs, func(a, b emulator.Request) int { return cmp.Compare(a.Seq, b.Seq) })
	return reqs
}

// resetLog empties the request log once no request is in service, so that
// none answered before is logged after the reset.
func (e *env) resetLog(t testing.TB) {
	t.Helper()
	if err := e.emu.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.emu.ResetRequests()
}

// calls returns the request log without token fetches; see log.
func (e *env) calls() []emulator.Request {
	var out []emulator.Request
	for _, r := range e.log() {
		if r.Path != "/cgi-bin/gettoken" {
			out = append(out, r)
		}
	}
	return out
}

// sha reads r to the end and returns its SHA-256 and length.
func sha(t testing.TB, r io.Reader) (string, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("reading after %d bytes: %v", n, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// patternReader is a file of size bytes generated on demand: byte o is
// pattern[o%len(pattern)], with a pattern of a prime length so that chunks
// at different offsets differ. Nothing of the file is kept in memory.
type patternReader struct {
	pattern []byte
	size    int64
}

func newPattern(size int64) *patternReader {
	p := make([]byte, 65521)
	x := uint32(2463534242)
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	return &patternReader{pattern: p, size: size}
}

func (g *patternReader) ReadAt(b []byte, off int64) (int, error) {
	if off >= g.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) && off < g.size {
		i := int(off % int64(len(g.pattern)))
		m := copy(b[n:], g.pattern[i:])
		m = int(min(int64(m), g.size-off))
		n += m
		off += int64(m)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// section is the whole generated file as a reader.
func (g *patternReader) section() *io.SectionReader { return io.NewSectionReader(g, 0, g.size) }

// serveFile serves g at srv.URL+"/"+name with Range support.
func serveFile(t testing.TB, name string, g *patternReader) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, name, time.Time{}, g.section())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/" + name
}

// sample returns the sample file of kind k and its bytes.
func sample(t testing.TB, k material.Kind) (material.Source, []byte) {
	t.Helper()
	src := materialtest.Sample(k)
	rc, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return src, b
}

// md5Of returns the hex MD5 of the generated file, streamed.
func md5Of(t testing.TB, g *patternReader) string {
	t.Helper()
	h := md5.New()
	if _, err := io.Copy(h, g.section()); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
