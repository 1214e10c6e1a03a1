package hostile_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

// The credentials the hostile server hands tokens for. A token is
// tokenPrefix plus a number: every test looks for the prefix.
const (
	appID       = "wx00000000hostile"
	appSecret   = "APPSECRET-hostile-0123456789abcdef"
	corpID      = "ww00000000hostile"
	agentID     = 1000002
	corpSecret  = "CORPSECRET-hostile-fedcba9876543210"
	tokenPrefix = "HOSTILETOKEN"
)

// fastRetry keeps retries quick.
var fastRetry = transport.RetryPolicy{MaxAttempts: 4, MinDelay: time.Microsecond, MaxDelay: 10 * time.Microsecond}

// server is a hostile platform: honest token endpoints (unless tokenHandler
// is set) and an api handler for everything else. It counts requests by
// path, and every request a handler sees has been read in full, unless
// raw is set.
type server struct {
	srv    *httptest.Server
	mu     sync.Mutex
	counts map[string]int
	tokens atomic.Int32
	minted []string // every token handed out

	api          http.HandlerFunc // every API call
	tokenHandler http.HandlerFunc // token endpoints, when set
	raw          bool             // api gets the body unread
}

func newServer(t testing.TB) *server {
	t.Helper()
	s := &server{counts: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// tokenPaths are the token endpoints of both platforms.
var tokenPaths = map[string]bool{"/cgi-bin/token": true, "/cgi-bin/stable_token": true, "/cgi-bin/gettoken": true}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/oa"), "/work")
	s.mu.Lock()
	s.counts[path]++
	s.mu.Unlock()
	if tokenPaths[path] {
		if s.tokenHandler != nil {
			s.tokenHandler(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		tok := fmt.Sprintf("%s-%s-%d", tokenPrefix, tokenKind(path), s.tokens.Add(1))
		s.mu.Lock()
		s.minted = append(s.minted, tok)
		s.mu.Unlock()
		fmt.Fprintf(w, `{"access_token":"%s","expires_in":7200}`, tok)
		return
	}
	if !s.raw {
		io.Copy(io.Discard, r.Body)
	}
	if s.api == nil {
		http.NotFound(w, r)
		return
	}
	s.api(w, r)
}

// tokenKind is "OA" or "WC" (WeCom): the token prefix of each platform.
func tokenKind(path string) string {
	if path == "/cgi-bin/gettoken" {
		return "WC"
	}
	return "OA"
}

// mintedTokens returns every token handed out so far.
func (s *server) mintedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.minted...)
}

// count returns how many requests path received.
func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// clients are both clients on one hostile server.
type clients struct {
	oa   *officialaccount.Client
	work *work.Client
}

// options for newClients.
type clientOptions struct {
	hc       *http.Client // WithHTTPClient, when set
	stable   bool
	logger   *slog.Logger
	retry    transport.RetryPolicy
	observer transport.Observer
}

func newClients(t testing.TB, s *server, o clientOptions) *clients {
	t.Helper()
	if o.retry == (transport.RetryPolicy{}) {
		o.retry = fastRetry
	}
	oaOpts := []officialaccount.Option{officialaccount.WithBaseURL(s.srv.URL + "/oa"), officialaccount.WithRetry(o.retry)}
	workOpts := []work.Option{work.WithBaseURL(s.srv.URL + "/work"), work.WithRetry(o.retry), work.WithWait(time.Millisecond, 2*time.Millisecond)}
	if o.hc != nil {
		oaOpts = append(oaOpts, officialaccount.WithHTTPClient(o.hc))
		workOpts = append(workOpts, work.WithHTTPClient(o.hc))
	}
	if o.stable {
		oaOpts = append(oaOpts, officialaccount.WithStableToken())
	}
	if o.logger != nil {
		oaOpts = append(oaOpts, officialaccount.WithLogger(o.logger))
		workOpts = append(workOpts, work.WithLogger(o.logger))
	}
	if o.observer != nil {
		oaOpts = append(oaOpts, officialaccount.WithObserver(o.observer))
		workOpts = append(workOpts, work.WithObserver(o.observer))
	}
	oa, err := officialaccount.New(appID, appSecret, oaOpts...)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := work.New(corpID, agentID, corpSecret, workOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return &clients{oa: oa, work: wc}
}

// writeOp is one write of one client, with the path it posts to and the
// success body the platform answers.
type writeOp struct {
	name     string
	platform material.Platform
	path     string
	success  string
	needsID  bool // a success reply must carry an id
	call     func(ctx context.Context, c *clients) error
}

func sample(k material.Kind) material.Source { return materialtest.Sample(k) }

// writeOps are every write of both clients.
var writeOps = []writeOp{
	{name: "OA Upload", platform: material.OfficialAccount, path: "/cgi-bin/media/upload", needsID: true,
		success: `{"type":"image","media_id":"M1","created_at":1700000000}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.oa.Upload(ctx, material.KindImage, sample(material.KindImage))
			return err
		}},
	{name: "OA UploadImage", platform: material.OfficialAccount, path: "/cgi-bin/media/uploadimg", needsID: true,
		success: `{"url":"http://mmbiz.qpic.cn/1.png"}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.oa.UploadImage(ctx, sample(material.KindImage))
			return err
		}},
	{name: "OA Add", platform: material.OfficialAccount, path: "/cgi-bin/material/add_material", needsID: true,
		success: `{"media_id":"P1","url":"http://mmbiz.qpic.cn/p1.png"}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.oa.Add(ctx, material.KindImage, sample(material.KindImage))
			return err
		}},
	{name: "OA AddVideo", platform: material.OfficialAccount, path: "/cgi-bin/material/add_material", needsID: true,
		success: `{"media_id":"V1","url":""}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.oa.AddVideo(ctx, sample(material.KindVideo), material.VideoDescription{Title: "t", Introduction: "i"})
			return err
		}},
	{name: "OA Delete", platform: material.OfficialAccount, path: "/cgi-bin/material/del_material",
		success: `{"errcode":0,"errmsg":"ok"}`,
		call:    func(ctx context.Context, c *clients) error { return c.oa.Delete(ctx, "P1") }},
	{name: "OA UploadNews", platform: material.OfficialAccount, path: "/cgi-bin/media/uploadnews", needsID: true,
		success: `{"type":"news","media_id":"N1","created_at":1700000000}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.oa.UploadNews(ctx, material.Article{Title: "t", Content: "<p>c</p>", ThumbMediaID: "T1"})
			return err
		}},
	{name: "OA UploadVideo", platform: material.OfficialAccount, path: "/cgi-bin/media/uploadvideo", needsID: true,
		success: `{"type":"video","media_id":"MV1","created_at":1700000000}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.oa.UploadVideo(ctx, "V1", "t", "d")
			return err
		}},
	{name: "WeCom Upload", platform: material.WeCom, path: "/cgi-bin/media/upload", needsID: true,
		success: `{"errcode":0,"errmsg":"ok","type":"file","media_id":"W1","created_at":"1700000000"}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.work.Upload(ctx, material.KindFile, sample(material.KindFile))
			return err
		}},
	{name: "WeCom UploadImage", platform: material.WeCom, path: "/cgi-bin/media/uploadimg", needsID: true,
		success: `{"errcode":0,"errmsg":"ok","url":"http://p.qpic.cn/1.png"}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.work.UploadImage(ctx, sample(material.KindImage))
			return err
		}},
	{name: "WeCom UploadAttachment", platform: material.WeCom, path: "/cgi-bin/media/upload_attachment", needsID: true,
		success: `{"errcode":0,"errmsg":"ok","type":"image","media_id":"A1","created_at":"1700000000"}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.work.UploadAttachment(ctx, material.KindImage, work.AttachmentMoments, sample(material.KindImage))
			return err
		}},
	{name: "WeCom UploadByURL", platform: material.WeCom, path: "/cgi-bin/media/upload_by_url", needsID: true,
		success: `{"errcode":0,"errmsg":"ok","jobid":"J1"}`,
		call: func(ctx context.Context, c *clients) error {
			_, err := c.work.UploadByURL(ctx, material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: "https://example.com/a.bin", MD5: strings.Repeat("a", 32)})
			return err
		}},
}

// rawReply hijacks the connection, writes raw and closes it.
func rawReply(w http.ResponseWriter, raw string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString(raw)
	buf.Flush()
	conn.Close()
}

// logBuffer collects log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
