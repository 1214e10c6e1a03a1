package officialaccount

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// MassMedia is material prepared for a mass send (群发): the media_id to put
// in the message.
type MassMedia struct {
	ID        string
	Kind      material.Kind // news or video: the reply's type (the call's when the reply leaves it out)
	CreatedAt time.Time
}

// massArticle is an article as uploadnews takes it.
type massArticle struct {
	Title              string `json:"title"`
	ThumbMediaID       string `json:"thumb_media_id"`
	Author             string `json:"author,omitempty"`
	Digest             string `json:"digest,omitempty"`
	ShowCoverPic       int    `json:"show_cover_pic"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url,omitempty"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

// MaxMassArticles is the most articles one UploadNews takes.
const MaxMassArticles = 8

// UploadNews uploads 1 to 8 articles as mass-send news material (POST
// cgi-bin/media/uploadnews, "上传图文消息素材").
// Each article needs a title, content (HTML) and thumb_media_id, a
// temporary thumb or image (Upload); Article.URL and ThumbURL are not sent.
// Missing fields are refused before sending. This is not the permanent
// library: news can no longer be added there (see the package doc).
//
// Upstream doc: https://developers.weixin.qq.com/doc/service/api/notify/message/api_uploadnewsmsg.html
func (c *Client) UploadNews(ctx context.Context, articles ...material.Article) (MassMedia, error) {
	const op = "upload news"
	bad := func(problem string) (MassMedia, error) {
		return MassMedia{}, c.c.Wrap(op, &material.ValidationError{Platform: material.OfficialAccount, Kind: material.KindNews, Field: "articles", Problem: problem, Err: []error{material.ErrInvalidInput}})
	}
	if n := len(articles); n < 1 || n > MaxMassArticles {
		return bad(fmt.Sprintf("%d articles: a news message holds 1 to %d", n, MaxMassArticles))
	}
	body := struct {
		Articles []massArticle `json:"articles"`
	}{make([]massArticle, len(articles))}
	for i, a := range articles {
		switch {
		case strings.TrimSpace(a.Title) == "":
			return bad(fmt.Sprintf("article %d has no title", i+1))
		case strings.TrimSpace(a.Content) == "":
			return bad(fmt.Sprintf("article %d has no content", i+1))
		case strings.TrimSpace(a.ThumbMediaID) == "":
			return bad(fmt.Sprintf("article %d has no thumb_media_id", i+1))
		}
		thumb, err := c.c.ID("thumb_media_id", a.ThumbMediaID)
		if err != nil {
			var ve *material.ValidationError
			if errors.As(err, &ve) {
				ve.Kind, ve.Problem = material.KindNews, fmt.Sprintf("article %d: %s", i+1, ve.Problem)
			}
			return MassMedia{}, c.c.Wrap(op, err)
		}
		body.Articles[i] = massArticle{Title: a.Title, ThumbMediaID: thumb, Author: a.Author, Digest: a.Digest, ShowCoverPic: a.ShowCoverPic,
			Content: a.Content, ContentSourceURL: a.ContentSourceURL, NeedOpenComment: a.NeedOpenComment, OnlyFansCanComment: a.OnlyFansCanComment}
	}
	m, err := c.mass(ctx, op, "/cgi-bin/media/uploadnews", material.KindNews, body)
	return m, c.c.Wrap(op, err)
}

// UploadVideo turns a video into mass-send video material with a title and
// description (POST cgi-bin/media/uploadvideo, "mpvideo", documented with
// the mass-send API).
// mediaID is a video uploaded with Upload or AddVideo (the documents
// disagree on which; the call is sent to api.weixin.qq.com, not the old
// file.api.weixin.qq.com).
//
// Upstream doc: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
func (c *Client) UploadVideo(ctx context.Context, mediaID, title, description string) (MassMedia, error) {
	const op = "upload video"
	mediaID, err := c.c.MediaID(mediaID)
	if err != nil {
		return MassMedia{}, c.c.Wrap(op, err)
	}
	body := struct {
		MediaID     string `json:"media_id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	}{mediaID, title, description}
	m, err := c.mass(ctx, op, "/cgi-bin/media/uploadvideo", material.KindVideo, body)
	return m, c.c.Wrap(op, err)
}

func (c *Client) mass(ctx context.Context, op, path string, kind material.Kind, body any) (MassMedia, error) {
	var reply massReply
	if err := c.c.Do(ctx, op, &transport.Request{Method: http.MethodPost, Path: path, JSON: body, Write: true}, &reply); err != nil {
		return MassMedia{}, err
	}
	return MassMedia{ID: reply.MediaID, Kind: cmp.Or(material.Kind(reply.Type), kind), CreatedAt: reply.CreatedAt.Or(c.c.Now)}, nil
}

// massReply is the answer of uploadnews and uploadvideo.
type massReply struct {
	Type      string    `json:"type"`
	MediaID   string    `json:"media_id"`
	CreatedAt wire.Time `json:"created_at"`
}

// Missing tells the transport that a reply without media_id is no answer:
// the material may have been made all the same. (These calls answer
// media_id; a thumb_media_id is not their id.)
func (r *massReply) Missing() string {
	if r.MediaID == "" {
		return "media_id"
	}
	return ""
}
