// Package emulator is a stateful fake of the token and media ("素材")
// endpoints of WeChat Official Accounts (公众号, api.weixin.qq.com) and WeCom
// (企业微信, qyapi.weixin.qq.com), built from the platforms' public documents
// as the project's wire reference (docs/wire.md) records them, and
// independent of the project's client packages.
// Tests, examples and the command-line tool use it in-process
// (httptest.NewServer) or as a standalone server.
//
// It aims to be as strict as the real services: a client that passes against
// the emulator should not fail in production for a reason the documents know of.
// Where the real services are unknown, it chooses, says so below, and keeps
// each chosen code in one exported constant.
//
// # Serving
//
// An *Emulator is an http.Handler for both platforms on one listener:
//
//   - A path under /oa/ (OfficialAccountPrefix) or /work/ (WeComPrefix) is
//     served by that platform with the prefix removed: point an Official
//     Account client at server.URL+"/oa" and a WeCom client at
//     server.URL+"/work", and they call /cgi-bin/... as usual.
//   - Otherwise the Host header chooses: api.weixin.qq.com serves the
//     Official Account, qyapi.weixin.qq.com serves WeCom (a port is
//     ignored), so a proxy or a hosts-file entry can send real host names
//     to it. Any other request is a 404.
//   - OfficialAccountHandler and WeComHandler serve one platform each at the
//     root, and Serve runs the handler on a net.Listener until a context
//     ends.
//
// A Server serves an emulator the way `wxmaterial emulator serve` does, for
// programs in any language (docs/emulator.md): with Control, a JSON control
// API under ControlPrefix (/_emulator/) whose routes call the methods below
// (accounts, faults, the clock, Reset, the request log and Settle, media);
// with a CA (NewCA, OpenCA), HTTPS on the same listener and an HTTP CONNECT
// proxy that serves api.weixin.qq.com and qyapi.weixin.qq.com itself and
// refuses every other host, so an SDK with the real URLs built in reaches
// the emulator through HTTPS_PROXY with the CA trusted.
//
// URLs the emulator hands out (an image's url, a video's video_url or
// down_url, uploadimg's url) point back at it, under <prefix or host>/_media/,
// and need no token, like the real CDN links.
//
// # Building one
//
// New(opts...) returns an emulator and panics if an option fails; Open
// returns the error instead. Options: WithClock (an injectable Clock, e.g.
// NewFakeClock), WithDir (keep all state in a folder), WithDiscard (keep no
// bytes), WithErrcodeOnSuccess, WithThumbMediaIDAlias, WithQuotas,
// WithJobHTTPClient, WithLogger and WithRequestLogLimit. Close stops
// background jobs and writes the state.
//
// Accounts are added with AddOfficialAccount(appID, secret) and
// AddWeComAgent(corpID, agentID, secret), both idempotent, or as a set with
// AddAccounts (ParseAccounts reads the JSON form); ListAccounts lists them
// without their secrets; WithAllowedIPs restricts callers. Reset forgets
// everything, as a new emulator. SeedDemo adds DemoAppID/DemoAppSecret,
// DemoAppID2/DemoAppSecret2 (a second Official Account, its library left
// empty) and DemoCorpID/DemoAgentID/DemoAgentSecret, and fills the first
// demo library when it is empty.
// SeedPermanent, SeedVideo, SeedNews and SeedTemporary create media without
// HTTP; Media, ListMedia, OpenMedia, LibraryCounts, TokenFetches and Job
// inspect the state; RevokeToken and RevokeAccountTokens invalidate tokens early.
//
// # Endpoints
//
// Official Account: cgi-bin/token, cgi-bin/stable_token, media/upload,
// media/get, media/get/jssdk, media/uploadimg, media/uploadnews,
// media/uploadvideo, material/add_material, material/get_material,
// material/del_material, material/get_materialcount,
// material/batchget_material, and material/add_news and update_news (which
// answer 45106: they are offline since 2022-02-28).
//
// WeCom: cgi-bin/gettoken, media/upload, media/uploadimg, media/get (with
// Range), media/get/jssdk, media/upload_by_url,
// media/get_upload_by_url_result and media/upload_attachment.
//
// Errors are HTTP 200 with {"errcode":N,"errmsg":"..."}; errmsg is decorated
// like the real ones (" rid: ..." and for token errors "hint: [...]" on the
// Official Account; ", hint: [...], from ip: ..., more info at ...?e=N" on
// WeCom), so clients must judge by errcode. The decoration may carry an
// English explanation where the emulator knows more (e.g. "a temporary
// media_id, not a permanent one"); the real hints are opaque.
//
// # Tokens
//
//   - cgi-bin/token mints a new token on every call; the previous token keeps
//     working for 5 minutes, the one before it stops at once; 2000 calls a
//     day (Quotas.OATokenPerDay) then 45009.
//   - cgi-bin/stable_token is POST only (GET: 43002). Normal mode returns the
//     current token with its remaining expires_in, and a new one in its last
//     5 minutes (the old one lives on until it expires). force_refresh
//     replaces it at once, at most 20 times a day and 30 s apart. It is
//     independent of cgi-bin/token.
//   - gettoken returns the same token per agent secret within its validity,
//     with the remaining expires_in.
//   - Business calls: missing token 41001; a token never issued (or issued by
//     the other platform) CodeOAInvalidToken (40001) on the Official Account
//     and CodeWeComInvalidToken (40014) on WeCom; a token rotated out more than
//     5 minutes ago or replaced by a forced stable_token refresh 40001 ("not
//     latest"); a revoked token CodeRevokedToken (42001); an expired one 42001.
//
// Daily and monthly quotas reset at midnight China Standard Time (UTC+8) on
// the emulator's clock.
//
// # Uploads
//
// A POST whose body has no declared length (Transfer-Encoding: chunked)
// answers HTTP 412 on both platforms. The file must be the multipart part
// named "media" with a filename="..." parameter, read raw (UTF-8 included);
// a missing part, a missing filename, an RFC 2231 filename*= alone, or a
// filename holding a path answers 41005. A request whose Content-Type is not
// multipart/form-data with a boundary answers 44001, an empty file 44001.
// Sizes and formats are checked per platform and kind (the Official
// Account's temporary, permanent and uploadimg limits; WeCom's limits, its
// more-than-5-bytes rule (40006) and AMR-only voice (301017)); the format is
// judged by the file's first bytes and by its extension, and both must be
// accepted. A voice that plays longer than 60 s answers 45007, whatever its
// format: the length is measured from the headers as the upload streams in
// (AMR frame headers; an MP3's Xing, Info or VBRI frame count, or else its
// frame headers after any ID3v2 tag; a WAV's fmt byte rate and data size;
// a WMA's play duration minus preroll). A voice whose length its headers do
// not tell is accepted.
//
// Official Account temporary uploads answer {type, media_id, created_at} with
// created_at a number; a thumb answers thumb_media_id instead of media_id (as
// observed; WithThumbMediaIDAlias adds media_id too). WeCom answers with
// created_at as a string. Official Account success bodies omit errcode
// unless WithErrcodeOnSuccess(true); WeCom bodies always carry it.
//
// Temporary media ids live 3 days (72 h) on the clock, are private to an
// Official Account or shared by the agents of a WeCom corp, and are refused
// (40007) by permanent-material APIs, as permanent ids are by media/get.
//
// # Upload by URL
//
// media/upload_by_url validates scene (1), type (video or file) and the field
// byte limits, then starts a job that really downloads the URL in a
// goroutine, in Range requests of 4 MB, with the WithJobHTTPClient client. A
// server that ignores Range fails the job with 830001 (so does a URL that is
// not http or https); other download failures 830003; a size outside 6 B to
// 200 MB 45001; a video that is not MP4 CodeJobNotMP4; an md5 mismatch
// 301019. get_upload_by_url_result reports status 1, 2 or 3 and forgets a
// job 60 minutes after it was submitted. Tests call WaitIdle(ctx) to wait
// until no job runs instead of polling. No emulator lock is held while a
// job downloads.
//
// WeCom media/get honours a single "Range: bytes=..." with 206,
// Content-Range and Accept-Ranges (416 past the end; other forms are
// ignored), and answers 830002 when media larger than 20 MiB would be sent
// whole or in a chunk larger than 20 MiB; WithRangeChunkLimit sets another
// limit (20_000_000, the decimal reading of WeCom's "20M", for one).
//
// # Faults
//
// Inject(Fault{...}) makes the next Times calls matching a platform, an
// endpoint path and/or a predicate misbehave, with one Action: Errcode,
// Status (an HTTP status), DropRequest (close the connection after n bytes
// of the request body), DropResponse (close it after n bytes of the raw
// response), TruncateBody (the true Content-Length, fewer body bytes),
// Delay (real time, ended early if the client leaves) or Revoke (revoke the
// call's token). Faults apply to token endpoints too. Connections are closed
// with http.Hijacker; use a client without keep-alive reuse to see each
// fault on its own connection, since net/http retries some requests on a
// reused connection. Each injected fault has an ID; Faults lists those in
// force and FaultByID finds one, in force or used up, until ClearFaults.
//
// # Request log
//
// Requests returns every call as received: platform, method, path, query and
// headers with access_token, secret and corpsecret values replaced by
// Redacted, Content-Length, Transfer-Encoding, each multipart part (form
// name, filename as sent, content type, size, SHA-256, small field values),
// the JSON body with secret fields redacted, and the answered status and
// errcode, and Seq, its arrival number. ResetRequests empties it.
//
// Tests that read the log follow three rules, because a call is logged when
// the emulator is done with it, which can be after the client has read the
// whole reply (or, for a dropped connection, after the client has already
// retried):
//
//  1. Call Settle(ctx) before Requests and before ResetRequests: it waits
//     until no request is in service, so every answered call is in the log
//     and none arrives after a reset.
//  2. The log is in completion order, which the emulator does not tie to
//     the order requests were sent. To assert the order a client sent its
//     requests, sort by Seq (slices.SortFunc); otherwise compare without
//     order (counts, or both sides sorted by a key).
//  3. Settle between two calls when a test needs the first logged before
//     the second starts; a download still held open keeps its request in
//     service, so close it first.
//
// # Storage
//
// State lives in memory by default. WithDir(path) keeps everything (accounts,
// tokens, media with their bytes, quotas, jobs) in the folder: metadata in
// state.json, replaced atomically (temporary file and rename) after every
// change, and bytes as files under blobs/; a later emulator on the folder
// continues where the previous one stopped (jobs that were running are marked
// failed with 830003; media whose bytes vanished are forgotten). Only one
// process may use a folder at a time, and state.json is rewritten whole, so
// the folder suits tools and tests rather than libraries of many thousands
// of items. WithDiscard keeps only each file's size, SHA-256 and MD5: a
// download of discarded media returns that many zero bytes. Downloads stream
// from storage.
//
// # Choices where the documents are silent
//
//   - stable_token force_refresh beyond 20 a day: CodeStableForceDailyCap
//     (45009); less than 30 s after the previous one: CodeStableForceTooSoon
//     (45011).
//   - add_material type=video without a JSON "description" field:
//     CodeVideoDescriptionMissing (47001); title and introduction inside it
//     are optional.
//   - A full library: CodeLibraryFull (45009). Permanent thumbs count and list
//     as images (get_materialcount and batchget know no thumb type).
//   - WeCom uploadimg beyond 1000 a day or 3000 a month per corp:
//     CodeUploadImageQuota (45009); its formats: JPEG and PNG (40004
//     otherwise).
//   - batchget_material count outside 1..20 or a negative offset:
//     CodeBadCount (40097); items are listed newest first.
//   - get_upload_by_url_result for an unknown, foreign or expired jobid:
//     CodeJobNotFound (40058); a video job whose bytes are not MP4:
//     CodeJobNotMP4 (40004).
//   - Tokens: a never-issued Official Account token answers 40001
//     (CodeOAInvalidToken), a revoked one 42001 (CodeRevokedToken).
//   - An upload whose filename is "." or "..": CodeDotFileName (41005, as
//     for a path); an upload_by_url filename whose last element is empty,
//     "." or "..": 40058. A name without an extension is judged as any
//     other: refused where the kind has formats (the extension must be
//     one), accepted for a WeCom file.
//   - Official Account uploadnews without articles, or with an article
//     lacking its title or content: CodeEmptyNews (44003); with more than 8
//     articles: CodeTooManyArticles (45008).
//   - Oversized files: Official Account 40009/40010/40011/40012 by kind;
//     WeCom image 40009, video 40011, voice and file 45001. Bad formats:
//     Official Account 40005 (temporary, uploadimg) and 40113 (add_material);
//     WeCom 40004 (voice: 301017).
//   - The Official Account's current documented limits are used where older
//     ones conflict (temporary image 10 MB, voice 2 MB, permanent image
//     10 MB); uploadimg takes files below 1 MB.
//   - A JSON body that does not parse: 47001 (WeCom's errmsg adds "Warning:
//     wrong json format."); an empty one 44002 on the Official Account.
//   - uploadvideo accepts a temporary or a permanent video (sources
//     disagree); uploadnews needs temporary thumbs or images.
//   - upload_attachment: attachment_type other than 1 or 2 answers 40058;
//     attachment_type 1 (Moments) refuses files with 40005.
//   - A WeCom media part may carry filelength=N in its Content-Disposition
//     (the upload pages ask for it); an N other than the part's size in
//     bytes answers CodeFileLengthMismatch (40006). A part without it is
//     accepted, and the Official Account ignores it.
//
// # Where the emulator differs from the real services
//
//   - It answers only the endpoints above; everything else is a 404, not an
//     errcode. Wrong HTTP methods answer 43001/43002 on both platforms.
//   - Media bytes are stored and returned as uploaded: nothing is transcoded
//     (media/get/jssdk labels the voice as voice/speex but sends the same
//     bytes), and images are not re-encoded. Voice lengths come from the
//     headers, not from decoding: a file whose headers lie is measured by
//     what they say.
//   - Media URLs point at the emulator, not at mmbiz.qpic.cn or a CDN.
//   - The Official Account's media/get ignores Range; WeCom's supports one
//     range per request.
//   - The caller IP is the connection's remote address (X-Forwarded-For is
//     ignored). The Official Account checks it on its token endpoints only;
//     WeCom on gettoken and every business call.
//   - Rate limits other than the quotas in Quotas (the per-minute and per-IP
//     frequency limits, 45011 and 45033 on business calls, the 500 000 daily
//     stable_token calls) are not enforced; inject them with faults.
//   - Per-account permissions (verified accounts, customer-contact permission
//     for upload_by_url, 48001/48002) are not modelled: every account may
//     call every endpoint.
//   - No upload_media_job_finish callback is sent when a job ends.
//   - Token values are random and carry no meaning; the same holds for media
//     ids, job ids, rid and hint values.
//   - A Revoke fault on cgi-bin/stable_token cannot read the body before
//     acting, so it revokes the current tokens of every Official Account
//     (of the appid in the query, if one is given).
//   - DropResponse and TruncateBody hold that one response in memory.
package emulator
