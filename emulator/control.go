package emulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API: JSON over HTTP under ControlPrefix, each route a thin
// layer over the Go method of the same feature (docs/emulator.md lists
// them with curl examples).

// controlRoutes lists the routes, for GET /_emulator/ and the docs.
var controlRoutes = []string{
	"GET /_emulator/health",
	"GET /_emulator/accounts",
	"POST /_emulator/accounts",
	"GET /_emulator/tokens/{account}",
	"POST /_emulator/tokens/revoke",
	"GET /_emulator/faults",
	"POST /_emulator/faults",
	"DELETE /_emulator/faults",
	"GET /_emulator/faults/{id}",
	"DELETE /_emulator/faults/{id}",
	"GET /_emulator/clock",
	"POST /_emulator/clock",
	"POST /_emulator/reset",
	"GET /_emulator/requests",
	"DELETE /_emulator/requests",
	"POST /_emulator/settle",
	"GET /_emulator/media",
	"POST /_emulator/media",
	"GET /_emulator/media/{id}",
	"GET /_emulator/media/{id}/content",
	"POST /_emulator/news",
	"GET /_emulator/jobs/{id}",
	"GET /_emulator/ca.pem",
}

// controlBodyLimit bounds control request bodies (a seeded file travels in
// base64 inside one).
const controlBodyLimit = 64 << 20

// adjustableClock is a Clock the control API can move: a FakeClock.
type adjustableClock interface {
	Clock
	advance(time.Duration) error
	set(time.Time) error
}

// control serves the control API of one Server.
type control struct {
	s *Server
	e *Emulator
}

func (s *Server) controlHandler() http.Handler {
	c := &control{s: s, e: s.Emulator}
	mux := http.NewServeMux()
	handlers := map[string]http.HandlerFunc{
		"GET /_emulator/health":             c.health,
		"GET /_emulator/accounts":           c.listAccounts,
		"POST /_emulator/accounts":          c.addAccounts,
		"GET /_emulator/tokens/{account}":   c.tokenFetches,
		"POST /_emulator/tokens/revoke":     c.revoke,
		"GET /_emulator/faults":             c.listFaults,
		"POST /_emulator/faults":            c.injectFault,
		"DELETE /_emulator/faults":          c.clearFaults,
		"GET /_emulator/faults/{id}":        c.getFault,
		"DELETE /_emulator/faults/{id}":     c.removeFault,
		"GET /_emulator/clock":              c.getClock,
		"POST /_emulator/clock":             c.setClock,
		"POST /_emulator/reset":             c.reset,
		"GET /_emulator/requests":           c.requests,
		"DELETE /_emulator/requests":        c.resetRequests,
		"POST /_emulator/settle":            c.settle,
		"GET /_emulator/media":              c.listMedia,
		"POST /_emulator/media":             c.seedMedia,
		"GET /_emulator/media/{id}":         c.getMedia,
		"GET /_emulator/media/{id}/content": c.mediaContent,
		"POST /_emulator/news":              c.seedNews,
		"GET /_emulator/jobs/{id}":          c.job,
		"GET /_emulator/ca.pem":             c.caPEM,
	}
	for _, pattern := range controlRoutes {
		mux.HandleFunc(pattern, handlers[pattern])
	}
	mux.HandleFunc("GET /_emulator/{$}", c.index)
	mux.HandleFunc("/_emulator/", c.notFound)
	mux.HandleFunc("/_emulator", c.index)
	return mux
}

// reply writes v as indented JSON.
func reply(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status, b = http.StatusInternalServerError, *bytes.NewBufferString(`{"error":"encoding the reply failed"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// replyError writes {"error": "..."}.
func replyError(w http.ResponseWriter, status int, format string, args ...any) {
	reply(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// decode reads the JSON body into v, refusing unknown fields and trailing
// data; it answers 400 itself and reports false on failure. An empty body
// decodes as {} when emptyOK.
func decode(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, controlBodyLimit+1))
	if err != nil {
		replyError(w, http.StatusBadRequest, "reading the body: %v", err)
		return false
	}
	if len(body) > controlBodyLimit {
		replyError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", controlBodyLimit)
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return true
		}
		replyError(w, http.StatusBadRequest, "a JSON body is required")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		replyError(w, http.StatusBadRequest, "the JSON body: %v", err)
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		replyError(w, http.StatusBadRequest, "the JSON body: data after the JSON value")
		return false
	}
	return true
}

func (c *control) index(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		c.notFound(w, r)
		return
	}
	reply(w, http.StatusOK, map[string]any{"routes": controlRoutes, "docs": "docs/emulator.md in github.com/wxmaterial/wxmaterial"})
}

func (c *control) notFound(w http.ResponseWriter, r *http.Request) {
	replyError(w, http.StatusNotFound, "no control route %s %s (GET %s lists them)", r.Method, r.URL.Path, ControlPrefix)
}

// GET /_emulator/health
func (c *control) health(w http.ResponseWriter, _ *http.Request) {
	_, adjustable := c.e.clock.(adjustableClock)
	reply(w, http.StatusOK, map[string]any{
		"status":           "ok",
		"now":              c.e.clock.Now(),
		"clock_adjustable": adjustable,
		"tls":              c.s.CA != nil,
	})
}

// GET /_emulator/accounts
func (c *control) listAccounts(w http.ResponseWriter, _ *http.Request) {
	reply(w, http.StatusOK, c.e.ListAccounts())
}

// POST /_emulator/accounts
func (c *control) addAccounts(w http.ResponseWriter, r *http.Request) {
	var a Accounts
	if !decode(w, r, &a, false) {
		return
	}
	if err := c.e.AddAccounts(a); err != nil {
		replyError(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "emulator: "))
		return
	}
	reply(w, http.StatusOK, c.e.ListAccounts())
}

// GET /_emulator/tokens/{account}
func (c *control) tokenFetches(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("account")
	if !c.accountExists(id) {
		replyError(w, http.StatusNotFound, "no Official Account or WeCom corp %q", id)
		return
	}
	reply(w, http.StatusOK, c.e.TokenFetches(id))
}

func (c *control) accountExists(id string) bool {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	return c.e.st.OA[id] != nil || c.e.st.Corps[id] != nil
}

// POST /_emulator/tokens/revoke
func (c *control) revoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token   string `json:"token"`
		Account string `json:"account"`
	}
	if !decode(w, r, &req, false) {
		return
	}
	switch {
	case (req.Token == "") == (req.Account == ""):
		replyError(w, http.StatusBadRequest, `give either "token" (one access_token) or "account" (an appid or corpid: all its tokens)`)
	case req.Token != "":
		n := 0
		if c.e.RevokeToken(req.Token) {
			n = 1
		}
		reply(w, http.StatusOK, map[string]int{"revoked": n})
	default:
		if !c.accountExists(req.Account) {
			replyError(w, http.StatusNotFound, "no Official Account or WeCom corp %q", req.Account)
			return
		}
		reply(w, http.StatusOK, map[string]int{"revoked": c.e.RevokeAccountTokens(req.Account)})
	}
}

// GET /_emulator/faults: every fault injected since the last clear or
// reset (from Go or over HTTP), in force or not.
func (c *control) listFaults(w http.ResponseWriter, _ *http.Request) {
	views := []faultView{}
	for _, f := range c.e.faultHistory() {
		views = append(views, f.view())
	}
	reply(w, http.StatusOK, map[string]any{"faults": views})
}

// POST /_emulator/faults
func (c *control) injectFault(w http.ResponseWriter, r *http.Request) {
	var req faultRequest
	if !decode(w, r, &req, false) {
		return
	}
	f, err := req.fault()
	if err != nil {
		replyError(w, http.StatusBadRequest, "%v", err)
		return
	}
	inj := c.e.inject(f, req.Query)
	reply(w, http.StatusCreated, inj.view())
}

// DELETE /_emulator/faults
func (c *control) clearFaults(w http.ResponseWriter, _ *http.Request) {
	c.e.ClearFaults()
	reply(w, http.StatusOK, map[string]any{"faults": []faultView{}})
}

// GET /_emulator/faults/{id}
func (c *control) getFault(w http.ResponseWriter, r *http.Request) {
	f, ok := c.e.FaultByID(r.PathValue("id"))
	if !ok {
		replyError(w, http.StatusNotFound, "no fault %q", r.PathValue("id"))
		return
	}
	reply(w, http.StatusOK, f.view())
}

// DELETE /_emulator/faults/{id}: takes the fault out of force; it stays
// listed, inactive, with its hits.
func (c *control) removeFault(w http.ResponseWriter, r *http.Request) {
	f, ok := c.e.FaultByID(r.PathValue("id"))
	if !ok {
		replyError(w, http.StatusNotFound, "no fault %q", r.PathValue("id"))
		return
	}
	f.Remove()
	reply(w, http.StatusOK, f.view())
}

func (c *control) clockView() map[string]any {
	_, adjustable := c.e.clock.(adjustableClock)
	return map[string]any{"now": c.e.clock.Now(), "adjustable": adjustable}
}

// GET /_emulator/clock
func (c *control) getClock(w http.ResponseWriter, _ *http.Request) {
	reply(w, http.StatusOK, c.clockView())
}

// POST /_emulator/clock: {"advance": "72h"} or {"set": "2030-01-02T03:04:05Z"}.
func (c *control) setClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance *jsonDuration `json:"advance"`
		Set     *time.Time    `json:"set"`
	}
	if !decode(w, r, &req, false) {
		return
	}
	clk, ok := c.e.clock.(adjustableClock)
	switch {
	case !ok:
		replyError(w, http.StatusConflict, "the emulator runs on the system clock, which cannot be moved: start it with --clock fake "+
			"(from Go: WithClock(NewFakeClock(...)))")
		return
	case (req.Advance == nil) == (req.Set == nil):
		replyError(w, http.StatusBadRequest, `give either "advance" (seconds, or a Go duration such as "72h") or "set" (an RFC 3339 time)`)
		return
	}
	var err error
	if req.Advance != nil {
		err = clk.advance(time.Duration(*req.Advance))
	} else {
		err = clk.set(*req.Set)
	}
	if err != nil {
		replyError(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "emulator: "))
		return
	}
	reply(w, http.StatusOK, c.clockView())
}

// POST /_emulator/reset
func (c *control) reset(w http.ResponseWriter, _ *http.Request) {
	if err := c.e.Reset(); err != nil {
		replyError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	if c.s.OnReset != nil {
		if err := c.s.OnReset(c.e); err != nil {
			replyError(w, http.StatusInternalServerError, "after the reset: %v", err)
			return
		}
	}
	reply(w, http.StatusOK, map[string]any{"reset": true, "accounts": c.e.ListAccounts()})
}

// GET /_emulator/requests?platform=oa&path=/cgi-bin/media/upload
func (c *control) requests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	platform, path := Platform(q.Get("platform")), q.Get("path")
	reqs := []Request{}
	for _, rq := range c.e.Requests() {
		if (platform == "" || rq.Platform == platform) && (path == "" || rq.Path == path) {
			reqs = append(reqs, rq)
		}
	}
	reply(w, http.StatusOK, map[string]any{"count": len(reqs), "requests": reqs})
}

// DELETE /_emulator/requests
func (c *control) resetRequests(w http.ResponseWriter, _ *http.Request) {
	c.e.ResetRequests()
	reply(w, http.StatusOK, map[string]any{"count": 0, "requests": []Request{}})
}

// defaultSettleTimeout bounds POST /_emulator/settle without ?timeout=.
const defaultSettleTimeout = 30 * time.Second

// POST /_emulator/settle?timeout=30s: waits until no upload-by-URL job
// runs and no platform request is in service.
func (c *control) settle(w http.ResponseWriter, r *http.Request) {
	timeout := defaultSettleTimeout
	if t := r.URL.Query().Get("timeout"); t != "" {
		var d jsonDuration
		raw, _ := json.Marshal(t)
		if _, err := strconv.ParseFloat(t, 64); err == nil {
			raw = []byte(t)
		}
		if err := d.UnmarshalJSON(raw); err != nil || d <= 0 {
			replyError(w, http.StatusBadRequest, "timeout %q: want seconds (10) or a Go duration (\"10s\")", t)
			return
		}
		timeout = time.Duration(d)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	err := c.e.WaitIdle(ctx)
	if err == nil {
		err = c.e.Settle(ctx)
	}
	if err != nil {
		replyError(w, http.StatusGatewayTimeout, "still busy after %v (a job still running, or a request in service, such as a download the client holds open)", timeout)
		return
	}
	reply(w, http.StatusOK, map[string]bool{"idle": true})
}

// GET /_emulator/media?platform=&owner=&family=&kind=&expired=true
func (c *control) listMedia(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := MediaFilter{Platform: Platform(q.Get("platform")), Owner: q.Get("owner"), Family: q.Get("family"), Kind: q.Get("kind")}
	if s := q.Get("expired"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			replyError(w, http.StatusBadRequest, "expired=%q: want true or false", s)
			return
		}
		f.WithExpired = v
	}
	media := c.e.ListMedia(f)
	if media == nil {
		media = []MediaInfo{}
	}
	reply(w, http.StatusOK, map[string]any{"count": len(media), "media": media})
}

// GET /_emulator/media/{id}
func (c *control) getMedia(w http.ResponseWriter, r *http.Request) {
	m, ok := c.e.Media(r.PathValue("id"))
	if !ok {
		replyError(w, http.StatusNotFound, "no media %q", r.PathValue("id"))
		return
	}
	reply(w, http.StatusOK, m)
}

// GET /_emulator/media/{id}/content: the stored bytes, whatever the
// media's family or age.
func (c *control) mediaContent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	m, ok := c.e.Media(id)
	if !ok {
		replyError(w, http.StatusNotFound, "no media %q", id)
		return
	}
	rc, err := c.e.OpenMedia(id)
	if err != nil {
		replyError(w, http.StatusNotFound, "media %q has no bytes (a news item or a mass-send video)", id)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", cmp.Or(m.ContentType, "application/octet-stream"))
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc)
}

// POST /_emulator/media: seeds a file without the upload checks (the
// library caps still apply), as SeedPermanent, SeedVideo and SeedTemporary
// do.
func (c *control) seedMedia(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Platform     Platform `json:"platform"`
		Owner        string   `json:"owner"`
		Family       string   `json:"family"`
		Kind         string   `json:"kind"`
		Name         string   `json:"name"`
		Data         []byte   `json:"data"` // base64
		Title        *string  `json:"title"`
		Introduction *string  `json:"introduction"`
	}
	if !decode(w, r, &req, false) {
		return
	}
	var id string
	var err error
	switch {
	case req.Platform != OfficialAccount && req.Platform != WeCom:
		err = fmt.Errorf("platform must be %q or %q", OfficialAccount, WeCom)
	case req.Owner == "" || req.Kind == "" || req.Name == "":
		err = errors.New(`owner, kind and name are required, and data (the file in base64)`)
	case req.Family == "temporary":
		if req.Title != nil || req.Introduction != nil {
			err = errors.New("title and introduction apply to permanent videos only")
			break
		}
		id, err = c.e.SeedTemporary(req.Platform, req.Owner, req.Kind, req.Name, req.Data)
	case req.Family == "permanent" && req.Platform == OfficialAccount:
		if req.Kind == "video" {
			title := req.Name
			if req.Title != nil {
				title = *req.Title
			}
			id, err = c.e.SeedVideo(req.Owner, req.Name, title, strDeref(req.Introduction), req.Data)
			break
		}
		if req.Title != nil || req.Introduction != nil {
			err = errors.New("title and introduction apply to permanent videos only")
			break
		}
		id, err = c.e.SeedPermanent(req.Owner, req.Kind, req.Name, req.Data)
	case req.Family == "permanent":
		err = fmt.Errorf(`permanent media belong to an Official Account: platform must be %q`, OfficialAccount)
	default:
		err = errors.New(`family must be "temporary" or "permanent"`)
	}
	if err != nil {
		replyError(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "emulator: "))
		return
	}
	m, _ := c.e.Media(id)
	reply(w, http.StatusCreated, m)
}

func strDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// POST /_emulator/news: {"appid": "...", "articles": [...]}, as SeedNews.
func (c *control) seedNews(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID    string    `json:"appid"`
		Articles []Article `json:"articles"`
	}
	if !decode(w, r, &req, false) {
		return
	}
	id, err := c.e.SeedNews(req.AppID, req.Articles...)
	if err != nil {
		replyError(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "emulator: "))
		return
	}
	m, _ := c.e.Media(id)
	reply(w, http.StatusCreated, m)
}

// GET /_emulator/jobs/{id}
func (c *control) job(w http.ResponseWriter, r *http.Request) {
	j, ok := c.e.Job(r.PathValue("id"))
	if !ok {
		replyError(w, http.StatusNotFound, "no upload-by-URL job %q", r.PathValue("id"))
		return
	}
	reply(w, http.StatusOK, j)
}

// GET /_emulator/ca.pem
func (c *control) caPEM(w http.ResponseWriter, _ *http.Request) {
	if c.s.CA == nil {
		replyError(w, http.StatusNotFound, "the emulator is not serving HTTPS (serve --tls)")
		return
	}
	pem := c.s.CA.CertPEM()
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Length", strconv.Itoa(len(pem)))
	_, _ = w.Write(pem)
}
