package work_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// handlerTransport serves requests with a handler in the calling goroutine,
// without sockets, so that a whole client-and-emulator conversation runs
// inside a testing/synctest bubble on its fake clock.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	sr := r.Clone(r.Context())
	sr.RemoteAddr = "192.0.2.1:40000"
	sr.RequestURI = r.URL.RequestURI()
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, sr)
	if r.Body != nil {
		r.Body.Close()
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// bubble is an emulator and a client with the default wait delays, talking
// through handlerTransport, and a file for a job whose download waits
// until release is closed (or the job is abandoned).
type bubble struct {
	emu     *emulator.Emulator
	c       *work.Client
	release chan struct{}
	jobID   string
}

// newBubble must run inside synctest.Test. It submits the job.
func newBubble(t *testing.T) *bubble {
	t.Helper()
	b := &bubble{release: make(chan struct{})}
	data := []byte(strings.Repeat("a slow file ", 100))
	source := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-b.release:
		case <-r.Context().Done():
			return
		}
		http.ServeContent(w, r, "slow.txt", time.Time{}, strings.NewReader(string(data)))
	})
	b.emu = emulator.New(emulator.WithJobHTTPClient(&http.Client{Transport: handlerTransport{source}}))
	t.Cleanup(func() { b.emu.Close() })
	if err := b.emu.AddWeComAgent(corpID, agentID, secret); err != nil {
		t.Fatal(err)
	}
	c, err := work.New(corpID, agentID, secret,
		work.WithBaseURL("http://emulator.invalid/work"),
		work.WithHTTPClient(&http.Client{Transport: handlerTransport{b.emu}}))
	if err != nil {
		t.Fatal(err)
	}
	b.c = c
	b.jobID, err = c.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: "slow.txt",
		URL: "http://files.invalid/slow.txt", MD5: hexMD5(data)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexMD5(b []byte) string {
	const digits = "0123456789abcdef"
	s := md5Sum(b)
	out := make([]byte, 0, 32)
	for _, c := range s {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

type waitResult struct {
	m   material.Media
	err error
}

func (b *bubble) wait(ctx context.Context) <-chan waitResult {
	done := make(chan waitResult, 1)
	go func() {
		m, err := b.c.WaitUploadByURL(ctx, b.jobID)
		done <- waitResult{m, err}
	}()
	return done
}

// polls returns the job queries in the log.
func (b *bubble) polls() []emulator.Request {
	var out []emulator.Request
	for _, r := range b.emu.Requests() {
		if r.Path == "/cgi-bin/media/get_upload_by_url_result" {
			out = append(out, r)
		}
	}
	return out
}

// TestWaitLong waits twelve minutes (of fake time) for a job with the
// default delays, while the platform revokes the token.
func TestWaitLong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t)
		submitted := time.Now()
		done := b.wait(t.Context())
		time.Sleep(10 * time.Minute)
		if n := b.emu.RevokeAccountTokens(corpID); n != 1 {
			t.Fatalf("RevokeAccountTokens revoked %d tokens, want 1", n)
		}
		time.Sleep(2 * time.Minute)
		close(b.release)
		r := <-done
		if r.err != nil {
			t.Fatalf("WaitUploadByURL: %v", r.err)
		}
		if r.m.Kind != material.KindFile || r.m.ID == "" {
			t.Errorf("WaitUploadByURL = %+v", r.m)
		}

		polls := b.polls()
		if len(polls) < 20 || len(polls) > 80 {
			t.Errorf("%d polls in 12 minutes, want about 35 (delays growing from 1 s to 30 s)", len(polls))
		}
		if d := polls[0].Time.Sub(submitted); d != 0 {
			t.Errorf("first poll %v after submission, want at once", d)
		}
		if d := polls[1].Time.Sub(polls[0].Time); d < work.DefaultWaitMinDelay/2 || d > work.DefaultWaitMinDelay {
			t.Errorf("first delay %v, want %v with jitter", d, work.DefaultWaitMinDelay)
		}
		var rejected int
		for i, p := range polls {
			if i > 0 {
				if d := p.Time.Sub(polls[i-1].Time); d > work.DefaultWaitMaxDelay {
					t.Errorf("poll %d came %v after the previous one, over the %v maximum", i, d, work.DefaultWaitMaxDelay)
				}
			}
			if p.Errcode == emulator.CodeRevokedToken {
				rejected++
				if i+1 >= len(polls) || polls[i+1].Errcode != 0 || !polls[i+1].Time.Equal(p.Time) {
					t.Errorf("the poll rejected with 42001 was not replayed at once with a new token")
				}
			}
		}
		if rejected != 1 {
			t.Errorf("%d polls were rejected for the revoked token, want 1", rejected)
		}
		if st := b.emu.TokenFetches(corpID); st.WeCom != 2 {
			t.Errorf("gettoken was called %d times, want 2 (the first token, and one after the revocation)", st.WeCom)
		}
	})
}

// TestWaitCancel cancels the context of a wait that would go on forever: it
// returns at once, and nothing polls afterwards or is left running (the
// bubble ends only when every goroutine it started has ended).
func TestWaitCancel(t *testing.T) {
	for _, tt := range []struct {
		name string
		ctx  func(parent context.Context) (context.Context, context.CancelFunc)
		want error
	}{
		{name: "cancel", ctx: context.WithCancel, want: context.Canceled},
		{name: "deadline", want: context.DeadlineExceeded, ctx: func(p context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(p, 45*time.Second)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBubble(t)
				defer close(b.release)
				ctx, cancel := tt.ctx(t.Context())
				defer cancel()
				done := b.wait(ctx)
				time.Sleep(45 * time.Second)
				synctest.Wait() // the waiter is asleep between two polls
				before := time.Now()
				cancel()
				r := <-done
				if d := time.Since(before); d != 0 {
					t.Errorf("WaitUploadByURL returned %v after the context ended, want at once", d)
				}
				if !errors.Is(r.err, tt.want) {
					t.Errorf("WaitUploadByURL: err = %v, want %v", r.err, tt.want)
				}
				n := len(b.polls())
				time.Sleep(time.Hour)
				if m := len(b.polls()); m != n {
					t.Errorf("%d polls after the wait returned", m-n)
				}
			})
		})
	}
}
