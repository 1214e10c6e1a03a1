package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
)

// scriptedReply is one answer of a scriptedPlatform.
type scriptedReply struct {
	status     int
	body       string
	retryAfter string
	dropped    bool // no reply: a connection error
	cut        bool // the body breaks off
	hang       bool // no answer until the request's context ends
}

// scriptedPlatform is a token endpoint in memory (an http.RoundTripper, so
// that a test runs in a synctest bubble): the requests it counts get the
// scripted replies in turn, then a token; a normal stable_token fetch
// (not counted when forced is set) gets the token "T-OLD".
type scriptedPlatform struct {
	forced  bool // count and script only force_refresh requests
	replies []scriptedReply
	token   string // the success body

	mu sync.Mutex
	at []time.Time // when each counted request came
}

func (p *scriptedPlatform) RoundTrip(req *http.Request) (*http.Response, error) {
	var body struct {
		ForceRefresh bool `json:"force_refresh"`
	}
	if req.Body != nil {
		json.NewDecoder(req.Body).Decode(&body)
		req.Body.Close()
	}
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: req}
	if p.forced && !body.ForceRefresh {
		resp.Body = io.NopCloser(strings.NewReader(`{"access_token":"T-OLD","expires_in":7200}`))
		return resp, nil
	}
	p.mu.Lock()
	n := len(p.at)
	p.at = append(p.at, time.Now())
	p.mu.Unlock()
	if n >= len(p.replies) {
		resp.Body = io.NopCloser(strings.NewReader(p.token))
		return resp, nil
	}
	r := p.replies[n]
	if r.hang {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	if r.dropped {
		return nil, errors.New("connection reset by peer")
	}
	resp.StatusCode = r.status
	if r.retryAfter != "" {
		resp.Header.Set("Retry-After", r.retryAfter)
	}
	var rd io.Reader = strings.NewReader(r.body)
	if r.cut {
		rd = io.MultiReader(rd, errorReader{io.ErrUnexpectedEOF})
	}
	resp.Body = io.NopCloser(rd)
	return resp, nil
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// attemptTimes returns when each counted request came.
func (p *scriptedPlatform) attemptTimes() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.at...)
}

// gaps returns the time between the counted requests.
func (p *scriptedPlatform) gaps() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(p.at); i++ {
		out = append(out, p.at[i].Sub(p.at[i-1]))
	}
	return out
}

// The retry policy of TestFetchRetries: 4 attempts, 1 s doubling to 8 s.
const (
	retryAttempts = 4
	retryMin      = time.Second
	retryMax      = 8 * time.Second
)

// fetchers are the three fetchers, and the stable one forced, each on a
// scriptedPlatform.
var fetchers = []struct {
	name     string
	platform material.Platform
	forced   bool
	token    string
	fetch    func(ctx context.Context, hc *http.Client) (auth.Token, error)
}{
	{name: "token", platform: material.OfficialAccount, token: `{"access_token":"T-NEW","expires_in":7200}`,
		fetch: func(ctx context.Context, hc *http.Client) (auth.Token, error) {
			f, err := auth.NewOfficialAccount(testAppID, testSecret, auth.WithHTTPClient(hc), auth.WithFetcherRetry(retryAttempts, retryMin, retryMax))
			if err != nil {
				return auth.Token{}, err
			}
			return f.Fetch(ctx, "")
		}},
	{name: "stable_token", platform: material.OfficialAccount, token: `{"access_token":"T-NEW","expires_in":7200}`,
		fetch: func(ctx context.Context, hc *http.Client) (auth.Token, error) {
			f, err := auth.NewStable(testAppID, testSecret, auth.WithHTTPClient(hc), auth.WithFetcherRetry(retryAttempts, retryMin, retryMax))
			if err != nil {
				return auth.Token{}, err
			}
			return f.Fetch(ctx, "")
		}},
	{name: "stable_token forced", platform: material.OfficialAccount, forced: true, token: `{"access_token":"T-NEW","expires_in":7200}`,
		fetch: func(ctx context.Context, hc *http.Client) (auth.Token, error) {
			f, err := auth.NewStable(testAppID, testSecret, auth.WithHTTPClient(hc), auth.WithFetcherRetry(retryAttempts, retryMin, retryMax))
			if err != nil {
				return auth.Token{}, err
			}
			return f.Fetch(ctx, "T-OLD") // the platform still returns the rejected token: forced
		}},
	{name: "gettoken", platform: material.WeCom, token: `{"errcode":0,"errmsg":"ok","access_token":"T-NEW","expires_in":7200}`,
		fetch: func(ctx context.Context, hc *http.Client) (auth.Token, error) {
			f, err := auth.NewWeCom(testCorpID, testCorpSecret, auth.WithHTTPClient(hc), auth.WithFetcherRetry(retryAttempts, retryMin, retryMax))
			if err != nil {
				return auth.Token{}, err
			}
			return f.Fetch(ctx, "")
		}},
}

// TestFetchRetries: a fetch that fails in a way another attempt may fix is
// retried, after a backoff with jitter; one the platform answered for good
// is not; a forced stable refresh is retried only when the platform
// declined it in plain JSON.
func TestFetchRetries(t *testing.T) {
	busy := scriptedReply{status: 200, body: `{"errcode":-1,"errmsg":"system error"}`}
	tests := []struct {
		name  string
		first scriptedReply
		// retried: on which fetchers one such failure is followed by a new
		// attempt (and the fetch succeeds); the others fail at once.
		retried func(name string, p material.Platform) bool
	}{
		{name: "busy", first: busy, retried: always},
		{name: "per-minute cap", first: scriptedReply{status: 200, body: `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`},
			retried: func(_ string, p material.Platform) bool { return p == material.OfficialAccount }},
		{name: "concurrency limit", first: scriptedReply{status: 200, body: `{"errcode":45033,"errmsg":"api concurrent out of limit"}`},
			retried: func(_ string, p material.Platform) bool { return p == material.WeCom }},
		{name: "HTTP 502", first: scriptedReply{status: 502, body: "<html>bad gateway</html>"}, retried: notForced},
		{name: "busy in an HTTP 503", first: scriptedReply{status: 503, body: `{"errcode":-1}`}, retried: notForced},
		{name: "HTTP 429", first: scriptedReply{status: 429}, retried: notForced},
		{name: "connection error", first: scriptedReply{dropped: true}, retried: notForced},
		{name: "reply cut off", first: scriptedReply{status: 200, body: `{"access_tok`, cut: true}, retried: notForced},
		{name: "busy as a string", first: scriptedReply{status: 200, body: `{"errcode":"-1","errmsg":"busy"}`}, retried: never},
		{name: "busy followed by garbage", first: scriptedReply{status: 200, body: `{"errcode":-1,"errmsg":"busy"}garbage`}, retried: never},
		{name: "invalid credential", first: scriptedReply{status: 200, body: `{"errcode":40001,"errmsg":"invalid credential"}`}, retried: never},
		{name: "invalid app id", first: scriptedReply{status: 200, body: `{"errcode":40013,"errmsg":"invalid appid"}`}, retried: never},
		{name: "invalid secret", first: scriptedReply{status: 200, body: `{"errcode":40125,"errmsg":"invalid appsecret"}`}, retried: never},
		{name: "missing app id", first: scriptedReply{status: 200, body: `{"errcode":41002,"errmsg":"appid missing"}`}, retried: never},
		{name: "missing secret", first: scriptedReply{status: 200, body: `{"errcode":41004,"errmsg":"appsecret missing"}`}, retried: never},
		{name: "IP not allowed", first: scriptedReply{status: 200, body: `{"errcode":40164,"errmsg":"invalid ip"}`}, retried: never},
		{name: "daily quota", first: scriptedReply{status: 200, body: `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`}, retried: never},
		{name: "admin confirmation pending", first: scriptedReply{status: 200, body: `{"errcode":89503,"errmsg":"need confirm"}`}, retried: never},
		{name: "HTTP 400", first: scriptedReply{status: 400, body: "bad request"}, retried: never},
		{name: "not JSON", first: scriptedReply{status: 200, body: "<html>login</html>"}, retried: never},
	}
	for _, f := range fetchers {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := &scriptedPlatform{forced: f.forced, replies: []scriptedReply{tt.first}, token: f.token}
					tok, err := f.fetch(t.Context(), &http.Client{Transport: p})
					gaps := p.gaps()
					if !tt.retried(f.name, f.platform) {
						if err == nil || len(gaps) != 0 {
							t.Errorf("Fetch = %v, %v after %d attempts; want the first failure, not retried", tok, err, len(gaps)+1)
						}
						return
					}
					if err != nil || tok.Value != "T-NEW" {
						t.Fatalf("Fetch = %v, %v; want T-NEW after a retry", tok, err)
					}
					if len(gaps) != 1 || gaps[0] < retryMin/2 || gaps[0] > retryMin {
						t.Errorf("waits %v, want one between %v and %v", gaps, retryMin/2, retryMin)
					}
				})
			})
		}
	}
}

func always(string, material.Platform) bool           { return true }
func never(string, material.Platform) bool            { return false }
func notForced(name string, _ material.Platform) bool { return !strings.HasSuffix(name, "forced") }

// TestFetchRetryBackoff: the waits double from the least delay with
// jitter, a 429's Retry-After is honoured up to the longest delay, the
// attempts are bounded, and a context that ends during a wait ends the
// fetch at once with its error.
func TestFetchRetryBackoff(t *testing.T) {
	busy := scriptedReply{status: 200, body: `{"errcode":-1,"errmsg":"system error"}`}
	tests := []struct {
		name      string
		replies   []scriptedReply
		timeout   time.Duration
		wantGaps  [][2]time.Duration // each wait's bounds
		wantToken bool
		wantIs    []error
	}{
		{name: "three busy replies, then a token", replies: []scriptedReply{busy, busy, busy}, wantToken: true,
			wantGaps: [][2]time.Duration{{retryMin / 2, retryMin}, {retryMin, 2 * retryMin}, {2 * retryMin, 4 * retryMin}}},
		{name: "busy every time: four attempts", replies: []scriptedReply{busy, busy, busy, busy, busy},
			wantGaps: [][2]time.Duration{{retryMin / 2, retryMin}, {retryMin, 2 * retryMin}, {2 * retryMin, 4 * retryMin}},
			wantIs:   []error{material.ErrBusy}},
		{name: "Retry-After", replies: []scriptedReply{{status: 429, retryAfter: "3"}}, wantToken: true,
			wantGaps: [][2]time.Duration{{3 * time.Second, 3 * time.Second}}},
		{name: "Retry-After over the longest delay", replies: []scriptedReply{{status: 503, retryAfter: "3600"}}, wantToken: true,
			wantGaps: [][2]time.Duration{{retryMax, retryMax}}},
		{name: "the context ends during a wait", replies: []scriptedReply{busy, busy, busy}, timeout: 1500 * time.Millisecond,
			wantGaps: [][2]time.Duration{{retryMin / 2, retryMin}},
			wantIs:   []error{context.DeadlineExceeded, material.ErrBusy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				p := &scriptedPlatform{replies: tt.replies, token: fetchers[0].token}
				start := time.Now()
				tok, err := fetchers[0].fetch(ctx, &http.Client{Transport: p})
				elapsed := time.Since(start)
				if tt.wantToken != (err == nil && tok.Value == "T-NEW") {
					t.Errorf("Fetch = %v, %v", tok, err)
				}
				for _, target := range tt.wantIs {
					if !errors.Is(err, target) {
						t.Errorf("err = %v, want it to match %v", err, target)
					}
				}
				gaps := p.gaps()
				if len(gaps) != len(tt.wantGaps) {
					t.Fatalf("waits %v, want %d", gaps, len(tt.wantGaps))
				}
				for i, g := range gaps {
					if g < tt.wantGaps[i][0] || g > tt.wantGaps[i][1] {
						t.Errorf("wait %d is %v, want %v to %v", i+1, g, tt.wantGaps[i][0], tt.wantGaps[i][1])
					}
				}
				if tt.timeout > 0 && elapsed != tt.timeout {
					t.Errorf("Fetch returned after %v, want at the deadline, %v", elapsed, tt.timeout)
				}
			})
		})
	}
}

// TestWithFetcherRetryRefusesBadPolicies: a negative value, or a first
// delay over the longest, is refused.
func TestWithFetcherRetryRefusesBadPolicies(t *testing.T) {
	tests := []struct {
		name               string
		attempts           int
		minDelay, maxDelay time.Duration
	}{
		{name: "negative attempts", attempts: -1},
		{name: "negative delay", minDelay: -time.Second},
		{name: "first delay over the longest", minDelay: 10 * time.Second, maxDelay: time.Second},
	}
	for _, tt := range tests {
		_, err := auth.NewWeCom(testCorpID, testCorpSecret, auth.WithFetcherRetry(tt.attempts, tt.minDelay, tt.maxDelay))
		if !errors.Is(err, material.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", tt.name, err)
		}
	}
}

// TestFetchHungAttempt: an attempt that gets no answer may use only half of
// the time left, so that the fetch has time for another; a forced refresh,
// never resent after no answer, keeps the whole time. Through a Cache, whose
// fetches have DefaultFetchTimeout, the hung attempt ends at half of it.
func TestFetchHungAttempt(t *testing.T) {
	const budget = 30 * time.Second
	for _, f := range fetchers {
		t.Run(f.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), budget)
				defer cancel()
				p := &scriptedPlatform{forced: f.forced, replies: []scriptedReply{{hang: true}}, token: f.token}
				start := time.Now()
				tok, err := f.fetch(ctx, &http.Client{Transport: p})
				gaps := p.gaps()
				if f.forced {
					if err == nil || len(gaps) != 0 || time.Since(start) != budget {
						t.Errorf("forced Fetch = %v, %v after %d attempts and %v; want no answer after one attempt of the whole %v",
							tok, err, len(gaps)+1, time.Since(start), budget)
					}
					return
				}
				if err != nil || tok.Value != "T-NEW" {
					t.Fatalf("Fetch = %v, %v; want T-NEW from a second attempt", tok, err)
				}
				// The first attempt is cut at budget/2, then the backoff.
				if len(gaps) != 1 || gaps[0] < budget/2+retryMin/2 || gaps[0] > budget/2+retryMin {
					t.Errorf("gaps %v, want one of %v plus a backoff of %v to %v", gaps, budget/2, retryMin/2, retryMin)
				}
			})
		})
	}
	t.Run("Cache", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := &scriptedPlatform{replies: []scriptedReply{{hang: true}, {hang: true}}, token: fetchers[3].token}
			f, err := auth.NewWeCom(testCorpID, testCorpSecret, auth.WithHTTPClient(&http.Client{Transport: p}),
				auth.WithFetcherRetry(retryAttempts, retryMin, retryMax))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			tok, err := auth.NewCache(f).Token(t.Context())
			if err != nil || tok != "T-NEW" {
				t.Fatalf("Token = %q, %v; want T-NEW from a third attempt", tok, err)
			}
			// Two hung attempts: half of 30 s, then half of what was left.
			if got := time.Since(start); got >= auth.DefaultFetchTimeout {
				t.Errorf("Token took %v, the whole fetch timeout", got)
			}
			if n := len(p.gaps()) + 1; n != 3 {
				t.Errorf("%d attempts, want 3", n)
			}
		})
	})
}

// TestFetchHungAttemptError: when every attempt hangs, the fetch ends with
// its deadline after more than one attempt.
func TestFetchHungAttemptError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		hang := scriptedReply{hang: true}
		p := &scriptedPlatform{replies: []scriptedReply{hang, hang, hang, hang}, token: fetchers[0].token}
		_, err := fetchers[0].fetch(ctx, &http.Client{Transport: p})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to match context.DeadlineExceeded", err)
		}
		// How many fit depends on the backoff's jitter; a hung first
		// attempt never takes the whole time.
		if n := len(p.gaps()) + 1; n < 2 || n > retryAttempts {
			t.Errorf("%d attempts, want 2 to %d", n, retryAttempts)
		}
	})
}

// TestFetchHungAttemptCause: an attempt cut at half of the time left is
// logged saying so, never with the request's URL, and the next attempt
// goes out.
func TestFetchHungAttemptCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		p := &scriptedPlatform{replies: []scriptedReply{{hang: true}}, token: fetchers[3].token}
		var logs bytes.Buffer
		f, err := auth.NewWeCom(testCorpID, testCorpSecret, auth.WithHTTPClient(&http.Client{Transport: p}),
			auth.WithFetcherRetry(2, time.Second, time.Second),
			auth.WithFetcherLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := f.Fetch(ctx, ""); err != nil || tok.Value != "T-NEW" {
			t.Fatalf("Fetch = %v, %v; want T-NEW from the second attempt", tok, err)
		}
		if !strings.Contains(logs.String(), "no answer within 15s") {
			t.Errorf("the log does not say the first attempt had no answer within 15s:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "gettoken?") || strings.Contains(logs.String(), "corpsecret") {
			t.Errorf("the log names the request's URL:\n%s", logs.String())
		}
	})
}

// TestFetchAttemptFloor: an attempt another may follow is never cut before
// 5 s, and one after which no other attempt would fit (its backoff, and
// half its time again) is not cut at all: a slow but working endpoint
// still answers.
func TestFetchAttemptFloor(t *testing.T) {
	tests := []struct {
		name    string
		budget  time.Duration
		wantCut time.Duration // when the hung first attempt is cut; 0: never, the fetch fails at its deadline
	}{
		{name: "12 s: cut at the floor", budget: 12 * time.Second, wantCut: 6 * time.Second},
		{name: "9 s: cut at the floor", budget: 9 * time.Second, wantCut: 5 * time.Second},
		{name: "7 s: no room for another attempt, never cut", budget: 7 * time.Second},
		{name: "30 s: cut at half", budget: 30 * time.Second, wantCut: 15 * time.Second},
		{name: "3 s: never cut", budget: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), tt.budget)
				defer cancel()
				p := &scriptedPlatform{replies: []scriptedReply{{hang: true}, {hang: true}, {hang: true}, {hang: true}}, token: fetchers[0].token}
				start := time.Now()
				_, err := fetchers[0].fetch(ctx, &http.Client{Transport: p})
				if err == nil {
					t.Fatal("every attempt hung, yet the fetch succeeded")
				}
				at := p.attemptTimes()
				if tt.wantCut == 0 {
					if len(at) != 1 || time.Since(start) != tt.budget {
						t.Errorf("%d attempts, ended after %v; want one attempt for the whole %v", len(at), time.Since(start), tt.budget)
					}
					return
				}
				if len(at) < 2 || at[1].Sub(start) < tt.wantCut || at[1].Sub(start) > tt.wantCut+retryMin {
					t.Errorf("second attempt at %v, want after a cut at %v and a backoff of at most %v", at[1].Sub(start), tt.wantCut, retryMin)
				}
			})
		})
	}
}
