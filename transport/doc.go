// Package transport is the HTTP layer shared by the Official Account and
// WeCom clients: one Client per platform host, built on
// github.com/hashicorp/go-retryablehttp.
//
// # Layers
//
// A call goes through go-retryablehttp (retry policy, backoff, the response
// handler that decodes replies) into an http.Client whose innermost
// RoundTripper adds the access token to a clone of the request. That is the
// only place a token ever appears in a URL: retry bookkeeping, net/http's
// *url.Error and every log line see the token-free request, and the
// response's Request is put back to it. When a reply rejects the token
// (40001, 40014, 42001), the same RoundTripper tells the TokenSource which
// token failed (compare-and-invalidate: a hundred calls failing together
// cause one refresh), gets a new one and replays the request once, an upload
// included when its Body can be produced again.
//
// # Errors
//
// One decoder turns every reply, HTTP 200 with a non-zero errcode included,
// into a *material.APIError, which matches the material sentinels with
// errors.Is. A call whose context ends returns an error matching the
// context's. A write that failed after its request was sent in full matches
// material.ErrOutcomeUnknown: it may have been applied and is not resent.
//
// # Bodies
//
// Uploads are Multipart bodies assembled as head + file + tail: an exact
// Content-Length (the platforms answer HTTP 412 to chunked uploads), no
// buffering, no goroutine, and replayable whenever the file is. Downloads
// stream: Download tells file bytes from a JSON reply by its headers and
// first byte without reading the file.
//
// # Logging
//
// An optional *slog.Logger gets one debug line per attempt with the method,
// host and path, and a warning per retry. Query strings and bodies are never
// logged.
package transport
