package work

import (
	"context"
	"net/url"
	"strconv"

	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// AttachmentType is where an attachment resource is used
// (upload_attachment's attachment_type).
type AttachmentType int

// The attachment types.
const (
	AttachmentMoments      AttachmentType = 1 // customer Moments (朋友圈): images and videos
	AttachmentProductAlbum AttachmentType = 2 // product album (商品图册): images, videos and files
)

// Upload uploads src as temporary media of kind image (JPG or PNG, up to
// 10 MB), voice (AMR, up to 2 MB and 60 s), video (MP4, up to 10 MB) or file
// (up to 20 MB); every file must be more than 5 bytes. The media id works
// for three days, for every agent of the corp.
//
// WeCom has no thumb kind: it fails with an error matching
// material.ErrUnsupported. A file outside the limits fails with a
// *material.ValidationError naming the limit. Both happen before a byte is
// sent. A source of unknown size is first spooled to a temporary file.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/90253
func (c *Client) Upload(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	return c.c.UploadTemporary(ctx, kind, src)
}

// UploadImage uploads an image (JPG or PNG, 5 B to 2 MB) for article
// bodies and welcome messages and returns its permanent URL, which renders
// only inside WeCom. The corp may upload 1000 a day and 3000 a month
// (beyond: an error matching material.ErrQuota).
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/90256
func (c *Client) UploadImage(ctx context.Context, src material.Source) (string, error) {
	const op = "upload image"
	var out wire.URL
	if err := c.c.Upload(ctx, op, material.APIImage, material.KindImage, src, &transport.Request{Path: "/cgi-bin/media/uploadimg"}, &out); err != nil {
		return "", c.c.Wrap(op, err)
	}
	return out.URL, nil
}

// UploadAttachment uploads an attachment resource for customer Moments
// (AttachmentMoments: image or video) or the product album
// (AttachmentProductAlbum: image, video or file), with the limits of Upload.
// The agent needs the customer-contact permission.
//
// Upstream doc: https://developer.work.weixin.qq.com/document/path/95098
func (c *Client) UploadAttachment(ctx context.Context, mediaType material.Kind, attachmentType AttachmentType, src material.Source) (material.Media, error) {
	const op = "upload attachment"
	bad := func(field, value, problem string, errs ...error) (material.Media, error) {
		return material.Media{}, c.c.Wrap(op, &material.ValidationError{
			Platform: material.WeCom, API: material.APIAttachment, Kind: mediaType, Name: src.Name(),
			Field: field, Value: value, Problem: problem, Err: errs})
	}
	switch attachmentType {
	case AttachmentMoments:
		if mediaType == material.KindFile {
			return bad("kind", string(mediaType), "Moments attachments are images or videos, not files", material.ErrUnsupported)
		}
	case AttachmentProductAlbum:
	default:
		return bad("attachment_type", strconv.Itoa(int(attachmentType)), "attachment type must be 1 (Moments) or 2 (product album)", material.ErrInvalidInput)
	}
	q := url.Values{"media_type": {string(mediaType)}, "attachment_type": {strconv.Itoa(int(attachmentType))}}
	var out wire.Media
	if err := c.c.Upload(ctx, op, material.APIAttachment, mediaType, src, &transport.Request{Path: "/cgi-bin/media/upload_attachment", Query: q}, &out); err != nil {
		return material.Media{}, c.c.Wrap(op, err)
	}
	return material.TemporaryMedia(out.ID(), mediaType, out.CreatedAt.Or(c.c.Now)), nil
}
