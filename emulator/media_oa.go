package emulator

import (
	"strings"
)

// oaUpload serves POST cgi-bin/media/upload (temporary media, 3 days).
func (c *call) oaUpload() {
	p, ok := c.auth()
	if !ok {
		return
	}
	kind := c.r.URL.Query().Get("type")
	r, ok := oaTempRules[kind]
	if !ok {
		c.fail(codeBadMediaTypeOA, "")
		return
	}
	u, format, ok := c.receiveUpload(r)
	if !ok {
		return
	}
	defer u.abort()
	rec := c.newMedia(p.owner, familyTemporary, kind, u.media, format)
	if kind == "video" {
		rec.URLKey = randomID(24)
	}
	if !c.storeUpload(u, rec, nil) {
		return
	}
	// Observed: thumbs answer with thumb_media_id (docs/wire.md §8.4).
	kv := []any{"type", kind}
	if kind == "thumb" {
		kv = append(kv, "thumb_media_id", rec.ID)
		if c.e.cfg.thumbAlias {
			kv = append(kv, "media_id", rec.ID)
		}
	} else {
		kv = append(kv, "media_id", rec.ID)
	}
	c.ok(append(kv, "created_at", rec.Created.Unix())...)
}

// mediaIDParam returns the media_id query parameter, answering 41006 when
// it is missing.
func (c *call) mediaIDParam() (string, bool) {
	id := c.r.URL.Query().Get("media_id")
	if id == "" {
		c.fail(codeMissingMediaID, "")
		return "", false
	}
	return id, true
}

// temporaryParam authenticates the call and finds the live temporary media
// named by its media_id parameter, answering failures itself.
func (c *call) temporaryParam() (mediaRec, bool) {
	p, ok := c.auth()
	if !ok {
		return mediaRec{}, false
	}
	id, ok := c.mediaIDParam()
	if !ok {
		return mediaRec{}, false
	}
	return c.temporary(p, id)
}

// temporary finds a live temporary media record of the caller, answering
// 40007 (with a hint naming the id's family when it is another one).
func (c *call) temporary(p principal, id string) (mediaRec, bool) {
	m, ok := c.e.lookup(c.platform, p.owner, id, c.now)
	if !ok {
		c.fail(codeBadMediaID, "")
		return m, false
	}
	if m.Family != familyTemporary {
		c.failHint(codeBadMediaID, "", "a "+m.Family+" media_id, not a temporary one")
		return m, false
	}
	return m, true
}

// oaGet serves GET cgi-bin/media/get: bytes, or {"video_url"} for videos.
func (c *call) oaGet() {
	m, ok := c.temporaryParam()
	if !ok {
		return
	}
	if m.Kind == "video" {
		c.ok("video_url", c.mediaURL(m.URLKey))
		return
	}
	c.sendMedia(m, m.ContentType, `attachment; filename="`+m.ID+m.Ext+`"`, false)
}

// getJSSDK serves GET cgi-bin/media/get/jssdk on both platforms: a voice's
// bytes labelled speex. The emulator does not transcode: the stored bytes
// are sent as they are.
func (c *call) getJSSDK() {
	m, ok := c.temporaryParam()
	if !ok {
		return
	}
	if m.Kind != "voice" {
		c.failHint(codeBadMediaID, "", "not a voice")
		return
	}
	c.sendMedia(m, "voice/speex", `attachment; filename="`+m.ID+`.speex"`, false)
}

// oaUploadImage serves POST cgi-bin/media/uploadimg: a URL for article
// bodies, outside the library and its caps.
func (c *call) oaUploadImage() {
	p, ok := c.auth()
	if !ok {
		return
	}
	c.uploadImage(p, oaUploadImageRule, nil)
}

// uploadImage stores an image that only gets a URL (both platforms).
func (c *call) uploadImage(p principal, r rule, admit func() int) {
	u, format, ok := c.receiveUpload(r)
	if !ok {
		return
	}
	defer u.abort()
	rec := c.newMedia(p.owner, familyImageURL, "image", u.media, format)
	rec.URLKey = randomID(24)
	if !c.storeUpload(u, rec, admit) {
		return
	}
	c.ok("url", c.mediaURL(rec.URLKey))
}

type massArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	ThumbMediaID       string `json:"thumb_media_id"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	Digest             string `json:"digest"`
	ShowCoverPic       int    `json:"show_cover_pic"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

// oaUploadNews serves POST cgi-bin/media/uploadnews: 1..8 articles whose
// thumbs are temporary media; the result is a mass-send id (3 days).
func (c *call) oaUploadNews() {
	p, ok := c.auth()
	if !ok {
		return
	}
	var req struct {
		Articles []massArticle `json:"articles"`
	}
	if !c.readJSON(&req) {
		return
	}
	switch n := len(req.Articles); {
	case n == 0:
		c.fail(CodeEmptyNews, "")
		return
	case n > 8:
		c.fail(CodeTooManyArticles, "")
		return
	}
	rec := &mediaRec{ID: newMediaID(c.platform), Platform: c.platform, Owner: p.owner, Family: familyMass,
		Kind: "news", Created: c.now, Expires: c.now.Add(temporaryLife)}
	for _, a := range req.Articles {
		if strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.Content) == "" {
			c.failHint(CodeEmptyNews, "", "title and content are required")
			return
		}
		if t, ok := c.e.lookup(c.platform, p.owner, a.ThumbMediaID, c.now); !ok || t.Family != familyTemporary || (t.Kind != "thumb" && t.Kind != "image") {
			c.failHint(codeBadMediaID, "", "thumb_media_id must be a temporary thumb or image")
			return
		}
		digest := a.Digest
		if digest == "" {
			digest = firstRunes(stripTags(a.Content), 64)
		}
		rec.Articles = append(rec.Articles, Article{Title: a.Title, ThumbMediaID: a.ThumbMediaID, ShowCoverPic: a.ShowCoverPic,
			Author: a.Author, Digest: digest, Content: a.Content, ContentSourceURL: a.ContentSourceURL})
	}
	c.e.insertMedia(rec, nil)
	c.ok("type", "news", "media_id", rec.ID, "created_at", rec.Created.Unix())
}

// oaUploadVideo serves POST cgi-bin/media/uploadvideo: turns a video (a
// temporary or a permanent one: the documents claim both, docs/wire.md §8.9) into a
// mass-send video id (3 days).
func (c *call) oaUploadVideo() {
	p, ok := c.auth()
	if !ok {
		return
	}
	var req struct {
		MediaID     string `json:"media_id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if !c.readJSON(&req) {
		return
	}
	if req.MediaID == "" {
		c.fail(codeMissingMediaID, "")
		return
	}
	v, ok := c.e.lookup(c.platform, p.owner, req.MediaID, c.now)
	if !ok || v.Kind != "video" || (v.Family != familyTemporary && v.Family != familyPermanent) {
		c.failHint(codeBadMediaID, "", "media_id must be a temporary or permanent video")
		return
	}
	rec := &mediaRec{ID: newMediaID(c.platform), Platform: c.platform, Owner: p.owner, Family: familyMass,
		Kind: "video", Created: c.now, Expires: c.now.Add(temporaryLife), Title: req.Title, Introduction: req.Description}
	c.e.insertMedia(rec, nil)
	c.ok("type", "video", "media_id", rec.ID, "created_at", rec.Created.Unix())
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
