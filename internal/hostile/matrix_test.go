package hostile_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// faults are every kind of fault the emulator can inject, with values that
// cut at the interesting places.
var faults = []struct {
	name   string
	action emulator.FaultAction
}{
	{"errcode -1 (busy)", emulator.Errcode(-1, "")},
	{"errcode 45009 (daily quota)", emulator.Errcode(45009, "")},
	{"errcode 40001 (token)", emulator.Errcode(40001, "")},
	{"errcode 42001 (token expired)", emulator.Errcode(42001, "")},
	{"status 500", emulator.Status(500)},
	{"status 502", emulator.Status(502)},
	{"status 429", emulator.Status(429)},
	{"status 404", emulator.Status(404)},
	{"drop request before its body", emulator.DropRequest(0)},
	{"drop request after 100 bytes", emulator.DropRequest(100)},
	{"drop response at once", emulator.DropResponse(0)},
	{"drop response in its headers", emulator.DropResponse(30)},
	{"truncate body at 0", emulator.TruncateBody(0)},
	{"truncate body at 10", emulator.TruncateBody(10)},
	{"delay", emulator.Delay(2 * time.Millisecond)},
	{"revoke token", emulator.Revoke()},
}

// matrix is an emulator with both accounts, both clients on it, and what
// the operations need: seeded media and a file server for upload-by-URL.
type matrix struct {
	emu    *emulator.Emulator
	srv    *httptest.Server
	c      *clients
	file   *httptest.Server
	md5    string
	sample map[material.Kind][]byte

	current func() // puts the current case's fault in force again
	seeded  int    // permanent items seeded
	deleted int    // permanent items deleted by Delete
}

func newMatrix(t *testing.T) *matrix {
	t.Helper()
	emu := emulator.New(emulator.WithClock(emulator.NewFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))))
	if err := emu.AddOfficialAccount(appID, appSecret); err != nil {
		t.Fatal(err)
	}
	if err := emu.AddWeComAgent(corpID, agentID, corpSecret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	m := &matrix{emu: emu, srv: srv, sample: map[material.Kind][]byte{}}
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindVideo, material.KindThumb, material.KindFile} {
		_, m.sample[k] = sampleBytes(t, k)
	}
	video := m.sample[material.KindVideo]
	m.file = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "v.mp4", time.Time{}, strings.NewReader(string(video)))
	}))
	sum := md5.Sum(video)
	m.md5 = hex.EncodeToString(sum[:])
	t.Cleanup(func() {
		m.file.Close()
		srv.Close()
		emu.Close()
	})
	oa, err := officialaccount.New(appID, appSecret, officialaccount.WithBaseURL(srv.URL+"/oa"), officialaccount.WithRetry(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	wc, err := work.New(corpID, agentID, corpSecret, work.WithBaseURL(srv.URL+"/work"), work.WithRetry(fastRetry), work.WithWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	m.c = &clients{oa: oa, work: wc}
	return m
}

// seed adds media for an operation to use and returns its id.
func (m *matrix) seed(t *testing.T, p emulator.Platform, permanent bool, kind material.Kind) string {
	t.Helper()
	var (
		id  string
		err error
	)
	switch {
	case permanent && kind == material.KindNews:
		var thumb string
		if thumb, err = m.emu.SeedPermanent(appID, "thumb", "t.jpg", m.sample[material.KindThumb]); err == nil {
			id, err = m.emu.SeedNews(appID, emulator.Article{Title: "t", ThumbMediaID: thumb, Content: "<p>c</p>"})
		}
	case permanent && kind == material.KindVideo:
		id, err = m.emu.SeedVideo(appID, "v.mp4", "title", "intro", m.sample[kind])
	case permanent:
		id, err = m.emu.SeedPermanent(appID, string(kind), "a"+string(kind), m.sample[kind])
	default:
		owner := appID
		if p == emulator.WeCom {
			owner = corpID
		}
		id, err = m.emu.SeedTemporary(p, owner, string(kind), "a."+string(kind), m.sample[kind])
	}
	if err != nil {
		t.Fatal(err)
	}
	if permanent {
		m.seeded++
		if kind == material.KindNews {
			m.seeded++ // and its thumb
		}
	}
	return id
}

func total(c emulator.Counts) int { return c.Image + c.Voice + c.Video + c.News }

// matrixOp is one operation of one client. call returns an error only:
// downloads are read to their end, so that a broken body counts.
type matrixOp struct {
	name     string
	platform emulator.Platform
	path     string
	write    bool
	library  bool // an Add: it adds to the permanent library
	call     func(ctx context.Context, t *testing.T, m *matrix) error
}

func readAllOf(c *material.Content, err error) error {
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = io.Copy(io.Discard, c)
	return err
}

var matrixOps = []matrixOp{
	{name: "OA Upload", platform: emulator.OfficialAccount, path: "/cgi-bin/media/upload", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.Upload(ctx, material.KindImage, sample(material.KindImage))
		return err
	}},
	{name: "OA UploadImage", platform: emulator.OfficialAccount, path: "/cgi-bin/media/uploadimg", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.UploadImage(ctx, sample(material.KindImage))
		return err
	}},
	{name: "OA Add", platform: emulator.OfficialAccount, path: "/cgi-bin/material/add_material", write: true, library: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.Add(ctx, material.KindImage, sample(material.KindImage))
		return err
	}},
	{name: "OA AddVideo", platform: emulator.OfficialAccount, path: "/cgi-bin/material/add_material", write: true, library: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.AddVideo(ctx, sample(material.KindVideo), material.VideoDescription{Title: "t", Introduction: "i"})
		return err
	}},
	{name: "OA Delete", platform: emulator.OfficialAccount, path: "/cgi-bin/material/del_material", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		return m.c.oa.Delete(ctx, m.seed(t, emulator.OfficialAccount, true, material.KindImage))
	}},
	{name: "OA UploadNews", platform: emulator.OfficialAccount, path: "/cgi-bin/media/uploadnews", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		thumb := m.seed(t, emulator.OfficialAccount, false, material.KindThumb)
		_, err := m.c.oa.UploadNews(ctx, material.Article{Title: "t", Content: "<p>c</p>", ThumbMediaID: thumb})
		return err
	}},
	{name: "OA UploadVideo", platform: emulator.OfficialAccount, path: "/cgi-bin/media/uploadvideo", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.UploadVideo(ctx, m.seed(t, emulator.OfficialAccount, false, material.KindVideo), "t", "d")
		return err
	}},
	{name: "OA Download image", platform: emulator.OfficialAccount, path: "/cgi-bin/media/get", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		return readAllOf(m.c.oa.Download(ctx, m.seed(t, emulator.OfficialAccount, false, material.KindImage)))
	}},
	{name: "OA Download video link", platform: emulator.OfficialAccount, path: "/cgi-bin/media/get", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		c, err := m.c.oa.Download(ctx, m.seed(t, emulator.OfficialAccount, false, material.KindVideo))
		if err != nil {
			return err
		}
		if c.URL == "" {
			return readAllOf(c, nil)
		}
		return readAllOf(m.c.oa.DownloadURL(ctx, c.URL))
	}},
	{name: "OA DownloadHDVoice", platform: emulator.OfficialAccount, path: "/cgi-bin/media/get/jssdk", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		return readAllOf(m.c.oa.DownloadHDVoice(ctx, m.seed(t, emulator.OfficialAccount, false, material.KindVoice)))
	}},
	{name: "OA Get image", platform: emulator.OfficialAccount, path: "/cgi-bin/material/get_material", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		a, err := m.c.oa.Get(ctx, m.seed(t, emulator.OfficialAccount, true, material.KindImage))
		if err != nil {
			return err
		}
		return readAllOf(a.Content, nil)
	}},
	{name: "OA Get video", platform: emulator.OfficialAccount, path: "/cgi-bin/material/get_material", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		a, err := m.c.oa.Get(ctx, m.seed(t, emulator.OfficialAccount, true, material.KindVideo))
		if err != nil {
			return err
		}
		return readAllOf(m.c.oa.DownloadURL(ctx, a.Video.DownURL))
	}},
	{name: "OA Get news", platform: emulator.OfficialAccount, path: "/cgi-bin/material/get_material", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.Get(ctx, m.seed(t, emulator.OfficialAccount, true, material.KindNews))
		return err
	}},
	{name: "OA Count", platform: emulator.OfficialAccount, path: "/cgi-bin/material/get_materialcount", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.oa.Count(ctx)
		return err
	}},
	{name: "OA List", platform: emulator.OfficialAccount, path: "/cgi-bin/material/batchget_material", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		for _, err := range m.c.oa.List(ctx, material.KindImage) {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{name: "WeCom Upload", platform: emulator.WeCom, path: "/cgi-bin/media/upload", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.work.Upload(ctx, material.KindFile, sample(material.KindFile))
		return err
	}},
	{name: "WeCom UploadImage", platform: emulator.WeCom, path: "/cgi-bin/media/uploadimg", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.work.UploadImage(ctx, sample(material.KindImage))
		return err
	}},
	{name: "WeCom UploadAttachment", platform: emulator.WeCom, path: "/cgi-bin/media/upload_attachment", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.work.UploadAttachment(ctx, material.KindImage, work.AttachmentMoments, sample(material.KindImage))
		return err
	}},
	{name: "WeCom Download", platform: emulator.WeCom, path: "/cgi-bin/media/get", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		return readAllOf(m.c.work.Download(ctx, m.seed(t, emulator.WeCom, false, material.KindFile)))
	}},
	{name: "WeCom DownloadHDVoice", platform: emulator.WeCom, path: "/cgi-bin/media/get/jssdk", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		return readAllOf(m.c.work.DownloadHDVoice(ctx, m.seed(t, emulator.WeCom, false, material.KindVoice)))
	}},
	{name: "WeCom UploadByURL", platform: emulator.WeCom, path: "/cgi-bin/media/upload_by_url", write: true, call: func(ctx context.Context, t *testing.T, m *matrix) error {
		_, err := m.c.work.UploadByURL(ctx, material.URLUpload{Kind: material.KindVideo, Filename: "v.mp4", URL: m.file.URL + "/v.mp4", MD5: m.md5})
		return err
	}},
	{name: "WeCom WaitUploadByURL", platform: emulator.WeCom, path: "/cgi-bin/media/get_upload_by_url_result", call: func(ctx context.Context, t *testing.T, m *matrix) error {
		m.emu.ClearFaults() // submit without the fault; it is for the polls
		id, err := m.c.work.UploadByURL(ctx, material.URLUpload{Kind: material.KindVideo, Filename: "v.mp4", URL: m.file.URL + "/v.mp4", MD5: m.md5})
		if err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		m.inject()
		// A platform busy on every poll keeps the waiter waiting: bound it.
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		_, err = m.c.work.WaitUploadByURL(ctx, id)
		return err
	}},
}

// injected is the fault the current case puts in force again (see
// WeCom WaitUploadByURL).
func (m *matrix) inject() {
	if m.current != nil {
		m.current()
	}
}

// typed reports an error a caller can handle by type: a platform's answer,
// a refused input, a failed job, an unknown outcome, a network or context
// failure, a body cut short.
func typed(err error) bool {
	var (
		apiErr  *material.APIError
		valErr  *material.ValidationError
		jobErr  *material.JobError
		urlErr  *url.Error
		netErr  net.Error
		outcome *officialaccount.OutcomeUnknownError
	)
	return errors.As(err, &apiErr) || errors.As(err, &valErr) || errors.As(err, &jobErr) || errors.As(err, &outcome) ||
		errors.Is(err, material.ErrOutcomeUnknown) || errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, transport.ErrLength) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// acted counts the log entries of path where the emulator did what was
// asked: served, not refused by a fault or an errcode.
func acted(log []emulator.Request, path string, p emulator.Platform) int {
	n := 0
	for _, r := range log {
		if r.Path != path || r.Platform != p || r.Errcode != 0 {
			continue
		}
		switch {
		case strings.HasPrefix(r.Fault, "errcode"), strings.HasPrefix(r.Fault, "status"), strings.HasPrefix(r.Fault, "drop request"):
			continue
		case r.Fault == "" && r.Status != http.StatusOK:
			continue
		}
		n++
	}
	return n
}

// TestFaultMatrix injects every fault the emulator can make, once and on
// every call, into every operation of both clients. Every call ends in a
// success or a typed error; a write that succeeded acted exactly once, one
// whose outcome is unknown at most once, and one that failed never; and the
// permanent library never holds more items than the successful Adds plus
// the Adds that ended in ErrOutcomeUnknown.
func TestFaultMatrix(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			m := newMatrix(t)
			addsOK, addsUnknown := 0, 0
			start := m.emu.LibraryCounts(appID)
			for _, op := range matrixOps {
				for _, times := range []int{1, -1} {
					fault := emulator.Fault{Platform: op.platform, Path: op.path, Times: times, Action: f.action}
					var injected []*emulator.InjectedFault
					m.current = func() { injected = append(injected, m.emu.Inject(fault)) }
					before := m.emu.LibraryCounts(appID)
					m.emu.ResetRequests()
					m.current()
					err := op.call(t.Context(), t, m)
					m.emu.ClearFaults()
					hits := 0
					for _, i := range injected {
						hits += i.Hits()
					}
					if hits == 0 {
						t.Errorf("%s: the fault never applied", op.name)
					}
					if err := m.emu.Settle(t.Context()); err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("%s, fault on %s: %v", op.name, map[int]string{1: "the first call", -1: "every call"}[times], err)
					if err != nil && !typed(err) {
						t.Errorf("%s: the error is not typed (%T)", what, err)
					}
					unknown := errors.Is(err, material.ErrOutcomeUnknown)
					if unknown && !op.write {
						t.Errorf("%s: a read reported an unknown outcome", what)
					}
					if op.write {
						n := acted(m.emu.Requests(), op.path, op.platform)
						if op.name == "OA Delete" {
							m.deleted += n
						}
						switch {
						case err == nil && n != 1:
							t.Errorf("%s: succeeded, and the emulator acted %d times", what, n)
						case unknown && n > 1:
							t.Errorf("%s: unknown outcome, and the emulator acted %d times", what, n)
						case err != nil && !unknown && n != 0:
							t.Errorf("%s: a definite failure, and the emulator acted %d times", what, n)
						}
					}
					if op.library {
						after := m.emu.LibraryCounts(appID)
						added := (after.Image + after.Video) - (before.Image + before.Video)
						switch {
						case err == nil:
							addsOK++
							if added != 1 {
								t.Errorf("%s: succeeded and added %d items", what, added)
							}
						case unknown:
							addsUnknown++
							if added > 1 {
								t.Errorf("%s: unknown outcome and added %d items", what, added)
							}
						case added != 0:
							t.Errorf("%s: failed and added %d items", what, added)
						}
					}
				}
			}
			// The library grew by what was seeded, less what Delete
			// removed, plus what the Adds made: at least one item per
			// successful Add, at most one more per Add whose outcome is
			// unknown.
			added := total(m.emu.LibraryCounts(appID)) - total(start) - m.seeded + m.deleted
			if added < addsOK || added > addsOK+addsUnknown {
				t.Errorf("the Adds made %d items: %d succeeded and %d ended in ErrOutcomeUnknown", added, addsOK, addsUnknown)
			}
			t.Logf("adds: %d succeeded, %d unknown", addsOK, addsUnknown)
		})
	}
}

// TestTokenEndpointFaultMatrix injects every fault into the token
// endpoints while the clients' tokens are revoked, so that each call must
// fetch a new one: every call ends in a success or a typed error, and a
// write acts at most once, and exactly once when it succeeds.
func TestTokenEndpointFaultMatrix(t *testing.T) {
	ops := []struct {
		op        matrixOp
		tokenPath string
		account   string
	}{
		{opNamed(t, "OA Upload"), "/cgi-bin/token", appID},
		{opNamed(t, "OA Count"), "/cgi-bin/token", appID},
		{opNamed(t, "WeCom Upload"), "/cgi-bin/gettoken", corpID},
		{opNamed(t, "WeCom Download"), "/cgi-bin/gettoken", corpID},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			m := newMatrix(t)
			for _, o := range ops {
				// A first call fetches a token; then it is revoked, so the
				// next call's request is rejected and a new token fetched.
				if err := o.op.call(t.Context(), t, m); err != nil {
					t.Fatalf("%s without a fault: %v", o.op.name, err)
				}
				for _, times := range []int{1, -1} {
					m.emu.RevokeAccountTokens(o.account)
					m.emu.ResetRequests()
					inj := m.emu.Inject(emulator.Fault{Platform: o.op.platform, Path: o.tokenPath, Times: times, Action: f.action})
					err := o.op.call(t.Context(), t, m)
					m.emu.ClearFaults()
					if err := m.emu.Settle(t.Context()); err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("%s, fault on %s: %v", o.op.name, o.tokenPath, err)
					if inj.Hits() == 0 {
						t.Errorf("%s: the fault never applied", what)
					}
					if err != nil && !typed(err) {
						t.Errorf("%s: the error is not typed (%T)", what, err)
					}
					if o.op.write {
						n := acted(m.emu.Requests(), o.op.path, o.op.platform)
						unknown := errors.Is(err, material.ErrOutcomeUnknown)
						switch {
						case err == nil && n != 1:
							t.Errorf("%s: succeeded, and the emulator acted %d times", what, n)
						case err != nil && !unknown && n != 0:
							t.Errorf("%s: a definite failure, and the emulator acted %d times", what, n)
						case n > 1:
							t.Errorf("%s: the emulator acted %d times", what, n)
						}
					}
				}
			}
		})
	}
}

func opNamed(t *testing.T, name string) matrixOp {
	for _, op := range matrixOps {
		if op.name == name {
			return op
		}
	}
	t.Fatalf("no operation %q", name)
	return matrixOp{}
}
