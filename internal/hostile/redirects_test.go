package hostile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// readOps are reads and downloads of both clients, with the path each
// calls.
var readOps = []struct {
	name     string
	platform material.Platform
	path     string
	call     func(ctx context.Context, c *clients) error
}{
	{name: "OA Count", platform: material.OfficialAccount, path: "/cgi-bin/material/get_materialcount", call: func(ctx context.Context, c *clients) error {
		_, err := c.oa.Count(ctx)
		return err
	}},
	{name: "OA BatchGet", platform: material.OfficialAccount, path: "/cgi-bin/material/batchget_material", call: func(ctx context.Context, c *clients) error {
		_, err := c.oa.BatchGet(ctx, material.KindImage, 0, 20)
		return err
	}},
	{name: "OA Get", platform: material.OfficialAccount, path: "/cgi-bin/material/get_material", call: func(ctx context.Context, c *clients) error {
		a, err := c.oa.Get(ctx, "P1")
		if err == nil {
			a.Close()
		}
		return err
	}},
	{name: "OA Download", platform: material.OfficialAccount, path: "/cgi-bin/media/get", call: func(ctx context.Context, c *clients) error {
		return closeContent(c.oa.Download(ctx, "M1"))
	}},
	{name: "OA DownloadHDVoice", platform: material.OfficialAccount, path: "/cgi-bin/media/get/jssdk", call: func(ctx context.Context, c *clients) error {
		return closeContent(c.oa.DownloadHDVoice(ctx, "M1"))
	}},
	{name: "WeCom Download", platform: material.WeCom, path: "/cgi-bin/media/get", call: func(ctx context.Context, c *clients) error {
		return closeContent(c.work.Download(ctx, "W1"))
	}},
	{name: "WeCom DownloadHDVoice", platform: material.WeCom, path: "/cgi-bin/media/get/jssdk", call: func(ctx context.Context, c *clients) error {
		return closeContent(c.work.DownloadHDVoice(ctx, "W1"))
	}},
	{name: "WeCom UploadByURLResult", platform: material.WeCom, path: "/cgi-bin/media/get_upload_by_url_result", call: func(ctx context.Context, c *clients) error {
		_, err := c.work.UploadByURLResult(ctx, "J1")
		return err
	}},
}

func closeContent(c *material.Content, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, c)
	c.Close()
	return err
}

// TestRedirectsFromEveryEndpoint: with a caller's plain http.Client (which
// follows redirects, and re-posts a body on 307 and 308), a redirect from
// any token endpoint (token, stable_token, gettoken) or API endpoint of
// either platform sends nothing to its target. The error names the status
// and the target's host, never its query, the secret or a token.
func TestRedirectsFromEveryEndpoint(t *testing.T) {
	var stolen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"STOLEN","expires_in":7200,"media_id":"X","url":"u","jobid":"j"}`)
	}))
	defer target.Close()
	host := strings.TrimPrefix(target.URL, "http://")
	redirect := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			http.Redirect(w, r, target.URL+"/steal?"+r.URL.RawQuery, status)
		}
	}
	type call struct {
		name     string
		platform material.Platform
		stable   bool
		call     func(ctx context.Context, c *clients) error
	}
	// Token endpoints: any call fetches a token first.
	calls := []call{
		{name: "token", platform: material.OfficialAccount, call: readOps[0].call},
		{name: "stable_token", platform: material.OfficialAccount, stable: true, call: readOps[0].call},
		{name: "gettoken", platform: material.WeCom, call: readOps[5].call},
	}
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, tc := range calls {
			t.Run(fmt.Sprintf("%s/%d", tc.name, status), func(t *testing.T) {
				s := newServer(t)
				s.tokenHandler = redirect(status)
				c := newClients(t, s, clientOptions{hc: &http.Client{}, stable: tc.stable})
				checkRedirectError(t, tc.call(t.Context(), c), status, host)
			})
		}
		for _, op := range writeOps {
			t.Run(fmt.Sprintf("%s/%d", op.name, status), func(t *testing.T) {
				s := newServer(t)
				s.api = redirect(status)
				c := newClients(t, s, clientOptions{hc: &http.Client{}})
				err := op.call(t.Context(), c)
				checkRedirectError(t, err, status, host)
				if !errors.Is(err, material.ErrOutcomeUnknown) {
					t.Errorf("a redirected write: err = %v, want ErrOutcomeUnknown", err)
				}
			})
		}
		for _, op := range readOps {
			t.Run(fmt.Sprintf("%s/%d", op.name, status), func(t *testing.T) {
				s := newServer(t)
				s.api = redirect(status)
				c := newClients(t, s, clientOptions{hc: &http.Client{}})
				checkRedirectError(t, op.call(t.Context(), c), status, host)
			})
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

func checkRedirectError(t *testing.T, err error, status int, host string) {
	t.Helper()
	var apiErr *material.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != status {
		t.Fatalf("err = %v, want an APIError with HTTP %d", err, status)
	}
	msg := err.Error()
	if !strings.Contains(msg, `redirect to "`+host+`" not followed`) {
		t.Errorf("err = %q, want it to name the target's host", msg)
	}
	for _, leak := range []string{"steal", appSecret, corpSecret, tokenPrefix} {
		if strings.Contains(msg, leak) {
			t.Errorf("err = %q shows %q", msg, leak)
		}
	}
}
