// Package officialaccount is the client of a WeChat Official Account's
// (公众号) media APIs, "素材管理" on api.weixin.qq.com: temporary media, the
// permanent library and the mass-send material.
//
// A *Client implements material.Service (temporary media, kept three days,
// and images for article bodies) and material.Library (the permanent
// library), so code written against those interfaces runs on it, on the
// WeCom client (Service only) and on materialtest.Fake alike. It adds what
// only the Official Account has: UploadNews and UploadVideo for mass sends,
// DownloadURL for the links the platform gives instead of video bytes, and
// FindAdded to settle an Add whose outcome is unknown.
//
//	c, err := officialaccount.New(appID, secret, officialaccount.WithStableToken())
//	m, err := c.Upload(ctx, material.KindImage, src)
//
// # Tokens
//
// New fetches the plain access token (cgi-bin/token) by default and caches
// it. Every fetch of that token rotates it, so two processes fetching it on
// their own invalidate each other: use WithStableToken (cgi-bin/stable_token,
// the platform's recommendation), or WithTokenSource with a token managed
// elsewhere. A call answered 40001, 40014 or 42001 invalidates that token,
// fetches another and is replayed once, uploads included when their Source
// can be read again.
//
// # Validation
//
// Every upload is checked against the platform's rules (material.RuleFor:
// kind, size, format) before a byte is sent; the error is a *material.ValidationError naming the limit.
// The Official Account has no "file" kind (material.ErrUnsupported). The
// platform's own verdict is still decoded if a limit changes upstream.
//
// # Replies that are not bytes
//
// media/get answers a video with {"video_url": ...}: Download returns a
// Content with URL set and an empty body, not an error. get_material answers
// a file with bytes, a video with its title, description and down_url, a
// news item with its articles: Get returns a material.Asset with exactly one
// of Content, Video and News set. Which it is, file or JSON or error reply,
// is decided by one rule (transport.Classify) for every download, DownloadURL
// and DownloadHDVoice included: the first bytes of the body decide, and a
// JSON object with a non-zero errcode is an error whatever its Content-Type
// or Content-Disposition; an HTML page with status 200 is an error too, never
// media.
//
// # Writes
//
// Writes (Upload, UploadImage, Add, AddVideo, Delete, UploadNews,
// UploadVideo) are sent again only when the platform provably did not act
// on them: an HTTP 200 reply with a busy errcode (-1, 45011) or a rejected
// token (40001, 40014, 42001: replayed once with a new token, when the
// Source can be read again), or a request that never left because no
// connection was obtained (DNS, dial, refusal, proxy or TLS handshake
// failure) or no token could be fetched. Once a connection was obtained,
// any other failure ends the call, and when the whole request had been sent
// the error matches material.ErrOutcomeUnknown: the connection dropped, the
// reply was cut off, unreadable or too long, an HTML page or any HTTP
// status other than 200 (5xx and 429 included) came back, the reply held no
// media_id, or the context ended while the reply was awaited. Add and
// AddVideo then return an *OutcomeUnknownError, and FindAdded looks for the
// item in the library. A Source that yields more or fewer bytes than it
// declared, or fails to be read, fails the call before the platform gets a
// complete request: not an unknown outcome, and not sent again. Reads are
// retried by the policy set with WithRetry.
//
// # Secrets
//
// No error or log line holds the AppSecret or an access token. Any text
// taken from a reply into an error is shown decoded (JSON \u escapes,
// HTML character references, URL escapes), cut short, and scrubbed of the
// AppSecret and of every token the client has used, whole or any run of
// 12 characters of one, whatever the reply's Content-Type or size. No request that carries the secret or a token
// follows a redirect, whatever http.Client is given (WithHTTPClient): a
// redirect is an error naming its status and the target's host only.
//
// # News material (图文素材)
//
// material/add_news and material/update_news went offline on 2022-02-28,
// when news material moved to the draft box; they now answer errcode 45106.
// This package does not offer them: use the draft API (cgi-bin/draft/add,
// then cgi-bin/freepublish/submit). Existing news items can still be read
// (Get), listed (List, BatchGet), counted and deleted.
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
// internal package; this package keeps what only the Official Account has.
//
// # Testing
//
// Point a client at the emulator (package emulator) with WithBaseURL, as
// the examples do; the materialtest package has a Fake for tests of code
// that takes a material.Service.
package officialaccount
