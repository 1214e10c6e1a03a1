package materialtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// jobTimeout bounds every wait for a job, so that a broken implementation
// fails the suite instead of hanging it.
const jobTimeout = 30 * time.Second

func (s *suite) urlUploader(t tb) {
	if s.p != material.WeCom {
		s.lacksURLUploader(t)
		return
	}
	if _, ok := s.env(t).Service.(material.URLUploader); !ok {
		t.Skipf("the implementation is not a material.URLUploader: upload by URL is not tested")
	}
	t.Run("Success", s.jobSuccess)
	t.Run("InvalidRequest", s.jobInvalidRequest)
	t.Run("NoRange", s.jobNoRange)
	t.Run("FetchFailed", s.jobFetchFailed)
	t.Run("Checksum", s.jobChecksum)
	t.Run("TooSmall", s.jobTooSmall)
	t.Run("UnknownJob", s.unknownJob)
	t.Run("Expiry", s.jobExpiry)
	t.Run("WaitContext", s.waitContext)
}

// uploader starts a fresh implementation and returns its URLUploader.
func (s *suite) uploader(t tb) (Env, material.URLUploader) {
	t.Helper()
	e := s.env(t)
	u, ok := e.Service.(material.URLUploader)
	if !ok {
		t.Fatalf("%T is not a material.URLUploader", e.Service)
	}
	return e, u
}

// request is an upload of data served by h, with data's md5.
func (s *suite) request(t tb, k material.Kind, name string, data []byte, h http.Handler) material.URLUpload {
	t.Helper()
	sum := md5.Sum(data)
	return material.URLUpload{Kind: k, Filename: name, URL: s.serve(t, h) + "/" + name, MD5: hex.EncodeToString(sum[:])}
}

// ranges serves data with Range support.
func ranges(name string, data []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	})
}

// noRanges serves data whole, ignoring Range.
func noRanges(data []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	})
}

// truncating answers Range requests, but breaks every body longer than a
// byte off halfway: a probe of the first byte works, a download fails.
func truncating(name string, data []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(&cutWriter{ResponseWriter: w, left: len(data) / 2}, r, name, time.Time{}, bytes.NewReader(data))
	})
}

// cutWriter drops what is written past left bytes; the server then closes
// the connection short of the Content-Length it announced.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	n := min(len(p), c.left)
	c.left -= n
	if _, err := c.ResponseWriter.Write(p[:n]); err != nil || n < len(p) {
		return n, errors.New("materialtest: body cut off")
	}
	return n, nil
}

// jobSuccess uploads a video and a file by URL, then downloads them.
func (s *suite) jobSuccess(t tb) {
	e, u := s.uploader(t)
	for i, k := range []material.Kind{material.KindVideo, material.KindFile} {
		t.Run(string(k), func(t tb) {
			name, data := sample(k, i+1)
			id, err := u.UploadByURL(t.Context(), s.request(t, k, name, data, ranges(name, data)))
			if err != nil {
				t.Fatalf("UploadByURL(%s): %v", k, err)
			}
			if id == "" || len(id) > material.MaxJobIDLen {
				t.Errorf("UploadByURL(%s) = job id %q, want 1 to %d bytes", k, id, material.MaxJobIDLen)
			}
			ctx, cancel := context.WithTimeout(t.Context(), jobTimeout)
			defer cancel()
			m, err := u.WaitUploadByURL(ctx, id)
			if err != nil {
				t.Fatalf("WaitUploadByURL(%s): %v", k, err)
			}
			checkTemporaryMedia(t, fmt.Sprintf("WaitUploadByURL(%s)", k), m, k)
			c, err := e.Service.Download(t.Context(), m.ID)
			if err != nil {
				t.Fatalf("Download(%s from a job): %v", k, err)
			}
			sameBytes(t, fmt.Sprintf("Download(%s from a job)", k), readContent(t, "Download", c), data)
			j, err := u.UploadByURLResult(t.Context(), id)
			if err != nil || j.State != material.JobFinished || j.Media.ID != m.ID || j.Err != nil {
				t.Errorf("UploadByURLResult after the wait = %+v, %v; want finished with media %q", j, err, m.ID)
			}
		})
	}
}

// jobInvalidRequest submits requests a client refuses before sending.
func (s *suite) jobInvalidRequest(t tb) {
	_, u := s.uploader(t)
	name, data := sample(material.KindFile, 0)
	good := s.request(t, material.KindFile, name, data, ranges(name, data))
	for _, tc := range []struct {
		name   string
		change func(r *material.URLUpload)
		want   error
	}{
		{name: "image", change: func(r *material.URLUpload) { r.Kind = material.KindImage }, want: material.ErrUnsupported},
		{name: "short md5", change: func(r *material.URLUpload) { r.MD5 = "abc" }, want: material.ErrInvalidInput},
		{name: "ftp URL", change: func(r *material.URLUpload) { r.URL = "ftp://example.com/a.bin" }, want: material.ErrInvalidInput},
		{name: "scene 2", change: func(r *material.URLUpload) { r.Scene = 2 }, want: material.ErrInvalidInput},
	} {
		req := good
		tc.change(&req)
		_, err := u.UploadByURL(t.Context(), req)
		wantErr(t, "UploadByURL("+tc.name+")", err, tc.want)
	}
}

// failedJob submits req and checks the job fails with code.
func (s *suite) failedJob(t tb, req material.URLUpload, code int, sentinels ...error) {
	t.Helper()
	_, u := s.uploader(t)
	id, err := u.UploadByURL(t.Context(), req)
	if err != nil {
		t.Fatalf("UploadByURL: %v (the job must be accepted, then fail)", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), jobTimeout)
	defer cancel()
	_, err = u.WaitUploadByURL(ctx, id)
	wantErr(t, "WaitUploadByURL", err, sentinels...)
	var je *material.JobError
	if !errors.As(err, &je) {
		t.Fatalf("WaitUploadByURL: err = %v, want a *material.JobError", err)
	}
	if je.Code != code || je.JobID != id {
		t.Errorf("WaitUploadByURL: JobError code %d for job %q, want %d for %q", je.Code, je.JobID, code, id)
	}
	j, err := u.UploadByURLResult(t.Context(), id)
	if err != nil || j.State != material.JobFailed || j.Err == nil || j.Err.Code != code {
		t.Errorf("UploadByURLResult of the failed job = %+v, %v; want failed with code %d", j, err, code)
	}
}

func (s *suite) jobNoRange(t tb) {
	name, data := sample(material.KindFile, 0)
	s.failedJob(t, s.request(t, material.KindFile, name, data, noRanges(data)), 830001, material.ErrFetchFailed)
}

func (s *suite) jobFetchFailed(t tb) {
	name, data := sample(material.KindFile, 0)
	s.failedJob(t, s.request(t, material.KindFile, name, data, truncating(name, data)), 830003, material.ErrFetchFailed)
}

func (s *suite) jobChecksum(t tb) {
	name, data := sample(material.KindFile, 0)
	req := s.request(t, material.KindFile, name, data, ranges(name, data))
	sum := md5.Sum([]byte("other bytes"))
	req.MD5 = hex.EncodeToString(sum[:])
	s.failedJob(t, req, 301019, material.ErrChecksum)
}

func (s *suite) jobTooSmall(t tb) {
	data := []byte("12345")
	s.failedJob(t, s.request(t, material.KindFile, "five.txt", data, ranges("five.txt", data)), 45001, material.ErrInvalidSize)
}

// unknownJob asks about a job never submitted.
func (s *suite) unknownJob(t tb) {
	_, u := s.uploader(t)
	const id = "materialtest-no-such-job"
	_, err := u.UploadByURLResult(t.Context(), id)
	wantErr(t, "UploadByURLResult(unknown job)", err, material.ErrNotFound)
	_, err = u.WaitUploadByURL(t.Context(), id)
	wantErr(t, "WaitUploadByURL(unknown job)", err, material.ErrNotFound)
}

// jobExpiry checks that a job is forgotten after an hour, and its media
// is not.
func (s *suite) jobExpiry(t tb) {
	e, u := s.uploader(t)
	if e.Advance == nil {
		t.Skip("Env.Advance is nil: the implementation's clock cannot be moved")
	}
	name, data := sample(material.KindFile, 0)
	id, err := u.UploadByURL(t.Context(), s.request(t, material.KindFile, name, data, ranges(name, data)))
	if err != nil {
		t.Fatalf("UploadByURL: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), jobTimeout)
	defer cancel()
	m, err := u.WaitUploadByURL(ctx, id)
	if err != nil {
		t.Fatalf("WaitUploadByURL: %v", err)
	}
	e.Advance(material.JobLifetime + time.Minute)
	_, err = u.UploadByURLResult(t.Context(), id)
	wantErr(t, "UploadByURLResult an hour after submission", err, material.ErrNotFound)
	c, err := e.Service.Download(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Download of the job's media an hour later: %v", err)
	}
	sameBytes(t, "Download", readContent(t, "Download", c), data)
}

// waitContext waits for a job whose URL never answers: the wait ends with
// its context.
func (s *suite) waitContext(t tb) {
	_, u := s.uploader(t)
	release := make(chan struct{})
	name, data := sample(material.KindFile, 0)
	req := s.request(t, material.KindFile, name, data, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // before the server closes
	id, err := u.UploadByURL(t.Context(), req)
	if err != nil {
		t.Fatalf("UploadByURL: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = u.WaitUploadByURL(ctx, id)
	wantErr(t, "WaitUploadByURL(a job that never ends, 100ms)", err, context.DeadlineExceeded)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("WaitUploadByURL returned %v after its context ended", d)
	}
}
