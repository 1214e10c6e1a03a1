package work

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// CodeUseRange is the errcode of media/get for media too large to be sent
// at once (over "20M", e.g. from an upload-by-URL job), and for a Range
// chunk larger than that: it must be fetched in smaller Range chunks.
const CodeUseRange = 830002

// Download streams temporary media: one Content whose Body the caller reads
// and closes, whatever the size.
//
// The first request asks for the whole file. When the platform answers
// CodeUseRange (830002, media over "20M"), the file is fetched in Range
// chunks of transport.DefaultChunkSize (16 MiB, clearly under 20 MB however
// M is counted; WithChunkSize sets another), one after the other as the
// body is read, and presented as one stream whose Size is the total from
// Content-Range. (A server that does send a large file whole is read as it
// comes.) Should a Range request be answered with CodeUseRange too, it is
// sent again from the same byte with half the chunk size, down to 1 MiB,
// and the rest of the file is fetched with that size: each halving costs
// one refused request, and the download then needs twice as many chunk
// requests per halving (a 200 MB file: 12 requests at 16 MiB, 24 at
// 8 MiB).
// Should a transfer break off (a dropped connection, a truncated body),
// it resumes with a Range request from the byte where it broke, whole-file
// replies included; the total length is verified, and a download that
// comes up short or long ends in an error matching transport.ErrLength,
// never in a silent EOF, and one whose parts name different versions of
// the file (ETag or Last-Modified) in an error matching
// transport.ErrChanged, never in bytes of two files spliced together.
// Nothing is buffered beyond the caller's reads.
//
// An unknown or expired media id is an error matching material.ErrNotFound.
// The machinery is transport.Client.DownloadFile.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/90254
func (c *Client) Download(ctx context.Context, mediaID string) (*material.Content, error) {
	return c.download(ctx, "download", "/cgi-bin/media/get", mediaID, true)
}

// DownloadHDVoice streams a voice recorded with the JS-SDK (uploadVoice's
// serverId) as 16 kHz speex (Content-Type voice/speex). The caller reads
// and closes the Content. The endpoint does not document Range support, so
// a broken transfer is an error, not resumed.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/90255
func (c *Client) DownloadHDVoice(ctx context.Context, mediaID string) (*material.Content, error) {
	return c.download(ctx, "download HD voice", "/cgi-bin/media/get/jssdk", mediaID, false)
}

// isUseRange reports whether err is WeCom's answer to a request for too
// many bytes at once.
func isUseRange(err error) bool {
	var apiErr *material.APIError
	return errors.As(err, &apiErr) && apiErr.Code == CodeUseRange
}

func (c *Client) download(ctx context.Context, op, path, mediaID string, ranged bool) (*material.Content, error) {
	mediaID, err := c.c.MediaID(mediaID)
	if err != nil {
		return nil, c.c.Wrap(op, err)
	}
	req := &transport.Request{Op: op, Path: path, Query: url.Values{"media_id": {mediaID}}}
	var content *material.Content
	if ranged {
		content, err = c.c.T.DownloadFile(ctx, req, c.ranges)
	} else {
		content, err = c.hdVoice(ctx, req)
	}
	return c.c.Content(op, content), c.c.Wrap(op, err)
}

// hdVoice downloads without Range: the endpoint does not document it.
func (c *Client) hdVoice(ctx context.Context, req *transport.Request) (*material.Content, error) {
	rep, err := c.c.T.Download(ctx, req)
	if err != nil {
		return nil, err
	}
	if rep.Content == nil {
		return nil, fmt.Errorf("%s answered a JSON document, not the file's bytes", req.Path)
	}
	return rep.Content, nil
}
