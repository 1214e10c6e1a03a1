// Package transport is the HTTP layer shared by the Official Account and
// WeCom clients: one Client per platform host, built on
// github.com/hashicorp/go-retryablehttp.
//
// # What it is for users
//
// Most programs never build a transport.Client: officialaccount.New and
// work.New do. What users take from this package:
//
//   - Request, to call an endpoint the clients do not wrap, through a
//     client's Do (officialaccount.Client.Do, work.Client.Do), in the
//     manner of go-github's NewRequest and Do: the call gets the client's
//     token (refreshed and replayed once when rejected), retry policy,
//     logger and observer, and its errcode comes back as a
//     *material.APIError. A reply type may implement Required.
//   - RetryPolicy, for WithRetry.
//   - Observer, Event and Class, for WithObserver: every attempt and every
//     call, without the request (no query, token or secret), to build
//     metrics, traces and audit logs on.
//   - Classify, the one rule for "is this body the file or an error
//     reply?", and ErrLength, which a ranged download's error matches.
//
// The rest (Config, New, Client's methods) is what the clients are made
// of; it is documented and stable, but a program needs it only to speak to
// a third host with the same conventions.
//
// Per-call state: go-retryablehttp hands its hooks nothing but the
// request, so the state of a call across its attempts rides in the
// request's context; it is one small struct, described in state.go, and
// nothing else is passed that way.
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
// context's. Reply text that goes into an error (an errmsg, a snippet of a
// page, a header) is shown decoded (JSON \u escapes, HTML character
// references, URL escapes), cut short, and scrubbed of Config.Secrets and
// of every token the client has sent, whole or any run of 12 bytes of one
// in any letter case, whatever the reply's type or size. JSON
// replies are read up to MaxJSON bytes; a longer one is an error and is
// never held whole. A reply to a JSON call (Do) with another status than
// 200 is an error whatever it holds, and at most its first 64 KiB are
// read.
//
// # Writes
//
// A Request with Write set (Upload sets it) is sent again only when the
// platform provably did not act on it: an HTTP 200 reply whose errcode
// says so (a rejected token, 40001, 40014 or 42001, replayed once with a
// new token; busy, -1, 45011 on the Official Account or 45033 on WeCom, by
// the retry policy) in a body that is exactly one JSON object with exactly
// one top-level errcode, a JSON integer; or no connection obtained for it
// (net/http/httptrace tells: a failed DNS look-up, dial, refusal, proxy or
// TLS handshake); or no token could be fetched. Once a connection was
// obtained, any other failure ends the call, and when the whole request
// had left this side the error matches material.ErrOutcomeUnknown: it may
// have been applied. That
// covers a dropped connection, a reply cut off or unreadable or too long, a
// reply that is not JSON (an HTML page with status 200), any HTTP status
// other than 200 (5xx, 429, redirects), a success without the field the
// call needs (see Required), a success answered before the whole body was
// sent, an errcode that is not the platform's plain word (a string, a
// fraction, a key given twice, bytes after the object), and a context
// that ended while the reply was awaited. An errcode in an HTTP 200 reply
// that is the platform's plain word is its verdict: a definite failure.
// The decisions live in one place, writes.go.
//
// # Bodies
//
// A Request's body is JSON, or a file (Request.File, a material.Source the
// client has already checked against the platform's limits) sent as a
// multipart form assembled as head + file + tail: an exact Content-Length
// (the platforms answer HTTP 412 to chunked uploads), no buffering, no
// goroutine. The file is opened when the first byte of its attempt is
// read, and again for another attempt only when the Source is Replayable.
// Every request body is watched as it leaves: it must yield exactly its
// size (one byte past it is read before the last bytes go), so a source
// that lies about its size, or fails to be read, never reaches the server
// as a complete request; such a local failure is not retried and is not an
// unknown outcome. Downloads stream: Classify, the one rule for "file or
// error reply", peeks at the body's first bytes and never reads the file.
//
// # Redirects
//
// The platforms never redirect API calls. Whatever Config.HTTPClient's
// CheckRedirect says, no request follows a redirect: a 3xx reply is a
// *material.APIError naming its status and the target's host only.
// DownloadLink, whose links carry no token, follows redirects as its
// client decides.
//
// # Logging and observing
//
// An optional *slog.Logger gets one debug line per attempt with the method,
// host and path, and a warning per retry. Query strings and bodies are never
// logged. An optional Observer gets an Event per attempt and per call
// (see Observer); with none, nothing is counted.
package transport
