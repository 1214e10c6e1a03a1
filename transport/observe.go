package transport

import (
	"context"
	"errors"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// Observer watches calls: metrics (counters, latency histograms), traces
// and audit logs can be built on it without a RoundTripper, which would
// see the access token in every URL.
//
// Observe is called synchronously, from the goroutine making the call, so
// it must be quick and must not block; it may be called from many
// goroutines at once. It never gets the request itself: an Event holds no
// URL query, header, body, token or secret. A nil Observer costs nothing.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc is an Observer made of a function.
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f(ctx, e).
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// EventKind tells an attempt from a whole call.
type EventKind int

// The kinds of Event.
const (
	// EventAttempt is one attempt of a call: one request sent, or two when
	// a rejected token made it replay with a new one (TokenRefreshed).
	EventAttempt EventKind = iota + 1
	// EventCall is a call as a whole, after its last attempt: for a
	// download, when its body has been read to the end or closed.
	EventCall
)

// String returns "attempt" or "call".
func (k EventKind) String() string {
	switch k {
	case EventAttempt:
		return "attempt"
	case EventCall:
		return "call"
	}
	return "unknown"
}

// Event is what an Observer learns of an attempt or a call.
type Event struct {
	Kind     EventKind
	Platform material.Platform
	// Operation names the call: the client method's operation, e.g.
	// "upload" or "download", or Request.Op for a call made with Do.
	Operation string
	// Path is the endpoint's path, e.g. "/cgi-bin/media/upload": never a
	// query string.
	Path string
	// Attempt is the attempt's number, from 1; in an EventCall, the number
	// of attempts made.
	Attempt int
	// Status is the HTTP status of the (last) reply, 0 when none came.
	Status int
	// Code is the platform's errcode in the (last) reply, 0 for none.
	Code int
	// TokenRefreshed reports that the platform rejected the access token
	// (40001, 40014, 42001) and the request was sent again with a new one,
	// within this attempt (or within any attempt of the call).
	TokenRefreshed bool
	// BytesSent and BytesReceived count the request and reply bodies:
	// those of this attempt, or all of the call's, a download's file
	// included.
	BytesSent, BytesReceived int64
	// Duration is how long the attempt or the call took.
	Duration time.Duration
	// Class is the attempt's or the call's outcome.
	Class Class
}

// Class is the outcome of a call or an attempt, as ClassOf sorts errors.
type Class int

// The classes of outcome.
const (
	// ClassOK is a success.
	ClassOK Class = iota
	// ClassPlatform is an error the platform answered: an errcode or an
	// HTTP status (a *material.APIError).
	ClassPlatform
	// ClassOutcomeUnknown is a write that failed after it was sent: it may
	// have been applied (material.ErrOutcomeUnknown).
	ClassOutcomeUnknown
	// ClassNetwork is a failure to reach the platform or to read its
	// reply: a refused or dropped connection, a reply cut off, a token
	// that could not be fetched for want of a connection.
	ClassNetwork
	// ClassCanceled is a call whose context ended.
	ClassCanceled
	// ClassInvalidInput is a call refused on this side: an argument or a
	// file that breaks a rule (material.ErrInvalidInput and the other
	// validation sentinels), or a file that could not be read as it was
	// sent.
	ClassInvalidInput
)

// String returns the class's name: "ok", "platform", "outcome_unknown",
// "network", "canceled" or "invalid_input", fit for a metric label.
func (c Class) String() string {
	switch c {
	case ClassOK:
		return "ok"
	case ClassPlatform:
		return "platform"
	case ClassOutcomeUnknown:
		return "outcome_unknown"
	case ClassNetwork:
		return "network"
	case ClassCanceled:
		return "canceled"
	case ClassInvalidInput:
		return "invalid_input"
	}
	return "unknown"
}

// ClassOf sorts an error a client returned into its Class: nil is ClassOK;
// an unknown outcome comes before the rest (a write that may have been
// applied matters most), then a context that ended, an error refused on
// this side, an error the platform answered; anything else is
// ClassNetwork.
func ClassOf(err error) Class {
	var (
		apiErr *material.APIError
		vErr   *material.ValidationError
		local  *localError
	)
	switch {
	case err == nil:
		return ClassOK
	case errors.Is(err, material.ErrOutcomeUnknown):
		return ClassOutcomeUnknown
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return ClassCanceled
	case errors.As(err, &vErr) || errors.As(err, &local):
		return ClassInvalidInput
	case errors.As(err, &apiErr):
		return ClassPlatform
	case errors.Is(err, material.ErrInvalidInput) || errors.Is(err, material.ErrNotReplayable):
		return ClassInvalidInput
	}
	return ClassNetwork
}
