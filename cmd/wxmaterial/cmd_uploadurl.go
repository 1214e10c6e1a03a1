package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// uploadURLResult is the outcome of upload-url.
type uploadURLResult struct {
	JobID     string        `json:"job_id"`
	State     string        `json:"state"`
	Kind      material.Kind `json:"kind,omitempty"` // unknown for --job: the platform's answer does not say
	Name      string        `json:"name,omitempty"` // unknown for --job
	MediaID   string        `json:"media_id,omitempty"`
	CreatedAt *time.Time    `json:"created_at,omitempty"`
	ExpiresAt *time.Time    `json:"expires_at,omitempty"`
}

// runUploadURL is "wxmaterial upload-url".
func runUploadURL(ctx context.Context, a *app, args []string) error {
	fs := a.flags("upload-url")
	link := fs.String("url", "", "`URL` WeCom fetches the file from (http or https; the server must answer Range requests)")
	name := fs.String("name", "", "file `name` shown when the media is sent (default: the URL's last path element)")
	kindFlag := fs.String("kind", "", "`kind`: video (MP4) or file; default: video for a .mp4 name, else file")
	sum := fs.String("md5", "", "the file's md5 in `hex`; default: from --file, else computed by downloading the URL once")
	local := fs.String("file", "", "a local copy of the file at `PATH`, to compute the md5 from")
	job := fs.String("job", "", "do not submit: wait for the existing job `ID`")
	noWait := fs.Bool("no-wait", false, "print the job id and return without waiting")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q (the URL goes in --url)", rest[0])
	}
	if *job != "" && (*link != "" || *noWait) {
		return usagef("--job waits for a submitted job: it excludes --url and --no-wait")
	}
	nameGiven := false
	fs.Visit(func(f *flag.Flag) { nameGiven = nameGiven || f.Name == "name" })
	if nameGiven {
		if err := checkNameFlag("name", *name); err != nil {
			return err
		}
	}
	var req material.URLUpload
	if *job == "" {
		if *link == "" {
			return usagef("give --url (or --job ID to wait for a submitted job)")
		}
		if req, err = planURLUpload(*link, *name, *kindFlag); err != nil {
			return err
		}
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	up, err := b.urlUploader("upload-url")
	if err != nil {
		return err
	}
	res := uploadURLResult{JobID: *job, Kind: req.Kind, Name: req.Filename}
	if *job == "" {
		switch {
		case *sum != "":
			req.MD5 = strings.ToLower(*sum)
		case *local != "":
			if req.MD5, err = md5File(*local); err != nil {
				return err
			}
		default:
			a.infof("computing the md5 of %s by downloading it once (give --md5 or --file to skip this)", req.Filename)
			if req.MD5, err = a.md5URL(ctx, b.fetch, req.URL, req.Filename); err != nil {
				return err
			}
		}
		if req, err = req.Validate(); err != nil {
			return err
		}
		if res.JobID, err = up.UploadByURL(ctx, req); err != nil {
			return err
		}
		a.infof("job %s submitted: WeCom is fetching %s", res.JobID, req.Filename)
		if *noWait {
			res.State = material.JobProcessing.String()
			return a.emit(res, func(w io.Writer) { fmt.Fprintln(w, res.JobID) })
		}
	}
	bar := a.newBar(-1, false, "waiting for job "+res.JobID)
	stop := make(chan struct{})
	go bar.spin(stop)
	if !a.terminal {
		a.infof("waiting for job %s", res.JobID)
	}
	m, err := up.WaitUploadByURL(ctx, res.JobID)
	close(stop)
	bar.done()
	if err != nil {
		return fmt.Errorf("job %s: %w", res.JobID, err)
	}
	res.State, res.MediaID = material.JobFinished.String(), m.ID
	if res.Kind == "" {
		res.Kind = m.Kind
	}
	if !m.CreatedAt.IsZero() {
		res.CreatedAt = &m.CreatedAt
	}
	if !m.ExpiresAt.IsZero() {
		res.ExpiresAt = &m.ExpiresAt
	}
	return a.emit(res, func(w io.Writer) {
		if res.Name == "" {
			// --job: the platform names neither the file nor its kind.
			row(w, res.JobID, res.MediaID, "expires "+stampPtr(res.ExpiresAt))
			return
		}
		row(w, res.Name, string(res.Kind), res.MediaID, "expires "+stampPtr(res.ExpiresAt))
	})
}

// planURLUpload fills in a job request from the flags and checks it
// (except the md5, which may still be computed).
func planURLUpload(link, name, kindFlag string) (material.URLUpload, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return material.URLUpload{}, usagef("--url must be an http or https URL")
	}
	if name == "" {
		name = path.Base(u.Path)
		if name == "/" || name == "." || name == "" {
			return material.URLUpload{}, usagef("cannot take a file name from the URL: give --name")
		}
	}
	var kind material.Kind
	switch {
	case kindFlag != "":
		if kind, err = material.ParseKind(kindFlag); err != nil {
			return material.URLUpload{}, &usageError{err.Error()}
		}
		if kind != material.KindVideo && kind != material.KindFile {
			return material.URLUpload{}, usagef("upload by URL takes video or file, not %s", kind)
		}
	case material.FormatOfName(name) == material.FormatMP4:
		kind = material.KindVideo
	default:
		kind = material.KindFile
	}
	req := material.URLUpload{Scene: 1, Kind: kind, Filename: name, URL: link, MD5: strings.Repeat("0", material.MaxURLUploadMD5)}
	if _, err := req.Validate(); err != nil {
		return material.URLUpload{}, err
	}
	req.MD5 = ""
	return req, nil
}

// md5File returns the md5 (hex) of a local file.
func md5File(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// md5URL downloads link once to compute its md5, with a progress bar.
func (a *app) md5URL(ctx context.Context, c *http.Client, link, name string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s for its md5: %w", name, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s for its md5: %s", name, resp.Status)
	}
	bar := a.newBar(resp.ContentLength, true, "md5 of "+name)
	defer bar.done()
	h := md5.New()
	if _, err := io.Copy(h, meterReader{ctxReader{ctx, resp.Body}, bar}); err != nil {
		return "", fmt.Errorf("download %s for its md5: %w", name, unwrapURLError(err))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unwrapURLError drops the URL from a *url.Error: a signed link may carry
// credentials in its query.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// stampPtr is stamp for an optional time.
func stampPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return stamp(*t)
}
