package hostile_test

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// brokenReply is a reply after which a write's outcome cannot be known.
type brokenReply struct {
	name      string
	withoutID bool // only broken for a call whose success carries an id
	serve     func(w http.ResponseWriter)
}

var brokenReplies = []brokenReply{
	{name: "cut after the headers", serve: func(w http.ResponseWriter) {
		rawReply(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n")
	}},
	{name: "cut mid-JSON", serve: func(w http.ResponseWriter) {
		rawReply(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 90\r\n\r\n{\"errcode\":0,\"media_id\":\"M")
	}},
	{name: "dropped without a reply", serve: func(w http.ResponseWriter) { rawReply(w, "") }},
	{name: "HTML gateway page with status 200", serve: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>")
	}},
	{name: "200 without the id", withoutID: true, serve: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}},
	{name: "200 with a null body", serve: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `null`)
	}},
	{name: "HTTP 500", serve: func(w http.ResponseWriter) { http.Error(w, "internal error", 500) }},
	{name: "HTTP 502 with a busy errcode", serve: func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(502)
		io.WriteString(w, `{"errcode":-1,"errmsg":"system error"}`)
	}},
	{name: "HTTP 429", serve: func(w http.ResponseWriter) { w.WriteHeader(429) }},
	// An errcode in a reply that is not the platform's plain word is not a
	// verdict: the write is not sent again, and its outcome is unknown.
	{name: "busy errcode as a string", serve: jsonReply(`{"errcode":"-1","errmsg":"system error"}`)},
	{name: "busy errcode as a fraction", serve: jsonReply(`{"errcode":-1.0,"errmsg":"system error"}`)},
	{name: "busy errcode followed by garbage", serve: jsonReply(`{"errcode":-1,"errmsg":"busy"}garbage`)},
	{name: "busy errcode after errcode 0", serve: jsonReply(`{"errcode":0,"media_id":"","errcode":-1}`)},
	{name: "busy errcode spelled ErrCode", serve: jsonReply(`{"ErrCode":-1,"errmsg":"system error"}`)},
	{name: "two busy objects", serve: jsonReply(`{"errcode":-1}{"errcode":-1}`)},
	{name: "rejected token as a string", serve: jsonReply(`{"errcode":"42001","errmsg":"access_token expired"}`)},
	{name: "a verdict given twice", serve: jsonReply(`{"errcode":45009,"errmsg":"quota","errcode":45009}`)},
	// Nor is a success whose errcode 0 is not plain: another errcode, or
	// another spelling, may say it failed.
	{name: "success after a rejected token", serve: jsonReply(`{"errcode":40001,"errcode":0,` + allFields + `}`)},
	{name: "success after busy", serve: jsonReply(`{"errcode":-1,` + allFields + `,"errcode":0}`)},
	{name: "success after ErrCode -1", serve: jsonReply(`{"ErrCode":-1,"errcode":0,` + allFields + `}`)},
	{name: "success as a string", serve: jsonReply(`{"errcode":"0",` + allFields + `}`)},
	{name: "success with errcode null", serve: jsonReply(`{"errcode":null,` + allFields + `}`)},
	{name: "HTTP 307", serve: func(w http.ResponseWriter) {
		w.Header().Set("Location", "http://127.0.0.1:1/x")
		w.WriteHeader(307)
	}},
}

// allFields are the fields of every write's success, for a reply that
// would be one but for its errcode.
const allFields = `"errmsg":"ok","type":"image","media_id":"M1","thumb_media_id":"M1","url":"http://127.0.0.1:1/1.jpg","jobid":"J1","created_at":"1700000000"`

// jsonReply serves body as application/json with status 200.
func jsonReply(body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// TestEveryWriteBrokenReply: every write of both clients, answered by every
// kind of broken reply, reaches the server once and ends in an error
// matching material.ErrOutcomeUnknown; the Official Account's Add and
// AddVideo return an *OutcomeUnknownError to settle it with FindAdded.
func TestEveryWriteBrokenReply(t *testing.T) {
	for _, op := range writeOps {
		for _, br := range brokenReplies {
			if br.withoutID && !op.needsID {
				continue
			}
			t.Run(op.name+"/"+br.name, func(t *testing.T) {
				s := newServer(t)
				s.api = func(w http.ResponseWriter, r *http.Request) { br.serve(w) }
				c := newClients(t, s, clientOptions{})
				err := op.call(t.Context(), c)
				if !errors.Is(err, material.ErrOutcomeUnknown) {
					t.Errorf("err = %v, want ErrOutcomeUnknown", err)
				}
				if got := s.count(op.path); got != 1 {
					t.Errorf("%s received %d requests, want 1", op.path, got)
				}
				if op.path == "/cgi-bin/material/add_material" {
					var oe *officialaccount.OutcomeUnknownError
					if !errors.As(err, &oe) || oe.Name == "" || oe.Since.IsZero() {
						t.Errorf("err = %v, want an *OutcomeUnknownError naming the file and the time", err)
					}
				}
			})
		}
	}
}

// TestEveryWriteDeclined: the only replies after which a write is sent
// again are the platform's own "did not act": a busy errcode, and a
// rejected token (replayed once with a new token).
func TestEveryWriteDeclined(t *testing.T) {
	busy := map[material.Platform]string{material.OfficialAccount: `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`, material.WeCom: `{"errcode":45033,"errmsg":"api concurrent out of limit"}`}
	for _, op := range writeOps {
		for _, first := range []string{`{"errcode":-1,"errmsg":"system error"}`, busy[op.platform], `{"errcode":42001,"errmsg":"access_token expired"}`} {
			t.Run(op.name+"/"+first, func(t *testing.T) {
				s := newServer(t)
				var n atomic.Int32 // the handlers of two connections may run it
				s.api = func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/octet-stream") // the type does not matter
					if n.Add(1) == 1 {
						io.WriteString(w, first)
						return
					}
					io.WriteString(w, op.success)
				}
				c := newClients(t, s, clientOptions{})
				if err := op.call(t.Context(), c); err != nil {
					t.Fatalf("err = %v, want success after the platform declined once", err)
				}
				if got := s.count(op.path); got != 2 {
					t.Errorf("%s received %d requests, want 2", op.path, got)
				}
			})
		}
	}
}

// TestEveryWriteVerdict: an errcode in an HTTP 200 reply is the platform's
// verdict: one request, a definite failure.
func TestEveryWriteVerdict(t *testing.T) {
	for _, op := range writeOps {
		t.Run(op.name, func(t *testing.T) {
			s := newServer(t)
			s.api = func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`)
			}
			c := newClients(t, s, clientOptions{})
			err := op.call(t.Context(), c)
			if !errors.Is(err, material.ErrQuota) || errors.Is(err, material.ErrOutcomeUnknown) {
				t.Errorf("err = %v, want ErrQuota and no unknown outcome", err)
			}
			if got := s.count(op.path); got != 1 {
				t.Errorf("%s received %d requests, want 1", op.path, got)
			}
		})
	}
}
