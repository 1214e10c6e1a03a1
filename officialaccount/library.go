package officialaccount

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/wire"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// Add adds an image, voice or thumb to the permanent library and returns
// its id, and for an image its URL (POST cgi-bin/material/add_material,
// "新增永久素材").
// Videos need a title and an introduction: use AddVideo.
//
// The limits of the kind are checked before anything is sent. An Add is
// sent again only when the platform provably did not act on it: an HTTP
// 200 reply with a busy errcode (-1, 45011) or a rejected token (replayed
// once with a new token), or no connection obtained for it. When the whole
// request was sent and no usable answer came back (a dropped connection, a
// reply cut off or unreadable, an HTML page, a reply without media_id, an
// HTTP error status), Add does not resend it, which could leave the file
// twice in the library: it returns an *OutcomeUnknownError, matching
// material.ErrOutcomeUnknown, and the caller decides (FindAdded looks for
// the item in the library).
//
// The platform's answer carries no time: CreatedAt is the client's clock
// (WithClock) when the answer came.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_addmaterial.html
func (c *Client) Add(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	if kind == material.KindVideo {
		return material.Media{}, c.c.Wrap(opAdd, &material.ValidationError{Platform: material.OfficialAccount, API: material.APIPermanent, Kind: kind, Name: src.Name(),
			Field: "kind", Problem: "a video needs a title and an introduction: use AddVideo", Err: []error{material.ErrInvalidInput}})
	}
	return c.add(ctx, kind, src, nil)
}

// AddVideo adds a video to the permanent library with its title and
// introduction, sent as the JSON form field "description" (POST
// cgi-bin/material/add_material).
// It follows Add's rules for writes whose outcome is unknown.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_addmaterial.html
func (c *Client) AddVideo(ctx context.Context, src material.Source, desc material.VideoDescription) (material.Media, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(desc); err != nil {
		return material.Media{}, c.c.Wrap(opAdd, err)
	}
	return c.add(ctx, material.KindVideo, src, []transport.Field{{Name: "description", Value: string(bytes.TrimSpace(buf.Bytes()))}})
}

func (c *Client) add(ctx context.Context, kind material.Kind, src material.Source, fields []transport.Field) (material.Media, error) {
	var reply wire.Media
	since := c.c.Now()
	req := &transport.Request{Path: "/cgi-bin/material/add_material", Query: url.Values{"type": {string(kind)}}, Fields: fields}
	err := c.c.Upload(ctx, opAdd, material.APIPermanent, kind, src, req, &reply)
	if err != nil {
		if errors.Is(err, material.ErrOutcomeUnknown) { // also when ctx ended while the reply was awaited
			return material.Media{}, &OutcomeUnknownError{Kind: kind, Name: src.Name(), Since: since, Err: err}
		}
		return material.Media{}, c.c.Wrap(opAdd, err)
	}
	return material.Media{ID: reply.MediaID, Kind: kind, CreatedAt: c.c.Now().Truncate(time.Second), URL: reply.URL}, nil
}

// opAdd is the operation of Add and AddVideo.
const opAdd = "add material"

// mediaIDBody is the JSON body of get_material and del_material.
type mediaIDBody struct {
	MediaID string `json:"media_id"`
}

// Get returns a permanent item without the caller knowing its kind (POST
// cgi-bin/material/get_material, "获取永久素材").
//
// The platform answers an image, voice or thumb with its bytes: the Asset
// then has Content (streamed; the caller closes it) and Kind "" since the
// reply does not say which. It answers a video with JSON holding title,
// description and down_url (Kind video, Video set) and a news item with
// JSON holding news_item (Kind news, News set). A temporary, unknown or
// deleted id (errcode 40007) matches material.ErrNotFound. A JSON reply
// that is neither a news item with its articles nor a video with its title
// and down_url is an error naming what it lacks.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_getmaterial.html
func (c *Client) Get(ctx context.Context, mediaID string) (*material.Asset, error) {
	const op = "get material"
	mediaID, err := c.c.MediaID(mediaID)
	if err != nil {
		return nil, c.c.Wrap(op, err)
	}
	r, err := c.c.Download(ctx, op, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/get_material", JSON: mediaIDBody{mediaID}})
	if err != nil {
		return nil, c.c.Wrap(op, err)
	}
	if r.Content != nil {
		return &material.Asset{MediaID: mediaID, Content: c.c.Content(op, r.Content)}, nil
	}
	var reply assetReply
	if err := r.Decode(&reply); err != nil {
		return nil, c.c.Wrap(op, err)
	}
	return reply.asset(mediaID), nil
}

// assetReply is get_material's JSON answer: a news item (news_item) or a
// video (title, description, down_url).
type assetReply struct {
	NewsItem    *[]material.Article `json:"news_item"`
	Title       *string             `json:"title"`
	Description string              `json:"description"`
	DownURL     *string             `json:"down_url"`
}

// Missing tells the transport (transport.Required) what a reply that is
// neither a news item with articles nor a video with its title and link
// lacks.
func (a *assetReply) Missing() string {
	switch {
	case a.NewsItem != nil && len(*a.NewsItem) == 0:
		return "article in news_item"
	case a.NewsItem != nil:
		return ""
	case a.Title == nil && a.DownURL == nil:
		return "news_item, nor a video's title and down_url"
	case a.Title == nil:
		return "title"
	case a.DownURL == nil:
		return "down_url"
	}
	return ""
}

func (a *assetReply) asset(mediaID string) *material.Asset {
	if a.NewsItem != nil {
		return &material.Asset{MediaID: mediaID, Kind: material.KindNews, News: *a.NewsItem}
	}
	return &material.Asset{MediaID: mediaID, Kind: material.KindVideo, Video: &material.Video{Title: *a.Title, Description: a.Description, DownURL: *a.DownURL}}
}

// Delete removes a permanent item, one made in the web console included
// (POST cgi-bin/material/del_material, "删除永久素材").
// Temporary media cannot be deleted: a temporary, unknown or already
// deleted id matches material.ErrNotFound.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_delmaterial.html
func (c *Client) Delete(ctx context.Context, mediaID string) error {
	const op = "delete material"
	mediaID, err := c.c.MediaID(mediaID)
	if err != nil {
		return c.c.Wrap(op, err)
	}
	err = c.c.Do(ctx, op, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/del_material", JSON: mediaIDBody{mediaID}, Write: true}, nil)
	return c.c.Wrap(op, err)
}

// Count returns the library's sizes by kind; thumbs count as images (GET
// cgi-bin/material/get_materialcount, "获取永久素材总数").
// A reply without one of the four counts is an error naming it, never a
// count of zero.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_getmaterialcount.html
func (c *Client) Count(ctx context.Context) (material.Counts, error) {
	const op = "get material count"
	var n countReply
	if err := c.c.Do(ctx, op, &transport.Request{Path: "/cgi-bin/material/get_materialcount"}, &n); err != nil {
		return material.Counts{}, c.c.Wrap(op, err)
	}
	return material.Counts{Image: *n.Image, Voice: *n.Voice, Video: *n.Video, News: *n.News}, nil
}

// countReply is get_materialcount's answer, every count required.
type countReply struct {
	Voice *int `json:"voice_count"`
	Video *int `json:"video_count"`
	Image *int `json:"image_count"`
	News  *int `json:"news_count"`
}

// Missing tells the transport which counts the reply lacks: a reply
// without them is no answer, not an empty library.
func (r *countReply) Missing() string {
	return absent(field{"voice_count", r.Voice != nil}, field{"video_count", r.Video != nil}, field{"image_count", r.Image != nil}, field{"news_count", r.News != nil})
}

// field is a field of a reply and whether the reply has it.
type field struct {
	name    string
	present bool
}

// absent joins the names of the fields a reply lacks; "" when it has them
// all.
func absent(fields ...field) string {
	var names []string
	for _, f := range fields {
		if !f.present {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}

// listKinds are the kinds batchget_material takes; thumbs are listed as
// images.
var listKinds = []material.Kind{material.KindImage, material.KindVideo, material.KindVoice, material.KindNews}

func checkListKind(kind material.Kind) error {
	for _, k := range listKinds {
		if k == kind {
			return nil
		}
	}
	problem := "the library lists image, video, voice and news"
	if kind == material.KindThumb {
		problem += " (thumbs are listed with the images)"
	}
	return &material.ValidationError{Platform: material.OfficialAccount, API: material.APIPermanent, Kind: kind, Field: "kind", Problem: problem, Err: []error{material.ErrUnsupported}}
}

// batchItem is one entry of a batchget_material page.
type batchItem struct {
	MediaID    string    `json:"media_id"`
	Name       string    `json:"name"`
	URL        string    `json:"url"`
	UpdateTime wire.Time `json:"update_time"`
	Content    *struct {
		NewsItem []material.Article `json:"news_item"`
	} `json:"content"`
}

// batchReply is batchget_material's answer, every field required.
type batchReply struct {
	TotalCount *int         `json:"total_count"`
	ItemCount  *int         `json:"item_count"`
	Item       *[]batchItem `json:"item"`
}

// Missing tells the transport which fields the reply lacks: a reply
// without them is no answer, not an empty page (restore lists the library
// to know what not to add again).
func (r *batchReply) Missing() string {
	return absent(field{"total_count", r.TotalCount != nil}, field{"item_count", r.ItemCount != nil}, field{"item", r.Item != nil})
}

// BatchGet returns one page of the library's items of a kind: count (1 to
// material.MaxPageSize) items from offset, newest first (POST
// cgi-bin/material/batchget_material, "获取永久素材列表").
// kind is image (thumbs included), video, voice or news; others match
// material.ErrUnsupported, a count or offset out of range
// material.ErrInvalidInput, before anything is sent. A reply without
// total_count, item_count or item is an error naming what it lacks, never
// an empty page.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_batchgetmaterial.html
func (c *Client) BatchGet(ctx context.Context, kind material.Kind, offset, count int) (*material.Page, error) {
	const op = "batch get material"
	if err := checkListKind(kind); err != nil {
		return nil, c.c.Wrap(op, err)
	}
	if count < 1 || count > material.MaxPageSize || offset < 0 {
		return nil, c.c.Wrap(op, &material.ValidationError{Platform: material.OfficialAccount, Kind: kind, Field: "count",
			Problem: fmt.Sprintf("offset %d, count %d: count must be 1 to %d and offset at least 0", offset, count, material.MaxPageSize), Err: []error{material.ErrInvalidInput}})
	}
	var reply batchReply
	req := struct {
		Type   material.Kind `json:"type"`
		Offset int           `json:"offset"`
		Count  int           `json:"count"`
	}{kind, offset, count}
	if err := c.c.Do(ctx, op, &transport.Request{Method: http.MethodPost, Path: "/cgi-bin/material/batchget_material", JSON: req}, &reply); err != nil {
		return nil, c.c.Wrap(op, err)
	}
	p := &material.Page{Kind: kind, Offset: offset, Total: *reply.TotalCount, Items: make([]material.Item, 0, len(*reply.Item))}
	for _, it := range *reply.Item {
		item := material.Item{MediaID: it.MediaID, Kind: kind, Name: it.Name, URL: it.URL}
		if it.UpdateTime > 0 {
			item.UpdatedAt = time.Unix(int64(it.UpdateTime), 0)
		}
		if it.Content != nil {
			item.News = it.Content.NewsItem
		}
		p.Items = append(p.Items, item)
	}
	return p, nil
}

// List iterates over every item of a kind in the library, a page of
// material.MaxPageSize at a time, fetching the next page only when the loop
// asks for more; breaking out of the loop stops it. It yields an error once
// and stops. It stops at total_count or at an empty page, whichever comes
// first, and yields each media id at most once, even if items added or
// deleted meanwhile shift the pages (an item added during the listing may
// be missed). Each range over the result lists afresh.
//
// Upstream doc: https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_batchgetmaterial.html
func (c *Client) List(ctx context.Context, kind material.Kind) iter.Seq2[material.Item, error] {
	return func(yield func(material.Item, error) bool) {
		if err := checkListKind(kind); err != nil {
			yield(material.Item{}, c.c.Wrap("list material", err))
			return
		}
		seen := make(map[string]struct{})
		for offset := 0; ; {
			p, err := c.BatchGet(ctx, kind, offset, material.MaxPageSize)
			if err != nil {
				yield(material.Item{}, err)
				return
			}
			for _, it := range p.Items {
				if _, dup := seen[it.MediaID]; dup {
					continue
				}
				seen[it.MediaID] = struct{}{}
				if !yield(it, nil) {
					return
				}
			}
			offset += len(p.Items)
			if len(p.Items) == 0 || offset >= p.Total {
				return
			}
		}
	}
}
