package work_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
	"github.com/wxmaterial/wxmaterial/work"
)

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name    string
		corpID  string
		agentID int64
		secret  string
		opts    []work.Option
	}{
		{name: "no corp id", agentID: 1, secret: "s"},
		{name: "agent id 0", corpID: "ww1", secret: "s"},
		{name: "no secret and no token source", corpID: "ww1", agentID: 1},
		{name: "wait max under min", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithWait(time.Second, time.Millisecond)}},
		{name: "zero wait", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithWait(0, time.Second)}},
		{name: "relative base URL", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithBaseURL("qyapi.weixin.qq.com")}},
		{name: "negative retry", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithRetry(transport.RetryPolicy{MaxAttempts: -1})}},
		{name: "nil token source", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithTokenSource(nil)}},
		{name: "chunk over 20 MiB", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithChunkSize(20<<20 + 1)}},
		{name: "chunk of 0 bytes", corpID: "ww1", agentID: 1, secret: "s", opts: []work.Option{work.WithChunkSize(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := work.New(tt.corpID, tt.agentID, tt.secret, tt.opts...)
			if err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			if strings.Contains(err.Error(), "secret\"") || (tt.secret != "" && strings.Contains(err.Error(), "="+tt.secret)) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// TestTokenSource uses a token fetched elsewhere: no secret, no gettoken.
func TestTokenSource(t *testing.T) {
	e := newEnv(t, nil)
	token := fetchToken(t, e)
	e.resetLog(t)
	c, err := work.New(corpID, agentID, "", work.WithBaseURL(e.srv.URL+"/work"), work.WithTokenSource(auth.Static(token)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(t.Context(), material.KindFile, material.FromBytes("a.txt", []byte("some text"))); err != nil {
		t.Fatal(err)
	}
	// A static token that is revoked cannot be replaced: the call fails.
	e.emu.RevokeToken(token)
	_, err = c.Upload(t.Context(), material.KindFile, material.FromBytes("a.txt", []byte("some text")))
	if !errors.Is(err, material.ErrUnauthorized) {
		t.Errorf("upload with a revoked static token: err = %v, want material.ErrUnauthorized", err)
	}
	var got []wire
	for _, w := range wireOf(t, e.log()) {
		got = append(got, wire{Path: w.Path, Errcode: w.Errcode})
	}
	want := []wire{{Path: "/cgi-bin/media/upload"}, {Path: "/cgi-bin/media/upload", Errcode: emulator.CodeRevokedToken}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// fetchToken gets the agent's current token as another process would.
func fetchToken(t *testing.T, e *env) string {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/work/cgi-bin/gettoken?" + url.Values{"corpid": {corpID}, "corpsecret": {secret}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("gettoken: %v", err)
	}
	return out.AccessToken
}

// TestRevokedTokenReplaysUpload revokes the token as an upload arrives: the
// client fetches a new one and sends the same bytes again.
func TestRevokedTokenReplaysUpload(t *testing.T) {
	e := newEnv(t, nil)
	src, data := sample(t, material.KindImage)
	e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/upload", Action: emulator.Revoke()})
	if _, err := e.c.Upload(t.Context(), material.KindImage, src); err != nil {
		t.Fatal(err)
	}
	var got []wire
	for _, w := range wireOf(t, e.log()) {
		got = append(got, wire{Path: w.Path, Parts: w.Parts, Errcode: w.Errcode})
	}
	part := []wirePart{filePart("sample.png", "image/png", data)}
	want := []wire{
		{Path: "/cgi-bin/gettoken"},
		{Path: "/cgi-bin/media/upload", Errcode: emulator.CodeRevokedToken}, // refused before the body is read
		{Path: "/cgi-bin/gettoken"},
		{Path: "/cgi-bin/media/upload", Parts: part},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestWaitBusy makes the platform busy for more polls than the client
// retries: the wait goes on.
func TestWaitBusy(t *testing.T) {
	e := newEnv(t, nil, work.WithRetry(transport.RetryPolicy{MaxAttempts: 2, MinDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	g := newPattern(100)
	id, err := e.c.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: serveFile(t, "a.bin", g), MD5: md5Of(t, g)})
	if err != nil {
		t.Fatal(err)
	}
	f := e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/get_upload_by_url_result", Times: 5, Action: emulator.Errcode(-1, "system busy")})
	if _, err := e.c.WaitUploadByURL(t.Context(), id); err != nil {
		t.Fatalf("WaitUploadByURL: %v", err)
	}
	if f.Hits() != 5 {
		t.Errorf("the busy fault was hit %d times, want 5", f.Hits())
	}
}

// TestNoSecretsInLogsOrErrors runs calls that fail in several ways with a
// debug logger, and checks that neither the log nor an error holds the
// secret or a token.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, nil, work.WithLogger(log), work.WithRetry(transport.RetryPolicy{MaxAttempts: 2, MinDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	var errs []error
	keep := func(_ any, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	keep(e.c.Upload(t.Context(), material.KindFile, material.FromBytes("a.txt", []byte("some text"))))
	token := fetchToken(t, e)
	e.emu.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Action: emulator.DropResponse(0), Times: 2})
	keep(e.c.Download(t.Context(), "some-id"))
	keep(e.c.Download(t.Context(), "no-such-id"))
	e.emu.RevokeToken(token)
	e.emu.Inject(emulator.Fault{Path: "/cgi-bin/gettoken", Action: emulator.Errcode(40001, "invalid credential")})
	keep(e.c.Download(t.Context(), "no-such-id"))

	bad, err := work.New(corpID, agentID, "wrong-secret-value", work.WithBaseURL(e.srv.URL+"/work"), work.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	keep(bad.Upload(t.Context(), material.KindFile, material.FromBytes("a.txt", []byte("some text"))))

	if len(errs) != 4 {
		t.Errorf("%d calls failed, want 4: %v", len(errs), errs)
	}
	for _, s := range []string{secret, "wrong-secret-value", token} {
		if strings.Contains(buf.String(), s) {
			t.Errorf("the log holds %q:\n%s", s, buf.String())
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) {
				t.Errorf("an error holds %q: %v", s, err)
			}
		}
	}
	if !strings.Contains(buf.String(), "media/get") {
		t.Errorf("the debug log is empty or lacks paths:\n%s", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
