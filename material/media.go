package material

import (
	"io"
	"time"
)

// TemporaryLifetime is how long the platforms keep temporary media: three
// days after upload.
const TemporaryLifetime = 72 * time.Hour

// Media is an uploaded piece of media.
type Media struct {
	ID        string    // media_id
	Kind      Kind      // the kind it was uploaded as
	CreatedAt time.Time // when the platform says it was created
	ExpiresAt time.Time // when a temporary id stops working; zero for permanent media
	URL       string    // a permanent image's URL (Official Account add_material), else ""
}

// TemporaryMedia returns the Media of temporary media id, of kind, created
// at created: it expires TemporaryLifetime later.
func TemporaryMedia(id string, kind Kind, created time.Time) Media {
	return Media{ID: id, Kind: kind, CreatedAt: created, ExpiresAt: created.Add(TemporaryLifetime)}
}

// Content is a downloaded file, streamed: read it, then close it. It is an
// io.ReadCloser itself.
//
// When the platform answers with a link instead of bytes (an Official
// Account temporary video), URL holds the link and the body is empty.
type Content struct {
	Name        string        // file name from Content-Disposition (filename* preferred), a base name; may be ""
	ContentType string        // the reply's Content-Type
	Size        int64         // total bytes, or -1 when the platform did not say
	URL         string        // a link to fetch the media from, when the platform gives one instead of bytes
	Body        io.ReadCloser // the bytes; never nil
}

// Read reads from Body.
func (c *Content) Read(p []byte) (int, error) { return c.Body.Read(p) }

// Close closes Body, ending the transfer.
func (c *Content) Close() error { return c.Body.Close() }

// VideoDescription is what the Official Account stores with a permanent
// video.
type VideoDescription struct {
	Title        string `json:"title"`
	Introduction string `json:"introduction"`
}

// Video is a permanent video as Library.Get returns it: the platform gives a
// download link, not bytes.
type Video struct {
	Title       string
	Description string
	DownURL     string
}

// Article is one article of a news item.
type Article struct {
	Title              string `json:"title"`
	ThumbMediaID       string `json:"thumb_media_id"`
	ThumbURL           string `json:"thumb_url,omitempty"`
	ShowCoverPic       int    `json:"show_cover_pic"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	URL                string `json:"url"`
	ContentSourceURL   string `json:"content_source_url"`
	NeedOpenComment    int    `json:"need_open_comment,omitempty"`
	OnlyFansCanComment int    `json:"only_fans_can_comment,omitempty"`
}

// Asset is a permanent item as Library.Get returns it. The platform does not
// say the kind beforehand; exactly one of Content, Video and News is set.
type Asset struct {
	MediaID string
	Kind    Kind      // KindVideo, KindNews, or "" for a file (an image, voice or thumb: the reply does not say which)
	Content *Content  // the bytes of an image, voice or thumb; the caller closes it
	Video   *Video    // a video's title, description and download link
	News    []Article // a news item's articles
}

// Close closes Content, if any.
func (a *Asset) Close() error {
	if a.Content != nil {
		return a.Content.Close()
	}
	return nil
}

// Item is one entry of the permanent library, as listed.
type Item struct {
	MediaID   string
	Kind      Kind
	Name      string    // file name; "" for news
	URL       string    // for images, the image URL
	UpdatedAt time.Time // last update
	News      []Article // for news items, the articles
}

// Counts are the sizes of the permanent library by kind.
type Counts struct {
	Image int `json:"image_count"`
	Voice int `json:"voice_count"`
	Video int `json:"video_count"`
	News  int `json:"news_count"`
}

// Of returns the count of kind k (thumbs are counted with images upstream).
func (c Counts) Of(k Kind) int {
	switch k {
	case KindImage, KindThumb:
		return c.Image
	case KindVoice:
		return c.Voice
	case KindVideo:
		return c.Video
	case KindNews:
		return c.News
	}
	return 0
}

// Page is one page of a library listing.
type Page struct {
	Kind   Kind
	Offset int    // offset of Items[0]
	Total  int    // total items of this kind, as the platform reports it
	Items  []Item // this page, at most MaxPageSize
}

// MaxPageSize is the most items one BatchGet call returns.
const MaxPageSize = 20
