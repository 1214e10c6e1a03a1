package material

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Sentinel errors shared by both platforms. Every error a client returns for
// a platform answer or a failed validation matches one or more of them with
// errors.Is, so code written against Service handles either backend.
var (
	ErrNotFound       = errors.New("material: not found")                    // unknown, expired or deleted media id; a temporary id given to a permanent API
	ErrInvalidSize    = errors.New("material: invalid size")                 // outside the platform's size range; ErrTooLarge, ErrTooSmall and ErrEmpty errors match it too
	ErrTooLarge       = errors.New("material: too large")                    // over a size (or voice length) limit
	ErrTooLong        = errors.New("material: too long")                     // a voice over the 60 s playback limit (45007, or measured before sending); such errors match ErrTooLarge and ErrInvalidSize too
	ErrTooSmall       = errors.New("material: too small")                    // under a minimum size (WeCom: more than 5 bytes)
	ErrEmpty          = errors.New("material: empty")                        // no bytes, or no file part at all
	ErrInvalidFormat  = errors.New("material: invalid format")               // a format the platform does not take for that kind
	ErrUnsupported    = errors.New("material: unsupported")                  // a kind or API the platform lacks (thumb on WeCom, file on the Official Account, add_news)
	ErrInvalidInput   = errors.New("material: invalid input")                // a missing or malformed argument
	ErrQuota          = errors.New("material: quota exceeded")               // a daily, monthly or library cap was reached
	ErrUnauthorized   = errors.New("material: unauthorized")                 // bad credentials or a token the platform rejects
	ErrForbidden      = errors.New("material: forbidden")                    // no permission: caller IP, unverified account, missing app permission
	ErrBusy           = errors.New("material: service busy")                 // -1, a concurrency or rate limit, HTTP 429 or 5xx: worth retrying later
	ErrChecksum       = errors.New("material: checksum mismatch")            // an upload-by-URL job found another md5
	ErrFetchFailed    = errors.New("material: source URL could not be used") // an upload-by-URL job could not download its URL
	ErrNotReplayable  = errors.New("material: body cannot be sent again")    // an upload had to be resent but its Source is one-shot
	ErrOutcomeUnknown = errors.New("material: outcome of the write unknown") // a write failed after it was sent; it may have been applied
)

// APIError is an error answered by a platform: an errcode in a JSON reply
// (HTTP 200 included) or an HTTP status. It never holds an access token or
// a secret: the URL is not part of it.
type APIError struct {
	Platform   Platform // which platform answered
	Op         string   // the endpoint, e.g. "cgi-bin/media/upload"
	Code       int      // the errcode; 0 when the failure is an HTTP status only
	Message    string   // errmsg without the rid/hint/more-info decorations
	RequestID  string   // the platform's request id from "rid: ..." (Official Account) or "hint: [...]" (WeCom)
	HTTPStatus int      // the HTTP status code of the reply
}

// Error formats the error as "<platform> <op>: errcode N: message (rid ...)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Platform.String())
	if e.Op != "" {
		b.WriteString(" ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	if e.Code != 0 {
		fmt.Fprintf(&b, "errcode %d", e.Code)
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	} else {
		fmt.Fprintf(&b, "HTTP %d %s", e.HTTPStatus, http.StatusText(e.HTTPStatus))
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	}
	if e.RequestID != "" {
		b.WriteString(" (rid ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether the platform's code (or HTTP status) means target,
// one of the sentinel errors of this package.
func (e *APIError) Is(target error) bool {
	for _, s := range e.info().errs {
		if s == target {
			return true
		}
	}
	return false
}

// Retryable reports whether the platform asked to try again later: -1
// (busy), a per-minute or concurrency limit, HTTP 429 or 5xx.
func (e *APIError) Retryable() bool { return e.info().retry }

// TokenRejected reports whether the platform rejected the access token the
// call carried (40001, 40014, 42001): a new token fixes it.
func (e *APIError) TokenRejected() bool { return e.info().token }

func (e *APIError) info() codeInfo {
	if e.Code != 0 {
		return lookupCode(e.Platform, e.Code)
	}
	return statusInfo(e.HTTPStatus)
}

// ParseErrmsg splits a platform errmsg into its message and request id.
// The Official Account appends " rid: xxxxxxxx-xxxxxxxx-xxxxxxxx" (and
// sometimes " hint: [...]"); WeCom appends ", hint: [...], from ip: ...,
// more info at https://...".
func ParseErrmsg(errmsg string) (message, requestID string) {
	msg := errmsg
	if i := strings.Index(msg, " rid: "); i >= 0 {
		requestID = strings.TrimSpace(msg[i+len(" rid: "):])
		if j := strings.IndexAny(requestID, " ,"); j >= 0 {
			requestID = requestID[:j]
		}
		msg = msg[:i]
	}
	if i := strings.Index(msg, "hint: ["); i >= 0 {
		if requestID == "" {
			rest := msg[i+len("hint: ["):]
			if j := strings.IndexByte(rest, ']'); j >= 0 {
				requestID = rest[:j]
			}
		}
		msg = msg[:i]
	}
	for _, cut := range []string{", from ip:", " from ip:", ", more info at", " more info at"} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = msg[:i]
		}
	}
	msg = strings.TrimRight(strings.TrimSpace(msg), ",;")
	return msg, requestID
}

// ValidationError is an input refused before anything was sent: it names the
// file, the platform's limit it breaks and where the limit comes from.
type ValidationError struct {
	Platform Platform // the platform whose rule was applied, if any
	API      API      // the upload API, if any
	Kind     Kind     // the kind, if any
	Name     string   // the file name, if any
	Field    string   // what was checked: "kind", "name", "size", "format", "url", ...
	Value    string   // the offending value, when short and not secret
	Problem  string   // what is wrong, naming the limit
	Err      []error  // the sentinels it matches
}

// Error formats the error as "<context>: <problem>", the context naming
// the platform, API, kind, file and value the rule applies to (each once;
// the problem does not repeat them): "WeCom temporary voice "a.amr":
// 2.5 MB (2621440 bytes) is over the 2 MB (2097152 bytes) limit". The
// package or client that returns it adds its own prefix.
func (e *ValidationError) Error() string {
	var ctx []string
	if e.Platform != "" {
		ctx = append(ctx, e.Platform.String())
	}
	if e.API != "" {
		ctx = append(ctx, string(e.API))
	}
	if e.Kind != "" {
		ctx = append(ctx, string(e.Kind))
	}
	if e.Name != "" {
		ctx = append(ctx, strconv.Quote(e.Name))
	}
	if e.Value != "" && e.Field != "" {
		ctx = append(ctx, fmt.Sprintf("%s %q", e.Field, e.Value))
	}
	if len(ctx) == 0 {
		return e.Problem
	}
	return strings.Join(ctx, " ") + ": " + e.Problem
}

// Unwrap returns the sentinels the error matches.
func (e *ValidationError) Unwrap() []error { return e.Err }
