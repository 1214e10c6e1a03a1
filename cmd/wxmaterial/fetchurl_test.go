package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// linkBackend is an Official Account backend for fetchURL: links need no
// token, so its base URL is never asked.
func linkBackend(t *testing.T) *backend {
	t.Helper()
	oa, err := officialaccount.New("wx0000000000000001", "unused-secret-0123456789", officialaccount.WithBaseURL("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	return &backend{platform: material.OfficialAccount, svc: oa}
}

// TestFetchURLOneRule: a link's reply is judged by transport's one rule for
// "file or error reply": an errcode, whatever its type, or an HTML page is
// never saved as media.
func TestFetchURLOneRule(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantFile                bool
		wantErr                 error
	}{
		{name: "video", contentType: "video/mp4", body: "\x00\x00\x00\x18ftypmp42", wantFile: true},
		{name: "errcode as octet-stream", contentType: "application/octet-stream", body: `{"errcode":40007,"errmsg":"invalid media_id"}`, wantErr: material.ErrNotFound},
		{name: "errcode as video", contentType: "video/mp4", body: `{"errcode":40007,"errmsg":"invalid media_id"}`, wantErr: material.ErrNotFound},
		{name: "HTML page typed as video", contentType: "video/mp4", body: "<html>login</html>"},
		{name: "HTML page", contentType: "text/html", body: "<html>502</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := linkBackend(t).fetchURL(t.Context(), srv.URL+"/v.mp4")
			if tt.wantFile {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if got, _ := io.ReadAll(c); string(got) != tt.body {
					t.Errorf("file = %q", got)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("the reply came back as a file")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestLinkErrorsHideSecrets: a hostile server hands out a video link with
// the access token in its path, and the link answers an error page echoing
// the token and the AppSecret. The command fails, and neither shows on
// stdout or stderr, with -v or --json either.
func TestLinkErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		tokens []string
	)
	s := newServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "/cgi-bin/media/get"):
				tok := r.URL.Query().Get("access_token")
				mu.Lock()
				tokens = append(tokens, tok)
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"video_url":"http://%s/hostile/%s.mp4"}`, r.Host, tok)
			case strings.HasPrefix(r.URL.Path, "/hostile/"):
				tok := strings.TrimSuffix(path.Base(r.URL.Path), ".mp4")
				http.Error(w, "<html>"+tok+" secret "+emulator.DemoAppSecret+"</html>", http.StatusInternalServerError)
			default:
				h.ServeHTTP(w, r)
			}
		})
	})
	for _, args := range [][]string{{"download", "M1"}, {"-v", "download", "M1"}, {"--json", "download", "M1"}} {
		r := s.run(t, args...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "HTTP 500") {
			t.Errorf("%v: exit %d, stderr %q; want a failure naming HTTP 500", args, r.code, r.stderr)
		}
		mu.Lock()
		held := append([]string{emulator.DemoAppSecret}, tokens...)
		mu.Unlock()
		for _, v := range held {
			if strings.Contains(r.stdout+r.stderr, v) {
				t.Errorf("%v: a secret or token shows:\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
			}
		}
	}
}
