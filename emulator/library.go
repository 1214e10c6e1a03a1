package emulator

import "encoding/json"

// addMaterial serves POST cgi-bin/material/add_material: a permanent image,
// voice, video (with the "description" form field) or thumb.
func (c *call) addMaterial() {
	p, ok := c.auth()
	if !ok {
		return
	}
	kind := c.r.URL.Query().Get("type")
	r, ok := oaPermanentRules[kind]
	if !ok {
		c.fail(codeBadMediaTypeOA, "")
		return
	}
	u, format, ok := c.receiveUpload(r)
	if !ok {
		return
	}
	defer u.abort()
	rec := c.newMedia(p.owner, familyPermanent, kind, u.media, format)
	if kind == "video" {
		var d struct {
			Title        string `json:"title"`
			Introduction string `json:"introduction"`
		}
		raw, present := u.fields["description"]
		if !present || json.Unmarshal([]byte(raw), &d) != nil {
			c.failHint(CodeVideoDescriptionMissing, "", `a video needs the form field description={"title":...,"introduction":...}`)
			return
		}
		rec.Title, rec.Introduction = d.Title, d.Introduction
	}
	rec.URLKey = randomID(24)
	admit := func() int { return c.e.libraryFullLocked(p.owner, kind) }
	if !c.storeUpload(u, rec, admit) {
		return
	}
	switch kind {
	case "image", "thumb":
		c.ok("media_id", rec.ID, "url", c.mediaURL(rec.URLKey))
	case "video":
		c.ok("media_id", rec.ID, "url", "")
	default:
		c.ok("media_id", rec.ID)
	}
}

// libraryFullLocked returns CodeLibraryFull when appID's library cannot take
// one more item of kind, else 0. The caller holds e.mu.
func (e *Emulator) libraryFullLocked(appID, kind string) int {
	q := e.cfg.quotas
	l := e.libraryOf(appID)
	g := libGroup(kind)
	switch g {
	case "image", "news":
		if q.LibraryImagesAndNews > 0 && len(l["image"])+len(l["news"]) >= q.LibraryImagesAndNews {
			return CodeLibraryFull
		}
	default:
		if q.LibraryOther > 0 && len(l[g]) >= q.LibraryOther {
			return CodeLibraryFull
		}
	}
	return 0
}

// permanentParam reads {"media_id":...} and finds that permanent media of
// the caller, answering the error itself (40007 for temporary ids).
func (c *call) permanentParam(p principal) (mediaRec, bool) {
	var req struct {
		MediaID string `json:"media_id"`
	}
	if !c.readJSON(&req) {
		return mediaRec{}, false
	}
	if req.MediaID == "" {
		c.fail(codeMissingMediaID, "")
		return mediaRec{}, false
	}
	m, ok := c.e.lookup(c.platform, p.owner, req.MediaID, c.now)
	if !ok {
		c.fail(codeBadMediaID, "")
		return m, false
	}
	if m.Family != familyPermanent {
		c.failHint(codeBadMediaID, "", "a "+m.Family+" media_id; permanent-material APIs accept only permanent ones")
		return m, false
	}
	return m, true
}

type newsItem struct {
	Title            string `json:"title"`
	ThumbMediaID     string `json:"thumb_media_id"`
	ShowCoverPic     int    `json:"show_cover_pic"`
	Author           string `json:"author"`
	Digest           string `json:"digest"`
	Content          string `json:"content"`
	URL              string `json:"url"`
	ContentSourceURL string `json:"content_source_url"`
	ThumbURL         string `json:"thumb_url,omitempty"`
}

// newsItems renders articles; with thumbURL it adds each thumb's URL (as
// batchget does).
func (c *call) newsItems(p principal, arts []Article, thumbURL bool) []newsItem {
	out := make([]newsItem, len(arts))
	for i, a := range arts {
		out[i] = newsItem{Title: a.Title, ThumbMediaID: a.ThumbMediaID, ShowCoverPic: a.ShowCoverPic, Author: a.Author,
			Digest: a.Digest, Content: a.Content, URL: a.URL, ContentSourceURL: a.ContentSourceURL}
		if thumbURL {
			if t, ok := c.e.lookup(c.platform, p.owner, a.ThumbMediaID, c.now); ok {
				out[i].ThumbURL = c.mediaURL(t.URLKey)
			}
		}
	}
	return out
}

// getMaterial serves POST cgi-bin/material/get_material: JSON for news and
// videos, the bytes otherwise.
func (c *call) getMaterial() {
	p, ok := c.auth()
	if !ok {
		return
	}
	m, ok := c.permanentParam(p)
	if !ok {
		return
	}
	switch m.Kind {
	case "news":
		c.ok("news_item", c.newsItems(p, m.Articles, false))
	case "video":
		c.ok("title", m.Title, "description", m.Introduction, "down_url", c.mediaURL(m.URLKey))
	default:
		c.sendMedia(m, m.ContentType, `attachment; filename="`+m.Name+`"`, false)
	}
}

// delMaterial serves POST cgi-bin/material/del_material.
func (c *call) delMaterial() {
	p, ok := c.auth()
	if !ok {
		return
	}
	m, ok := c.permanentParam(p)
	if !ok {
		return
	}
	c.e.mu.Lock()
	c.e.dropMediaLocked(m.ID)
	c.e.mu.Unlock()
	c.okBare()
}

// Counts is the number of permanent media in an Official Account's library,
// as get_materialcount reports them (thumbs count as images).
type Counts struct {
	Image, Voice, Video, News int
}

// LibraryCounts returns appID's library counts.
func (e *Emulator) LibraryCounts(appID string) Counts {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lib[appID]
	return Counts{Image: len(l["image"]), Voice: len(l["voice"]), Video: len(l["video"]), News: len(l["news"])}
}

// materialCount serves GET cgi-bin/material/get_materialcount.
func (c *call) materialCount() {
	p, ok := c.auth()
	if !ok {
		return
	}
	n := c.e.LibraryCounts(p.owner)
	c.ok("voice_count", n.Voice, "video_count", n.Video, "image_count", n.Image, "news_count", n.News)
}

// batchGet serves POST cgi-bin/material/batchget_material: newest first,
// count 1..20.
func (c *call) batchGet() {
	p, ok := c.auth()
	if !ok {
		return
	}
	var req struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Count  int    `json:"count"`
	}
	if !c.readJSON(&req) {
		return
	}
	switch req.Type {
	case "image", "video", "voice", "news":
	default:
		c.fail(codeBadMediaTypeOA, "")
		return
	}
	if req.Count < 1 || req.Count > 20 || req.Offset < 0 {
		c.failHint(CodeBadCount, "", "count must be 1..20 and offset at least 0")
		return
	}
	e := c.e
	e.mu.Lock()
	ids := e.lib[p.owner][req.Type]
	total := len(ids)
	var page []mediaRec
	for i := total - 1 - req.Offset; i >= 0 && len(page) < req.Count; i-- {
		page = append(page, *e.st.Media[ids[i]])
	}
	e.mu.Unlock()
	items := make([]json.RawMessage, 0, len(page))
	for _, m := range page {
		if m.Kind == "news" {
			items = append(items, object("media_id", m.ID,
				"content", object("news_item", c.newsItems(p, m.Articles, true),
					"create_time", m.Created.Unix(), "update_time", m.Created.Unix()),
				"update_time", m.Created.Unix()))
			continue
		}
		url := ""
		if m.Kind == "image" || m.Kind == "thumb" {
			url = c.mediaURL(m.URLKey)
		}
		items = append(items, object("media_id", m.ID, "name", m.Name, "update_time", m.Created.Unix(), "url", url))
	}
	c.ok("total_count", total, "item_count", len(items), "item", items)
}

// offline serves add_news and update_news, taken offline on 2022-02-28.
func (c *call) offline() {
	if _, ok := c.auth(); !ok {
		return
	}
	c.fail(codeAPIOffline, "This API has been unsupported, use the draft box (cgi-bin/draft/add) instead")
}
