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
// Every upload is checked against WeCom's limits (material.Rules: kinds,
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
// transport.DownloadRanges and transport.Resume; docs/limits.md gives the
// benchmark behind the default.
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
// # Testing
//
// The emulator (github.com/wxmaterial/wxmaterial/emulator) serves the same
// endpoints offline: point the client at server.URL+"/work" with
// WithBaseURL. The examples of this package run against it.
package work
