package work

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wxmaterial/wxmaterial/internal/poll"
	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// CodeJobNotFound is the errcode get_upload_by_url_result answers for a job
// id it does not know (never issued, another corp's, or older than 60
// minutes): "invalid parameter". The client reports it as
// material.ErrNotFound, since the id was checked before sending.
const CodeJobNotFound = 40058

// UploadByURL submits an asynchronous job in which WeCom downloads req.URL
// (video as MP4 or file, more than 5 bytes and at most 200 MB; the server
// must answer Range requests) and checks it against req.MD5 (see MD5File).
// It returns the job id, valid 60 minutes: follow it with UploadByURLResult
// or WaitUploadByURL. The request is checked with URLUpload.Validate before
// anything is sent; scene 0 means 1, the only scene the platform takes
// (customer-contact group welcome material). The agent needs the
// customer-contact permission.
//
// The resulting media id works with media/get (Download) and the welcome
// material APIs, for three days.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/96219
func (c *Client) UploadByURL(ctx context.Context, req material.URLUpload) (string, error) {
	const op = "upload by url"
	req, err := req.Validate()
	if err != nil {
		return "", c.c.Wrap(op, err)
	}
	body := struct {
		Scene    int    `json:"scene"`
		Type     string `json:"type"`
		Filename string `json:"filename"`
		URL      string `json:"url"`
		MD5      string `json:"md5"`
	}{req.Scene, string(req.Kind), req.Filename, req.URL, req.MD5}
	var out jobReply
	err = c.c.Do(ctx, op, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/upload_by_url", JSON: body, Write: true}, &out)
	if err != nil {
		return "", c.c.Wrap(op, err)
	}
	c.remember(out.JobID, req.Kind)
	return out.JobID, nil
}

// jobReply is upload_by_url's answer.
type jobReply struct {
	JobID string `json:"jobid"`
}

// Missing tells the transport that a reply without jobid is no answer: the
// job may have been submitted all the same.
func (r *jobReply) Missing() string {
	if r.JobID == "" {
		return "jobid"
	}
	return ""
}

// remember notes the kind of a submitted job, and forgets jobs the
// platform has forgotten.
func (c *Client) remember(id string, kind material.Kind) {
	now := c.c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.jobs {
		if now.Sub(s.at) > material.JobLifetime+time.Minute {
			delete(c.jobs, k)
		}
	}
	c.jobs[id] = submitted{kind: kind, at: now}
}

func (c *Client) kindOf(id string) material.Kind {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jobs[id].kind
}

// UploadByURLResult asks once for the state of a job: processing, finished
// (Job.Media holds the media id, valid three days) or failed (Job.Err holds
// the *material.JobError). A job id that is unknown or older than 60
// minutes is an error matching material.ErrNotFound. A reply without
// status is an error, never a job in no state.
//
// The platform's reply does not say the media's kind: Job.Media.Kind is the
// kind given to UploadByURL on this Client, or "" for a job submitted
// elsewhere.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/96219
func (c *Client) UploadByURLResult(ctx context.Context, jobID string) (material.Job, error) {
	const op = "upload by url result"
	job, err := c.jobResult(ctx, op, jobID)
	return job, c.c.Wrap(op, err)
}

// jobResult is UploadByURLResult as the operation op, its error not
// wrapped.
func (c *Client) jobResult(ctx context.Context, op, jobID string) (material.Job, error) {
	problem := ""
	switch {
	case jobID == "" || len(jobID) > material.MaxJobIDLen:
		problem = fmt.Sprintf("job id must be 1 to %d bytes, got %d", material.MaxJobIDLen, len(jobID))
	case !utf8.ValidString(jobID) || strings.IndexFunc(jobID, unicode.IsControl) >= 0:
		problem = "the job id is not valid UTF-8 or holds a control character"
	}
	if problem != "" {
		return material.Job{}, &material.ValidationError{
			Platform: material.WeCom, API: material.APIUploadByURL, Field: "jobid",
			Problem: problem, Err: []error{material.ErrInvalidInput}}
	}
	var out jobResult
	err := c.c.Do(ctx, op, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/media/get_upload_by_url_result",
		JSON: map[string]string{"jobid": jobID}}, &out)
	if err != nil {
		var apiErr *material.APIError
		if errors.As(err, &apiErr) && apiErr.Code == CodeJobNotFound {
			err = fmt.Errorf("job %s: %w (%w: unknown job, or submitted more than %v ago)", jobID, err, material.ErrNotFound, material.JobLifetime)
		}
		return material.Job{}, err
	}
	job := material.Job{ID: jobID, State: material.JobState(*out.Status)}
	switch job.State {
	case material.JobProcessing:
	case material.JobFinished:
		if out.Detail.MediaID == "" {
			return material.Job{}, fmt.Errorf("job %s finished without a media_id", jobID)
		}
		job.Media = material.TemporaryMedia(out.Detail.MediaID, c.kindOf(jobID), out.Detail.CreatedAt.Or(c.c.Now))
	case material.JobFailed:
		msg, _ := material.ParseErrmsg(out.Detail.Errmsg)
		job.Err = &material.JobError{JobID: jobID, Code: out.Detail.Errcode, Message: c.c.T.Snippet([]byte(msg))}
	default:
		return material.Job{}, fmt.Errorf("job %s has an unknown status %d", jobID, int(*out.Status))
	}
	return job, nil
}

// jobResult is get_upload_by_url_result's answer.
type jobResult struct {
	Status *wire.Int `json:"status"`
	Detail struct {
		Errcode   int       `json:"errcode"`
		Errmsg    string    `json:"errmsg"`
		MediaID   string    `json:"media_id"`
		CreatedAt wire.Time `json:"created_at"`
	} `json:"detail"`
}

// Missing tells the transport that a reply without status says nothing of
// the job: not "processing", not anything.
func (r *jobResult) Missing() string {
	if r.Status == nil {
		return "status"
	}
	return ""
}

// WaitUploadByURL waits for a job in the manner of aws-sdk-go-v2's waiters:
// it polls UploadByURLResult at once, then after a delay that starts at the
// minimum of WithWait (default 1 s) and grows exponentially, with jitter, to
// the maximum (default 30 s), until the job finishes, fails or ctx ends.
// Bound the wait with ctx (context.WithTimeout); cancelling it returns
// promptly with its error and leaves nothing running.
//
// It returns the media the job produced, or a *material.JobError for a
// failed job, matching material.ErrFetchFailed (830001, 830003),
// material.ErrTooLarge or material.ErrInvalidSize (45001) or
// material.ErrChecksum (301019). An unknown or expired job is an error
// matching material.ErrNotFound. A poll that finds the platform busy
// (material.ErrBusy, after the client's retries) does not end the wait;
// any other error does. Tokens that expire or are revoked during a long wait
// are refreshed by the client as on every call.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/96219
func (c *Client) WaitUploadByURL(ctx context.Context, jobID string) (material.Media, error) {
	const op = "wait for upload by url"
	job, err := poll.Wait(ctx, c.wait,
		func(ctx context.Context) (material.Job, error) { return c.jobResult(ctx, op, jobID) },
		func(j material.Job, err error) (bool, error) {
			switch {
			case err != nil:
				return errors.Is(err, material.ErrBusy) && ctx.Err() == nil, err
			case j.State == material.JobProcessing:
				return true, nil
			case j.State == material.JobFailed:
				return false, j.Err
			}
			return false, nil
		})
	if err != nil {
		var je *material.JobError
		if errors.As(err, &je) {
			return material.Media{}, je
		}
		return material.Media{}, c.c.Wrap(op, err)
	}
	return job.Media, nil
}

// MD5File returns the lowercase hex MD5 of the file at path, as
// UploadByURL's URLUpload.MD5 wants it. The file is streamed, never read
// into memory whole.
func MD5File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("work: md5: %w", err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("work: md5 of %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
