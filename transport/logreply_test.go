package transport_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// TestLogEveryAttempt: with a logger, every request sent is logged with its
// reply (status, and errcode when there is one): an errcode reply, and
// both sends of a replay after a rejected token; never the token.
func TestLogEveryAttempt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		replies []string // the bodies answered in turn, with status 200
		want    []string // the log lines' messages and attributes, in order
	}{
		{name: "errcode reply", replies: []string{`{"errcode":40007,"errmsg":"invalid media_id"}`},
			want: []string{"request path=/api/cgi-bin/media/get attempt=1", "response path=/api/cgi-bin/media/get status=200 errcode=40007"}},
		{name: "success", replies: []string{`{"errcode":0}`},
			want: []string{"request path=/api/cgi-bin/media/get attempt=1", "response path=/api/cgi-bin/media/get status=200"}},
		{name: "token rejected, replayed", replies: []string{`{"errcode":40001,"errmsg":"invalid credential"}`, `{"errcode":0}`},
			want: []string{"request path=/api/cgi-bin/media/get attempt=1", "response path=/api/cgi-bin/media/get status=200 errcode=40001 token_rejected=true",
				"request path=/api/cgi-bin/media/get replay=true", "response path=/api/cgi-bin/media/get status=200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n counter
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := n.add(r.URL.Path) - 1
				if i >= len(tc.replies) {
					t.Errorf("request %d, want %d", i+1, len(tc.replies))
					i = len(tc.replies) - 1
				}
				writeJSON(w, tc.replies[i])
			})
			logs := &logBuffer{}
			c, _ := setup(t, material.OfficialAccount, handler, func(c *transport.Config) { c.Logger = logs.logger() })
			_ = c.Do(t.Context(), &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/get", JSON: map[string]string{"media_id": "x"}}, nil)
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				if strings.Contains(line, "TOKEN") {
					t.Errorf("a log line holds the token: %s", line)
				}
				msg, ok := strings.CutPrefix(line[strings.Index(line, "msg="):], `msg="wxmaterial `)
				if !ok {
					continue
				}
				kind, rest, _ := strings.Cut(msg, `" `)
				var keep []string
				for _, f := range strings.Fields(rest) {
					if k, _, _ := strings.Cut(f, "="); k != "platform" && k != "method" && k != "host" {
						keep = append(keep, f)
					}
				}
				got = append(got, kind+" "+strings.Join(keep, " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("log (-want +got):\n%s\nlog:\n%s", diff, logs.String())
			}
		})
	}
}
