package officialaccount

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// Upload uploads src as temporary media of kind image, voice, video or
// thumb, kept three days (POST cgi-bin/media/upload, "新增临时素材").
//
// The size and format limits of the kind are checked first; a kind the
// Official Account lacks (file, news) fails with an error matching
// material.ErrUnsupported, before anything is sent. The id of a thumb is
// read from thumb_media_id, where the platform puts it. ExpiresAt is
// CreatedAt plus material.TemporaryLifetime.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/temporary/api_uploadtempmedia.html
func (c *Client) Upload(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	return c.c.UploadTemporary(ctx, kind, src)
}

// Download streams temporary media (GET cgi-bin/media/get, "获取临时素材").
// The caller reads and closes the Content.
//
// The platform answers a video with a link instead of bytes: the Content
// then has URL set, an empty Body and Size 0, and no error. DownloadURL
// streams such a link. An unknown or expired id (errcode 40007) matches
// material.ErrNotFound.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/temporary/api_getmedia.html
func (c *Client) Download(ctx context.Context, mediaID string) (*material.Content, error) {
	const op = "download"
	content, err := c.downloadTemporary(ctx, op, "/cgi-bin/media/get", mediaID)
	return c.c.Content(op, content), c.c.Wrap(op, err)
}

// DownloadHDVoice streams a voice recorded with the JS-SDK (uploadVoice's
// serverId) as 16 kHz speex (GET cgi-bin/media/get/jssdk, "获取高清语音素材").
// The caller reads and closes the Content.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/temporary/api_gethdvoice.html
func (c *Client) DownloadHDVoice(ctx context.Context, mediaID string) (*material.Content, error) {
	const op = "download HD voice"
	content, err := c.downloadTemporary(ctx, op, "/cgi-bin/media/get/jssdk", mediaID)
	if err == nil && content.URL != "" {
		content.Close()
		return nil, c.c.Wrap(op, fmt.Errorf("%w: a link instead of speex bytes", errNoBytes))
	}
	return c.c.Content(op, content), c.c.Wrap(op, err)
}

func (c *Client) downloadTemporary(ctx context.Context, op, path, mediaID string) (*material.Content, error) {
	mediaID, err := c.c.MediaID(mediaID)
	if err != nil {
		return nil, err
	}
	r, err := c.c.Download(ctx, op, &transport.Request{Path: path, Query: url.Values{"media_id": {mediaID}}})
	if err != nil {
		return nil, err
	}
	if r.Content != nil {
		return r.Content, nil
	}
	var v videoLink
	if err := r.Decode(&v); err != nil {
		return nil, err
	}
	return &material.Content{URL: v.VideoURL, Size: 0, Body: http.NoBody}, nil
}

// videoLink is media/get's answer for a video: a link, not bytes.
type videoLink struct {
	VideoURL string `json:"video_url"`
}

// Missing tells the transport that a JSON answer without video_url is
// neither the file nor its link.
func (v *videoLink) Missing() string {
	if v.VideoURL == "" {
		return "video_url"
	}
	return ""
}

// UploadImage uploads a JPEG or PNG image under 1 MB for article bodies and
// returns its URL (POST cgi-bin/media/uploadimg, "上传图文消息内的图片获取URL").
// It does not count against the permanent library. Other formats and sizes
// are refused before sending.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_uploadimage.html
func (c *Client) UploadImage(ctx context.Context, src material.Source) (string, error) {
	const op = "upload image"
	var reply wire.URL
	if err := c.c.Upload(ctx, op, material.APIImage, material.KindImage, src, &transport.Request{Path: "/cgi-bin/media/uploadimg"}, &reply); err != nil {
		return "", c.c.Wrap(op, err)
	}
	return reply.URL, nil
}

// DownloadURL streams a link the platform handed out instead of bytes: a
// temporary video's Content.URL (from Download) or a permanent video's
// Video.DownURL (from Get). The link is fetched as it is, without the access
// token, following redirects (it carries no secret). Only file bytes come
// back (transport.Classify decides): an errcode, a JSON document, an HTML
// page or an HTTP error status is an error, and 404 or 410 matches
// material.ErrNotFound. The caller reads and closes the Content.
func (c *Client) DownloadURL(ctx context.Context, link string) (*material.Content, error) {
	const op = "download url"
	content, err := c.c.T.DownloadLink(ctx, c.links, link)
	return c.c.Content(op, content), c.c.Wrap(op, err)
}
