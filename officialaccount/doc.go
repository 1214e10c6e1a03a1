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
// Every upload is checked against material.Rules (kind, size, format) before
// a byte is sent; the error is a *material.ValidationError naming the limit.
// The Official Account has no "file" kind (material.ErrUnsupported). The
// platform's own verdict is still decoded if a limit changes upstream.
//
// # Replies that are not bytes
//
// media/get answers a video with {"video_url": ...}: Download returns a
// Content with URL set and an empty body, not an error. get_material answers
// a file with bytes, a video with its title, description and down_url, a
// news item with its articles: Get returns a material.Asset with exactly one
// of Content, Video and News set, told apart by the reply's headers (a
// file has a Content-Disposition or a non-JSON type) and then by its keys.
//
// # Writes
//
// Writes (uploads, Add, Delete, UploadNews, UploadVideo) are resent only
// when the platform provably did not act: a busy errcode (-1, 45011), a
// rejected token, a connection that failed before the request was sent in
// full. When an Add was sent and no answer came back, it is not resent; Add
// returns an *OutcomeUnknownError (material.ErrOutcomeUnknown) and
// FindAdded looks for the item in the library. Reads are retried by the
// policy set with WithRetry.
//
// # News material (图文素材)
//
// material/add_news and material/update_news went offline on 2022-02-28,
// when news material moved to the draft box; they now answer errcode 45106.
// This package does not offer them: use the draft API (cgi-bin/draft/add,
// then cgi-bin/freepublish/submit). Existing news items can still be read
// (Get), listed (List, BatchGet), counted and deleted.
//
// # Testing
//
// Point a client at the emulator (package emulator) with WithBaseURL, as
// the examples do; the materialtest package has a Fake for tests of code
// that takes a material.Service.
package officialaccount
