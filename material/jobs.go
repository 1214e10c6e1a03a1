package material

import (
	"fmt"
	"net/url"
	"time"
)

// URLUpload is a WeCom upload-by-URL job request.
type URLUpload struct {
	Scene    int    // 1, customer-contact group welcome material: the only scene the platform takes; 0 means 1
	Kind     Kind   // KindVideo (MP4) or KindFile
	Filename string // the name shown when the media is sent, at most 128 bytes: a base name (no folder part), not "", "." or ".."
	URL      string // http or https, at most 1024 bytes, without user info (the platform would show the credentials in its logs); the server must answer Range requests
	MD5      string // lowercase hex md5 of the file (32 characters); the platform compares it
}

// Limits of the upload-by-URL request fields, in bytes (docs/wire.md §5.5).
const (
	MaxURLUploadFilename = 128
	MaxURLUploadURL      = 1024
	MaxURLUploadMD5      = 32
	MaxURLUploadSize     = 200 << 20
	// MaxJobIDLen is the longest job id the platform issues.
	MaxJobIDLen = 128
	// JobLifetime is how long the platform remembers a job after submission.
	JobLifetime = 60 * time.Minute
)

// Validate checks a request against the platform's rules and returns it
// with the defaults filled in (Scene 1).
func (u URLUpload) Validate() (URLUpload, error) {
	bad := func(field, problem string, errs ...error) (URLUpload, error) {
		return u, &ValidationError{Platform: WeCom, API: APIUploadByURL, Kind: u.Kind, Name: u.Filename, Field: field, Problem: problem, Err: errs}
	}
	if u.Scene == 0 {
		u.Scene = 1
	}
	switch {
	case u.Scene != 1:
		return bad("scene", fmt.Sprintf("scene %d is not accepted: the platform takes only scene 1 (customer-contact welcome material)", u.Scene), ErrInvalidInput)
	case u.Kind != KindVideo && u.Kind != KindFile:
		return bad("kind", fmt.Sprintf("kind %q cannot be uploaded by URL: only video (MP4) and file", u.Kind), ErrUnsupported)
	case nameProblem(baseName(u.Filename)) != "":
		return bad("filename", nameProblem(baseName(u.Filename)), ErrInvalidInput)
	case baseName(u.Filename) != u.Filename:
		return bad("filename", fmt.Sprintf("the file name %q has a folder part: the platform takes a base name, such as %q", u.Filename, baseName(u.Filename)), ErrInvalidInput)
	case len(u.Filename) > MaxURLUploadFilename:
		return bad("filename", fmt.Sprintf("file name is %d bytes, over the %d-byte limit", len(u.Filename), MaxURLUploadFilename), ErrInvalidInput)
	case u.URL == "":
		return bad("url", "missing URL", ErrInvalidInput)
	case len(u.URL) > MaxURLUploadURL:
		return bad("url", fmt.Sprintf("URL is %d bytes, over the %d-byte limit", len(u.URL), MaxURLUploadURL), ErrInvalidInput)
	case len(u.MD5) != MaxURLUploadMD5 || !isHex(u.MD5):
		return bad("md5", fmt.Sprintf("md5 must be %d hexadecimal characters, got %d characters", MaxURLUploadMD5, len(u.MD5)), ErrInvalidInput)
	}
	if p, err := url.Parse(u.URL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return bad("url", "URL must be an absolute http or https URL", ErrInvalidInput)
	} else if p.User != nil {
		return bad("url", "the URL holds user info (user:password@host): the platform would be handed the credentials and show them in its logs; give a URL that needs none (a signed, expiring link)", ErrInvalidInput)
	}
	return u, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// JobState is the state of an upload-by-URL job.
type JobState int

// Job states, with the platform's numbers.
const (
	JobProcessing JobState = 1
	JobFinished   JobState = 2
	JobFailed     JobState = 3
)

// String names the state.
func (s JobState) String() string {
	switch s {
	case JobProcessing:
		return "processing"
	case JobFinished:
		return "finished"
	case JobFailed:
		return "failed"
	}
	return fmt.Sprintf("JobState(%d)", int(s))
}

// Job is the state of an upload-by-URL job.
type Job struct {
	ID    string
	State JobState
	Media Media     // the result, when State is JobFinished
	Err   *JobError // the failure, when State is JobFailed
}

// JobError is an upload-by-URL job that failed: the platform's detail code
// (830001 bad URL or no Range support, 830003 download failed, 45001 size
// outside 5 B to 200 MB, 301019 md5 mismatch) with the matching sentinels.
type JobError struct {
	JobID string
	Code  int
	// Message is the detail errmsg without decorations.
	Message string
}

// Error formats the failure.
func (e *JobError) Error() string {
	return fmt.Sprintf("WeCom upload_by_url job %s failed: errcode %d: %s", e.JobID, e.Code, e.Message)
}

// Unwrap returns the sentinels the detail code matches.
func (e *JobError) Unwrap() []error { return lookupCode(WeCom, e.Code).errs }
