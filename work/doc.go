// Package work is the client of one WeCom agent (企业微信 self-built app) for
// the media ("素材") APIs of qyapi.weixin.qq.com: temporary media, images for
// rich text, attachment resources, asynchronous upload by URL, and downloads
// of any size.
//
// A *Client implements material.Service and material.URLUploader, so code
// written against those interfaces runs on WeCom, on the Official Account
// client and on materialtest.Fake unchanged:
//
//	c, err := work.New(corpID, agentID, agentSecret)
//	m, err := c.Upload(ctx, material.KindFile, src)
//	content, err := c.Download(ctx, m.ID) // read, then Close
//
// # Tokens
//
// A token belongs to one (corp id, agent secret) pair: New fetches it from
// cgi-bin/gettoken, caches it (one fetch however many goroutines ask),
// refreshes it before it expires, and when a call is rejected with 40001,
// 40014 or 42001 (WeCom may revoke tokens early) fetches a new one and
// replays the call once. WithTokenSource takes tokens managed elsewhere.
// No error or log line holds a token or the secret.
//
// # Limits first
//
// Every upload is checked against WeCom's limits (material.RuleFor: kinds,
// sizes, formats, more than 5 bytes) before a byte is sent, and fails with a
// *material.ValidationError naming the limit; a thumb, which WeCom lacks,
// matches material.ErrUnsupported. Uploads stream with an exact
// Content-Length (WeCom refuses chunked bodies), and are replayed after a
// rejected token only when their Source can be opened again.
//
// # Large downloads
//
// media/get sends at most "20M" at once (the page does not say whether M is
// 2^20 or 10^6): larger media (from upload-by-URL jobs) answer 830002 to a
// plain request. Download then fetches the file in Range chunks of 16 MiB,
// under both readings (WithChunkSize sets another size), and presents them
// as one stream; a chunk refused with 830002 is asked for again with half
// the size, a chunk cut off mid-way is resumed from the byte where it broke,
// and the total length is verified. The generic machinery is
// transport.Client.DownloadFile; docs/limits.md gives the
// benchmark behind the default.
//
// # Writes
//
// Writes (Upload, UploadImage, UploadAttachment, UploadByURL) are sent
// again only when the platform provably did not act on them: an HTTP 200
// reply with a busy errcode (-1, 45033) or a rejected token (40001, 40014,
// 42001: replayed once with a new token, when the Source can be read
// again), or a request that never left because no connection was obtained
// (DNS, dial, refusal, proxy or TLS handshake failure) or no token could be
// fetched. Once a connection was obtained, any other failure ends the call,
// and when the whole request had been sent the error matches
// material.ErrOutcomeUnknown: the connection dropped, the reply was cut
// off, unreadable or too long, an HTML page or any HTTP status other than
// 200 (5xx and 429 included) came back, the reply held no media_id, url or
// jobid, or the context ended while the reply was awaited. A Source that
// yields more or fewer bytes than it declared, or fails to be read, fails
// the call before the platform gets a complete request: not an unknown
// outcome, and not sent again.
//
// # Downloads and secrets
//
// Every download (Download, its Range chunks, DownloadHDVoice) tells file
// bytes from an error reply by one rule (transport.Classify): the body's
// first bytes decide, and a JSON object with a non-zero errcode is an
// error whatever its Content-Type or Content-Disposition, while a JSON
// document without one that comes with a file name is a file. No error or
// log line holds the secret or a token: reply text in an error is shown
// decoded (JSON \u escapes, HTML character references, URL escapes), cut
// short, and scrubbed of the secret and of every token the client has
// used, whole or any run of 12 characters of one, and no request follows
// a redirect, whatever http.Client is given.
//
// # Upload by URL
//
// UploadByURL submits a job in which WeCom downloads a file of up to 200 MB
// from a URL that answers Range requests, checking its MD5 (MD5File computes
// it without reading the file into memory). UploadByURLResult polls once;
// WaitUploadByURL polls in the manner of aws-sdk-go-v2's waiters (WithWait
// sets its delays) and returns the media or a *material.JobError whose
// detail code (830001, 830003, 45001, 301019) matches the material
// sentinels.
//
// # Other endpoints, and watching calls
//
// Do calls an endpoint this package does not wrap, with the client's
// token, retries, logger and observer (see package transport).
// WithObserver is told of every call and attempt (operation, path, status,
// errcode, token refresh, bytes, duration, outcome class) and never of
// the request itself: build metrics and traces on it rather than on a
// transport given with WithHTTPClient, which sees the token in every URL.
// The construction and the options both clients share live once, in an
// internal package; this package keeps what only WeCom has.
//
// # Testing
//
// The emulator (github.com/wxmaterial/wxmaterial/emulator) serves the same
// endpoints offline: point the client at server.URL+"/work" with
// WithBaseURL. The examples of this package run against it.
package work
