package materialtest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// job is an upload-by-URL job.
type job struct {
	req       material.URLUpload
	submitted time.Time
	polls     int           // JobProcessing answers left before the job runs
	run       chan struct{} // a token: whoever holds it runs the job

	// Guarded by Fake.mu.
	state material.JobState
	media material.Media
	err   *material.JobError
}

// UploadByURL checks req with material.URLUpload.Validate and submits a
// job. The job does nothing until it is polled: the first
// UploadByURLResult (after the WithJobPolls answers) or WaitUploadByURL
// fetches the URL, as WeCom does, and finishes or fails. Jobs are
// forgotten 60 minutes (material.JobLifetime) after submission.
func (f *Fake) UploadByURL(ctx context.Context, req material.URLUpload) (jobID string, err error) {
	c := f.call("UploadByURL")
	c.Kind, c.Name, c.URL = req.Kind, req.Filename, req.URL
	defer func() { c.JobID = jobID; f.done(c, err) }()

	if f.platform != material.WeCom {
		return "", wrap("upload by URL", f.lacks(material.APIUploadByURL, "upload by URL"))
	}
	req, err = req.Validate()
	if err != nil {
		return "", wrap("upload by URL", err)
	}
	if err := f.reach(ctx, c); err != nil {
		return "", wrap("upload by URL", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.newID("fake-job-%d")
	f.jobs[id] = &job{req: req, submitted: f.now(), polls: f.jobPolls, run: make(chan struct{}, 1), state: material.JobProcessing}
	return id, nil
}

// UploadByURLResult answers a job's state. While the job has not run, the
// call runs it with ctx: the URL is probed with "Range: bytes=0-0" (no 206
// answer: 830001), downloaded (failure: 830003), its size checked (outside
// 6 bytes to 200 MB: 45001) and its md5 compared (301019); a video must be
// MP4 (40004). Success stores temporary media as Upload does. An unknown or
// expired job is errcode 40007 (material.ErrNotFound).
func (f *Fake) UploadByURLResult(ctx context.Context, jobID string) (j material.Job, err error) {
	c := f.call("UploadByURLResult")
	c.JobID = jobID
	defer func() { f.done(c, err) }()

	jb, err := f.findJob(ctx, c, opUploadResult)
	if err != nil {
		return material.Job{}, wrap("upload by URL result", err)
	}
	f.mu.Lock()
	if jb.state == material.JobProcessing && jb.polls > 0 {
		jb.polls--
		f.mu.Unlock()
		return material.Job{ID: jobID, State: material.JobProcessing}, nil
	}
	f.mu.Unlock()
	j, err = f.runJob(ctx, jobID, jb)
	return j, wrap("upload by URL result", err)
}

// WaitUploadByURL runs the job if it has not run yet, with ctx, and
// returns its media, or its *material.JobError. It does not wait for the
// WithJobPolls answers.
func (f *Fake) WaitUploadByURL(ctx context.Context, jobID string) (m material.Media, err error) {
	c := f.call("WaitUploadByURL")
	c.JobID = jobID
	defer func() { c.MediaID = m.ID; f.done(c, err) }()

	jb, err := f.findJob(ctx, c, opUploadResult)
	if err != nil {
		return material.Media{}, wrap("wait upload by URL", err)
	}
	j, err := f.runJob(ctx, jobID, jb)
	switch {
	case err != nil:
		return material.Media{}, wrap("wait upload by URL", err)
	case j.Err != nil:
		return material.Media{}, wrap("wait upload by URL", j.Err)
	}
	return j.Media, nil
}

// findJob looks up a live job for a call, after the reactors.
func (f *Fake) findJob(ctx context.Context, c Call, op string) (*job, error) {
	if f.platform != material.WeCom {
		return nil, f.lacks(material.APIUploadByURL, "upload by URL")
	}
	if c.JobID == "" {
		return nil, f.missing("jobid")
	}
	if err := f.reach(ctx, c); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	jb := f.jobs[c.JobID]
	if jb == nil {
		return nil, f.apiError(op, 40007, "invalid jobid")
	}
	if !f.now().Before(jb.submitted.Add(material.JobLifetime)) {
		delete(f.jobs, c.JobID)
		return nil, f.apiError(op, 40007, "invalid jobid: expired")
	}
	return jb, nil
}

// runJob runs a processing job once (concurrent callers wait for the one
// running it, or for their ctx) and returns its state.
func (f *Fake) runJob(ctx context.Context, id string, jb *job) (material.Job, error) {
	select {
	case jb.run <- struct{}{}:
	case <-ctx.Done():
		return material.Job{}, ctx.Err()
	}
	defer func() { <-jb.run }()

	f.mu.Lock()
	done := jb.state != material.JobProcessing
	f.mu.Unlock()
	if !done {
		data, code, msg, err := f.fetch(ctx, jb.req)
		if err != nil {
			return material.Job{}, err
		}
		f.mu.Lock()
		if code != 0 {
			jb.state, jb.err = material.JobFailed, &material.JobError{JobID: id, Code: code, Message: msg}
		} else {
			s := &stored{id: f.newID("fake-%s-%d", jb.req.Kind), kind: jb.req.Kind, name: jb.req.Filename, data: data, created: f.createdAt()}
			s.contentType = material.DetectFormat(data).MIMEType()
			if s.contentType == "" {
				s.contentType = material.FromBytes(s.name, data).ContentType()
			}
			f.temp[s.id] = s
			jb.state = material.JobFinished
			jb.media = material.TemporaryMedia(s.id, s.kind, s.created)
		}
		f.mu.Unlock()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return material.Job{ID: id, State: jb.state, Media: jb.media, Err: jb.err}, nil
}

// fetch does what WeCom does with an upload-by-URL request. It returns the
// file, or the detail errcode and errmsg of a failed job; err only when ctx
// ended.
func (f *Fake) fetch(ctx context.Context, req material.URLUpload) (data []byte, code int, msg string, err error) {
	const minSize, maxSize = 6, material.MaxURLUploadSize
	get := func(rangeHeader string) (*http.Response, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
		if err != nil {
			return nil, err
		}
		if rangeHeader != "" {
			r.Header.Set("Range", rangeHeader)
		}
		return f.client.Do(r)
	}
	failed := func(e error) ([]byte, int, string, error) {
		if ctx.Err() != nil {
			return nil, 0, "", ctx.Err()
		}
		return nil, 830003, "downloading the url failed: " + errorText(e), nil
	}

	resp, err := get("bytes=0-0")
	if err != nil {
		return failed(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK:
		return nil, 830001, "url invalid: the server does not answer Range requests", nil
	default:
		return nil, 830001, fmt.Sprintf("url invalid: the server answered HTTP %d", resp.StatusCode), nil
	}
	total, known := rangeTotal(resp.Header.Get("Content-Range"))
	if known && (total < minSize || total > maxSize) {
		return nil, 45001, fmt.Sprintf("file size %d is outside 6 bytes to 200 MB", total), nil
	}

	resp, err = get("")
	if err != nil {
		return failed(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failed(fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxSize+1))
	switch n := int64(len(data)); {
	case err != nil:
		return failed(err)
	case n < minSize || n > maxSize:
		return nil, 45001, fmt.Sprintf("file size %d is outside 6 bytes to 200 MB", n), nil
	case known && n != total:
		return failed(fmt.Errorf("got %d bytes of %d", n, total))
	}
	if sum := md5.Sum(data); !strings.EqualFold(hex.EncodeToString(sum[:]), req.MD5) {
		return nil, 301019, "md5 mismatch", nil
	}
	rule, err := material.RuleFor(material.WeCom, material.APIUploadByURL, req.Kind)
	if err == nil {
		err = rule.Validate(material.FromBytes(req.Filename, data))
	}
	if err != nil {
		return nil, 40004, "invalid media file type: " + err.Error(), nil
	}
	return data, 0, "", nil
}

// rangeTotal reads the total of a "bytes 0-0/1234" Content-Range.
func rangeTotal(h string) (int64, bool) {
	_, total, ok := strings.Cut(h, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil
}

// errorText describes a fetch failure without the URL, which a *url.Error
// repeats.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
