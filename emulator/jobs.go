package emulator

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Job statuses of get_upload_by_url_result.
const (
	jobRunning = 1
	jobDone    = 2
	jobFailed  = 3
)

const (
	jobLife     = 60 * time.Minute
	jobMinSize  = 6 // more than 5 bytes
	jobMaxSize  = 200 * mb
	jobChunk    = 4 * mb // the Range chunk the job downloads with
	maxJobField = 32
)

// uploadByURL serves WeCom POST cgi-bin/media/upload_by_url: it validates
// the request and starts a job that downloads the URL in the background.
func (c *call) uploadByURL() {
	p, ok := c.auth()
	if !ok {
		return
	}
	var req struct {
		Scene    int    `json:"scene"`
		Type     string `json:"type"`
		Filename string `json:"filename"`
		URL      string `json:"url"`
		MD5      string `json:"md5"`
	}
	if !c.readJSON(&req) {
		return
	}
	switch {
	case req.Scene != 1:
		c.failHint(codeBadParamWork, "", "scene must be 1")
		return
	case len(req.Type) > maxJobField || (req.Type != "video" && req.Type != "file"):
		c.failHint(codeBadTypeWork, "invalid type", "type must be video or file")
		return
	case req.Filename == "" || len(req.Filename) > 128:
		c.failHint(codeBadParamWork, "", "filename is required, at most 128 bytes")
		return
	case namesNoFile(req.Filename):
		c.failHint(codeBadParamWork, "", "filename must name a file")
		return
	case req.URL == "" || len(req.URL) > 1024:
		c.failHint(codeBadParamWork, "", "url is required, at most 1024 bytes")
		return
	case req.MD5 == "" || len(req.MD5) > maxJobField:
		c.failHint(codeBadParamWork, "", "md5 is required, at most 32 bytes")
		return
	}
	j := &jobRec{ID: "jobid_" + randomID(33), Corp: p.owner, AgentID: p.agentID, Submitted: c.now,
		Type: req.Type, Filename: req.Filename, URL: req.URL, MD5: req.MD5, Status: jobRunning}
	e := c.e
	e.mu.Lock()
	e.st.Jobs[j.ID] = j
	e.touch()
	spec := *j
	e.mu.Unlock()
	if !e.startJob(spec) {
		e.finishJob(spec.ID, nil, codeJobDownload, "emulator closed")
	}
	c.ok("jobid", j.ID)
}

// namesNoFile reports whether a file name's last element (after a slash or
// a backslash) is empty, "." or "..".
func namesNoFile(name string) bool {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name == "" || name == "." || name == ".."
}

// startJob runs the job in a goroutine, unless the emulator is closed.
func (e *Emulator) startJob(j jobRec) bool {
	e.jobMu.Lock()
	if e.jobCtx.Err() != nil {
		e.jobMu.Unlock()
		return false
	}
	if e.jobsActive == 0 {
		e.jobsIdle = make(chan struct{})
	}
	e.jobsActive++
	e.jobMu.Unlock()
	go func() {
		defer func() {
			e.jobMu.Lock()
			e.jobsActive--
			if e.jobsActive == 0 {
				close(e.jobsIdle)
			}
			e.jobMu.Unlock()
		}()
		rec, code, msg := e.runJob(e.jobCtx, j)
		e.finishJob(j.ID, rec, code, msg)
	}()
	return true
}

// WaitIdle blocks until no upload-by-URL job is running, or ctx is done.
// Tests call it after submitting a job to see its final status without
// polling in a loop.
func (e *Emulator) WaitIdle(ctx context.Context) error {
	for {
		e.jobMu.Lock()
		if e.jobsActive == 0 {
			e.jobMu.Unlock()
			return nil
		}
		idle := e.jobsIdle
		e.jobMu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// finishJob records a job's outcome: rec (the new media) on success, else
// the detail code and message.
func (e *Emulator) finishJob(id string, rec *mediaRec, code int, msg string) {
	e.mu.Lock()
	j := e.st.Jobs[id]
	if j != nil {
		if rec != nil {
			rec.Seq = e.nextSeq()
			e.st.Media[rec.ID] = rec
			e.indexAdd(rec)
			j.Status, j.MediaID, j.Created = jobDone, rec.ID, rec.Created
		} else {
			j.Status, j.Code, j.Msg = jobFailed, code, msg
		}
		e.touch()
	}
	e.mu.Unlock()
	if j == nil && rec != nil {
		_ = e.blobs.remove(rec.Blob)
	}
	e.log.Info("emulator: upload-by-url job finished", "jobid", id, "errcode", code)
	e.persist()
}

// runJob downloads the job's URL with Range requests of jobChunk bytes,
// checking Range support (830001), size (45001), format for videos
// (CodeJobNotMP4), download errors (830003) and md5 (301019). It holds no
// emulator lock while downloading.
func (e *Emulator) runJob(ctx context.Context, j jobRec) (*mediaRec, int, string) {
	u, err := url.Parse(j.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, codeJobBadURL, message(codeJobBadURL)
	}
	client := e.cfg.jobClient
	// The first chunk tells whether Range works and how big the file is.
	body, total, code, msg := fetchRange(ctx, client, j.URL, 0, jobChunk)
	if code != 0 {
		return nil, code, msg
	}
	if total < jobMinSize || total > jobMaxSize {
		body.Close()
		return nil, codeTooLarge, fmt.Sprintf("file size %d is outside 6 B..200 MB", total)
	}
	w, err := e.blobs.create()
	if err != nil {
		body.Close()
		return nil, codeJobDownload, "storage error"
	}
	var head []byte
	h5, h256 := md5.New(), sha256.New()
	dst := io.MultiWriter(w, h5, h256, &headWriter{b: &head})
	var got int64
	for {
		n, err := io.Copy(dst, body)
		body.Close()
		got += n
		if err != nil {
			w.abort()
			return nil, codeJobDownload, "download failed: " + err.Error()
		}
		if got >= total {
			break
		}
		if ctx.Err() != nil {
			w.abort()
			return nil, codeJobDownload, "download interrupted"
		}
		var t int64
		body, t, code, msg = fetchRange(ctx, client, j.URL, got, min(jobChunk, total-got))
		if code == 0 && t != total {
			body.Close()
			code, msg = codeJobDownload, "the file changed during the download"
		}
		if code != 0 {
			w.abort()
			if code == codeJobBadURL {
				code = codeJobDownload
			}
			return nil, code, msg
		}
	}
	if got != total {
		w.abort()
		return nil, codeJobDownload, "short download"
	}
	if j.Type == "video" && detectFormat(head) != fmtMP4 {
		w.abort()
		return nil, CodeJobNotMP4, "video must be MP4"
	}
	sum := hex.EncodeToString(h5.Sum(nil))
	if !strings.EqualFold(sum, j.MD5) {
		w.abort()
		return nil, codeJobMD5, message(codeJobMD5)
	}
	key, err := w.commit()
	if err != nil {
		return nil, codeJobDownload, "storage error"
	}
	now := e.clock.Now()
	ext, ct := typeOf(detectFormat(head), j.Filename)
	return &mediaRec{
		ID: newMediaID(WeCom), Platform: WeCom, Owner: j.Corp, Family: familyTemporary, Kind: j.Type,
		Name: j.Filename, Ext: ext, ContentType: ct, Size: total, SHA256: hex.EncodeToString(h256.Sum(nil)), MD5: sum,
		Blob: key, Created: now, Expires: now.Add(temporaryLife), FromURL: true,
	}, 0, ""
}

// fetchRange GETs bytes [off, off+n) of url and returns the body (exactly
// those bytes), the file's total size from Content-Range, or a detail code:
// 830001 when the server ignores Range, 830003 for any other failure.
func fetchRange(ctx context.Context, client *http.Client, rawURL string, off, n int64) (io.ReadCloser, int64, int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, codeJobBadURL, message(codeJobBadURL)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold a signature; keep it out of the detail
		}
		return nil, 0, codeJobDownload, "download failed: " + err.Error()
	}
	fail := func(code int, msg string) (io.ReadCloser, int64, int, string) {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		return nil, 0, code, msg
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return fail(codeJobBadURL, "the url does not support Range")
	case resp.StatusCode != http.StatusPartialContent:
		return fail(codeJobDownload, "download failed: HTTP "+strconv.Itoa(resp.StatusCode))
	}
	first, last, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if !ok || first != off || last-first+1 > n || total <= 0 || (last+1 < off+n && last+1 != total) {
		return fail(codeJobDownload, "bad Content-Range")
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, last-first+1), resp.Body}, total, 0, ""
}

// parseContentRange parses "bytes first-last/total".
func parseContentRange(s string) (first, last, total int64, ok bool) {
	s, ok = strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, 0, false
	}
	r, t, ok1 := strings.Cut(s, "/")
	a, b, ok2 := strings.Cut(r, "-")
	if !ok1 || !ok2 {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = strconv.ParseInt(a, 10, 64)
	last, err2 = strconv.ParseInt(b, 10, 64)
	total, err3 = strconv.ParseInt(t, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || last < first {
		return 0, 0, 0, false
	}
	return first, last, total, true
}

// uploadByURLResult serves WeCom POST cgi-bin/media/get_upload_by_url_result.
func (c *call) uploadByURLResult() {
	p, ok := c.auth()
	if !ok {
		return
	}
	var req struct {
		JobID string `json:"jobid"`
	}
	if !c.readJSON(&req) {
		return
	}
	c.e.mu.Lock()
	j := c.e.st.Jobs[req.JobID]
	var jc jobRec
	found := j != nil && j.Corp == p.owner && c.now.Sub(j.Submitted) < jobLife
	if found {
		jc = *j
	}
	c.e.mu.Unlock()
	if !found {
		c.failHint(CodeJobNotFound, "invalid jobid", "unknown, another corp's, or older than 60 minutes")
		return
	}
	var detail []byte
	switch jc.Status {
	case jobDone:
		detail = object("errcode", 0, "errmsg", "ok", "media_id", jc.MediaID, "created_at", strconv.FormatInt(jc.Created.Unix(), 10))
	case jobFailed:
		detail = object("errcode", jc.Code, "errmsg", jc.Msg)
	default:
		detail = object("errcode", 0, "errmsg", "")
	}
	c.ok("status", jc.Status, "detail", detail)
}

// JobInfo is an upload-by-URL job as get_upload_by_url_result would report
// it.
type JobInfo struct {
	ID      string `json:"jobid"`
	CorpID  string `json:"corpid"`
	Status  int    `json:"status"`             // 1 processing, 2 finished, 3 failed
	Errcode int    `json:"errcode,omitempty"`  // detail.errcode when failed
	Errmsg  string `json:"errmsg,omitempty"`   // detail.errmsg when failed
	MediaID string `json:"media_id,omitempty"` // when finished
}

// Job returns the job jobID, ignoring its 60-minute life.
func (e *Emulator) Job(jobID string) (JobInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j := e.st.Jobs[jobID]
	if j == nil {
		return JobInfo{}, false
	}
	return JobInfo{ID: j.ID, CorpID: j.Corp, Status: j.Status, Errcode: j.Code, Errmsg: j.Msg, MediaID: j.MediaID}, true
}
