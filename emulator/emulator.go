package emulator

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Hosts of the real services; ServeHTTP routes requests carrying them in the
// Host header to the matching platform.
const (
	OfficialAccountHost = "api.weixin.qq.com"
	WeComHost           = "qyapi.weixin.qq.com"
)

// Path prefixes under which ServeHTTP serves each platform when the Host
// header names neither real host: a client whose base URL is
// server.URL+"/oa" reaches the Official Account's /cgi-bin/... endpoints.
const (
	OfficialAccountPrefix = "/oa"
	WeComPrefix           = "/work"
)

// Emulator is a stateful fake of the token and media endpoints of WeChat
// Official Accounts and WeCom. It is an http.Handler serving both platforms
// (see the package documentation for routing) and is safe for concurrent use.
type Emulator struct {
	cfg   config
	clock Clock
	log   *slog.Logger
	blobs blobStore

	mu        sync.Mutex
	st        *state
	lib       map[string]library // derived: appid → ids per batchget type
	urls      map[string]string  // derived: url key → media id
	dirty     bool
	mutations int

	persistMu  sync.Mutex
	persistErr error

	faultMu    sync.Mutex
	faults     []*InjectedFault // in force, in the order injected
	faultsSeen []*InjectedFault // every fault injected since ClearFaults
	faultSeq   int

	logMu       sync.Mutex
	reqs        []Request
	arrivals    uint64        // requests received so far
	serving     int           // requests being served
	servingIdle chan struct{} // closed while serving is 0

	jobCtx     context.Context
	jobCancel  context.CancelFunc
	jobMu      sync.Mutex
	jobsActive int
	jobsIdle   chan struct{} // closed while no job runs

	closeOnce sync.Once
	closeErr  error
}

// New returns an emulator configured by opts. It panics if an option fails
// (for example WithDir on a folder it cannot use); Open returns that error
// instead.
func New(opts ...Option) *Emulator {
	e, err := Open(opts...)
	if err != nil {
		panic(err)
	}
	return e
}

// Open returns an emulator configured by opts, loading the state a previous
// emulator left in the WithDir folder, if any. Call Close when done so that
// background jobs stop and the state is written.
func Open(opts ...Option) (*Emulator, error) {
	cfg := config{
		clock:    systemClock{},
		logger:   slog.New(slog.DiscardHandler),
		quotas:   DefaultQuotas(),
		logLimit: 10000,
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.jobClient == nil {
		cfg.jobClient = defaultJobClient()
	}
	e := &Emulator{
		cfg:   cfg,
		clock: cfg.clock,
		log:   cfg.logger,
		st:    newState(),
	}
	e.jobCtx, e.jobCancel = context.WithCancel(context.Background())
	e.jobsIdle = make(chan struct{})
	close(e.jobsIdle)
	var err error
	switch {
	case cfg.discard:
		e.blobs = discardStore{}
	case cfg.dir != "":
		e.blobs, err = newDirStore(cfg.dir)
	default:
		e.blobs = newMemStore()
	}
	if err != nil {
		return nil, err
	}
	if cfg.dir != "" {
		if err := e.load(); err != nil {
			return nil, err
		}
	}
	e.rebuildIndex()
	return e, nil
}

func defaultJobClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Timeout: 5 * time.Minute, Transport: t}
}

// Close stops background jobs (a running job fails with 830003), waits for
// them and writes the state to the WithDir folder. It returns the first error
// met while writing state, at any time in the emulator's life. Requests
// served after Close still work but start no new jobs.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.jobCancel()
		_ = e.WaitIdle(context.Background())
		e.persist()
		e.persistMu.Lock()
		e.closeErr = e.persistErr
		e.persistMu.Unlock()
	})
	return e.closeErr
}

// Err returns the last error met while writing state to the WithDir folder,
// or nil.
func (e *Emulator) Err() error {
	e.persistMu.Lock()
	defer e.persistMu.Unlock()
	return e.persistErr
}

// ServeHTTP serves both platforms. A path beginning with /oa/ or /work/ is
// served by that platform with the prefix removed; otherwise the Host header
// chooses (api.weixin.qq.com or qyapi.weixin.qq.com). Anything else is 404.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, OfficialAccountPrefix+"/"):
		e.serve(w, r, OfficialAccount, strings.TrimPrefix(p, OfficialAccountPrefix), OfficialAccountPrefix)
		return
	case strings.HasPrefix(p, WeComPrefix+"/"):
		e.serve(w, r, WeCom, strings.TrimPrefix(p, WeComPrefix), WeComPrefix)
		return
	}
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch host {
	case OfficialAccountHost:
		e.serve(w, r, OfficialAccount, p, "")
	case WeComHost:
		e.serve(w, r, WeCom, p, "")
	default:
		http.Error(w, "emulator: unknown platform: use Host "+OfficialAccountHost+" or "+WeComHost+
			", or a path under "+OfficialAccountPrefix+"/ or "+WeComPrefix+"/", http.StatusNotFound)
	}
}

// OfficialAccountHandler returns a handler serving only the Official Account
// endpoints, at /cgi-bin/... from the root.
func (e *Emulator) OfficialAccountHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.serve(w, r, OfficialAccount, r.URL.Path, "")
	})
}

// WeComHandler returns a handler serving only the WeCom endpoints, at
// /cgi-bin/... from the root.
func (e *Emulator) WeComHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.serve(w, r, WeCom, r.URL.Path, "")
	})
}

// Serve serves the emulator on l until ctx is done, then shuts the server
// down gracefully (waiting at most 5 seconds for requests in flight). It
// does not Close the emulator. A Server adds the control API, HTTPS and
// proxy mode.
func (e *Emulator) Serve(ctx context.Context, l net.Listener) error {
	return (&Server{Emulator: e}).Serve(ctx, l)
}

type endpoint struct {
	method string // required method
	handle func(*call)
}

var oaEndpoints, workEndpoints map[string]endpoint

func init() {
	oaEndpoints = map[string]endpoint{
		"/cgi-bin/token":                      {http.MethodGet, (*call).oaToken},
		"/cgi-bin/stable_token":               {http.MethodPost, (*call).oaStableToken},
		"/cgi-bin/media/upload":               {http.MethodPost, (*call).oaUpload},
		"/cgi-bin/media/get":                  {http.MethodGet, (*call).oaGet},
		"/cgi-bin/media/get/jssdk":            {http.MethodGet, (*call).getJSSDK},
		"/cgi-bin/media/uploadimg":            {http.MethodPost, (*call).oaUploadImage},
		"/cgi-bin/media/uploadnews":           {http.MethodPost, (*call).oaUploadNews},
		"/cgi-bin/media/uploadvideo":          {http.MethodPost, (*call).oaUploadVideo},
		"/cgi-bin/material/add_material":      {http.MethodPost, (*call).addMaterial},
		"/cgi-bin/material/get_material":      {http.MethodPost, (*call).getMaterial},
		"/cgi-bin/material/del_material":      {http.MethodPost, (*call).delMaterial},
		"/cgi-bin/material/get_materialcount": {http.MethodGet, (*call).materialCount},
		"/cgi-bin/material/batchget_material": {http.MethodPost, (*call).batchGet},
		"/cgi-bin/material/add_news":          {http.MethodPost, (*call).offline},
		"/cgi-bin/material/update_news":       {http.MethodPost, (*call).offline},
	}
	workEndpoints = map[string]endpoint{
		"/cgi-bin/gettoken":                       {http.MethodGet, (*call).workToken},
		"/cgi-bin/media/upload":                   {http.MethodPost, (*call).workUpload},
		"/cgi-bin/media/uploadimg":                {http.MethodPost, (*call).workUploadImage},
		"/cgi-bin/media/get":                      {http.MethodGet, (*call).workGet},
		"/cgi-bin/media/get/jssdk":                {http.MethodGet, (*call).getJSSDK},
		"/cgi-bin/media/upload_by_url":            {http.MethodPost, (*call).uploadByURL},
		"/cgi-bin/media/get_upload_by_url_result": {http.MethodPost, (*call).uploadByURLResult},
		"/cgi-bin/media/upload_attachment":        {http.MethodPost, (*call).uploadAttachment},
	}
}

// mediaURLPath is where media URLs handed out by the emulator (image url,
// video_url, down_url) are served, without a token, under the platform's
// prefix or host.
const mediaURLPath = "/_media/"

func (e *Emulator) serve(w http.ResponseWriter, r *http.Request, p Platform, path, prefix string) {
	seq := e.enter()
	defer e.leave() // after finish: the request is logged once Settle returns
	c := newCall(e, w, r, p, path, prefix)
	c.entry.Seq = seq
	defer c.finish()
	if f := e.takeFault(c); f != nil {
		if !c.applyFault(f) {
			return
		}
	}
	c.dispatch()
}

func (c *call) dispatch() {
	if strings.HasPrefix(c.path, mediaURLPath) {
		c.serveMediaURL(strings.TrimPrefix(c.path, mediaURLPath))
		return
	}
	table := oaEndpoints
	if c.platform == WeCom {
		table = workEndpoints
	}
	ep, ok := table[c.path]
	if !ok {
		c.drain()
		c.httpError(http.StatusNotFound, "emulator: no such endpoint on "+string(c.platform)+": "+c.path)
		return
	}
	if c.r.Method == http.MethodPost && (c.r.ContentLength < 0 || len(c.r.TransferEncoding) > 0) {
		// api.weixin.qq.com refuses bodies of unknown length (docs/wire.md §3).
		c.drain()
		c.httpError(http.StatusPreconditionFailed, preconditionFailedPage)
		return
	}
	if c.r.Method != ep.method {
		c.drain()
		if ep.method == http.MethodGet {
			c.fail(codeNeedGET, "")
		} else {
			c.fail(codeNeedPOST, "")
		}
		return
	}
	ep.handle(c)
}

const preconditionFailedPage = "<html>\r\n<head><title>412 Precondition Failed</title></head>\r\n<body>\r\n" +
	"<center><h1>412 Precondition Failed</h1></center>\r\n</body>\r\n</html>\r\n"

// drainLimit bounds how much of an unwanted request body the emulator reads
// before answering, so that clients still writing see the answer rather than
// a broken pipe.
const drainLimit = 256 << 20

func (c *call) drain() {
	if c.r.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(c.r.Body, drainLimit))
	}
}

// touch marks the state changed; the caller holds e.mu.
func (e *Emulator) touch() {
	e.dirty = true
	e.mutations++
	if e.mutations%64 == 0 {
		e.sweepLocked(e.clock.Now())
	}
}

// sweepLocked forgets expired temporary media (and their bytes), tokens dead
// for more than a week and jobs past their 60 minutes. The caller holds e.mu.
func (e *Emulator) sweepLocked(now time.Time) {
	for id, m := range e.st.Media {
		if m.expired(now) {
			e.dropMediaLocked(id)
		}
	}
	for t, rec := range e.st.Tokens {
		if now.Sub(rec.Expires) > 7*24*time.Hour {
			delete(e.st.Tokens, t)
		}
	}
	for id, j := range e.st.Jobs {
		if j.Status != jobRunning && now.Sub(j.Submitted) >= jobLife {
			delete(e.st.Jobs, id)
		}
	}
}

// dropMediaLocked removes a media record and its bytes. The caller holds
// e.mu.
func (e *Emulator) dropMediaLocked(id string) {
	m := e.st.Media[id]
	if m == nil {
		return
	}
	e.indexRemove(m)
	delete(e.st.Media, id)
	if m.Blob != "" {
		if err := e.blobs.remove(m.Blob); err != nil {
			e.log.Warn("emulator: removing media bytes", "media_id", id, "err", err)
		}
	}
	e.dirty = true
}
