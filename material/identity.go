package material

import "context"

// Platformer is implemented by a Service that can tell which platform it
// speaks to. officialaccount.Client, work.Client and materialtest.Fake do.
// Copy uses it to map kinds and check the target's limits before anything
// is downloaded; a Service without it is copied to as it is, and judges the
// upload itself.
type Platformer interface {
	// Platform returns OfficialAccount or WeCom.
	Platform() Platform
}

// Identifier is implemented by a Service that can tell the account its
// media ids belong to: media uploaded through one Service can be used
// through any other of the same Platform and Account. An Official
// Account's is its app id; a WeCom agent's is its corp id, since the
// agents of a corp share their temporary media ids. officialaccount.Client
// (when made with an app id), work.Client and materialtest.Fake implement
// it; the upload-once wrapper keys what it remembers by it.
type Identifier interface {
	Platformer
	// Account returns the app id or corp id, or "" when the Service does
	// not know it (an Official Account client made with only a token
	// source).
	Account() string
}

// URLDownloader is implemented by a Service that can fetch the links its
// platform hands out instead of bytes: an Official Account temporary
// video's Content.URL, a permanent video's Video.DownURL.
// officialaccount.Client and materialtest.Fake implement it; Copy uses it
// to follow such links.
type URLDownloader interface {
	// DownloadURL streams the file at link, without the access token. The
	// caller closes the Content.
	DownloadURL(ctx context.Context, link string) (*Content, error)
}
