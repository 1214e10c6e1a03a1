package emulator

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// MediaInfo describes a media record for inspection by tests.
type MediaInfo struct {
	ID       string   `json:"media_id"`
	Platform Platform `json:"platform"`
	Owner    string   `json:"owner"` // appid or corpid
	// Family is "temporary" (3 days: media/upload, upload_by_url,
	// upload_attachment), "permanent" (the Official Account library),
	// "imageurl" (media/uploadimg) or "mass" (uploadnews, uploadvideo).
	Family      string    `json:"family"`
	Kind        string    `json:"kind"` // image, voice, video, thumb, file or news
	Name        string    `json:"name"` // file name as uploaded
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"` // hex; of the bytes received, even WithDiscard
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"` // zero for permanent media
	// Expired tells whether Expires has passed on the emulator's clock: the
	// platforms then answer 40007 for the id.
	Expired      bool      `json:"expired"`
	FromURL      bool      `json:"from_url,omitempty"`     // created by an upload-by-URL job
	Title        string    `json:"title,omitempty"`        // video
	Introduction string    `json:"introduction,omitempty"` // video
	Articles     []Article `json:"articles,omitempty"`     // news
}

// Media returns the media record id (whatever its family or age).
func (e *Emulator) Media(id string) (MediaInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.st.Media[id]
	if m == nil {
		return MediaInfo{}, false
	}
	return m.info(e.clock.Now()), true
}

// info describes m at now.
func (m *mediaRec) info(now time.Time) MediaInfo {
	return MediaInfo{ID: m.ID, Platform: m.Platform, Owner: m.Owner, Family: m.Family, Kind: m.Kind, Name: m.Name,
		ContentType: m.ContentType, Size: m.Size, SHA256: m.SHA256, Created: m.Created, Expires: m.Expires,
		Expired: m.expired(now), FromURL: m.FromURL, Title: m.Title, Introduction: m.Introduction,
		Articles: append([]Article(nil), m.Articles...)}
}

// OpenMedia returns the stored bytes of media id (zeros WithDiscard). The
// caller closes it.
func (e *Emulator) OpenMedia(id string) (io.ReadCloser, error) {
	e.mu.Lock()
	m := e.st.Media[id]
	var blob string
	var size int64
	if m != nil {
		blob, size = m.Blob, m.Size
	}
	e.mu.Unlock()
	if m == nil || blob == "" {
		return nil, fmt.Errorf("emulator: no bytes for media %q", id)
	}
	return e.blobs.open(blob, size)
}

// storeBytes keeps data as a new blob and describes it.
func (e *Emulator) storeBytes(data []byte) (key, sha, md5sum, format string, err error) {
	w, err := e.blobs.create()
	if err != nil {
		return "", "", "", "", err
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		w.abort()
		return "", "", "", "", err
	}
	key, err = w.commit()
	s, m := sha256.Sum256(data), md5.Sum(data)
	return key, hex.EncodeToString(s[:]), hex.EncodeToString(m[:]), detectFormat(data[:min(len(data), sniffLen)]), err
}

// seed stores data as a media record of the given family after checking
// the owner exists; admit runs under the lock.
func (e *Emulator) seed(p Platform, owner, family, kind, name string, data []byte, fill func(*mediaRec)) (string, error) {
	e.mu.Lock()
	exists := (p == OfficialAccount && e.st.OA[owner] != nil) || (p == WeCom && e.st.Corps[owner] != nil)
	e.mu.Unlock()
	if !exists {
		return "", fmt.Errorf("emulator: no %s account %q", p, owner)
	}
	key, sha, sum, format, err := e.storeBytes(data)
	if err != nil {
		return "", fmt.Errorf("emulator: seeding: %w", err)
	}
	now := e.clock.Now()
	ext, ct := typeOf(format, name)
	rec := &mediaRec{ID: newMediaID(p), Platform: p, Owner: owner, Family: family, Kind: kind, Name: name,
		Ext: ext, ContentType: ct, Size: int64(len(data)), SHA256: sha, MD5: sum, Blob: key, Created: now,
		URLKey: randomID(24)}
	if family == familyTemporary {
		rec.Expires = now.Add(temporaryLife)
	}
	if fill != nil {
		fill(rec)
	}
	var admit func() int
	if family == familyPermanent {
		admit = func() int { return e.libraryFullLocked(owner, kind) }
	}
	if code := e.insertMedia(rec, admit); code != 0 {
		_ = e.blobs.remove(key)
		return "", fmt.Errorf("emulator: seeding: errcode %d (%s)", code, message(code))
	}
	e.persist()
	return rec.ID, e.Err()
}

// SeedPermanent adds a permanent image, voice, video or thumb to appID's
// library as add_material would, without checking size or format (the
// library caps do apply). A video's title is its name; use SeedVideo to set
// title and introduction.
func (e *Emulator) SeedPermanent(appID, kind, name string, data []byte) (string, error) {
	if _, ok := oaPermanentRules[kind]; !ok {
		return "", fmt.Errorf("emulator: SeedPermanent: kind %q is not image, voice, video or thumb", kind)
	}
	return e.seed(OfficialAccount, appID, familyPermanent, kind, name, data, func(m *mediaRec) {
		if kind == "video" {
			m.Title = name
		}
	})
}

// SeedVideo adds a permanent video with a title and introduction.
func (e *Emulator) SeedVideo(appID, name, title, introduction string, data []byte) (string, error) {
	return e.seed(OfficialAccount, appID, familyPermanent, "video", name, data, func(m *mediaRec) {
		m.Title, m.Introduction = title, introduction
	})
}

// SeedTemporary adds temporary media (3 days from now on the emulator's
// clock) for the Official Account or WeCom corp owner, as media/upload
// would, without checking size or format. It is also how a test creates
// the voice a JS-SDK uploadVoice would have left for media/get/jssdk.
func (e *Emulator) SeedTemporary(p Platform, owner, kind, name string, data []byte) (string, error) {
	rules := oaTempRules
	if p == WeCom {
		rules = workRules
	}
	if _, ok := rules[kind]; !ok {
		return "", fmt.Errorf("emulator: SeedTemporary: kind %q is not one of %s", kind, p)
	}
	return e.seed(p, owner, familyTemporary, kind, name, data, nil)
}

// SeedNews adds a news item (1 to 8 articles) to appID's library; it is the
// only way to create one, since add_news is offline. Each article's
// ThumbMediaID must be a permanent thumb or image of appID; an empty URL
// gets an mp.weixin.qq.com-like one.
func (e *Emulator) SeedNews(appID string, articles ...Article) (string, error) {
	if len(articles) == 0 || len(articles) > 8 {
		return "", fmt.Errorf("emulator: SeedNews: %d articles, want 1..8", len(articles))
	}
	now := e.clock.Now()
	rec := &mediaRec{ID: newMediaID(OfficialAccount), Platform: OfficialAccount, Owner: appID, Family: familyPermanent,
		Kind: "news", Created: now, Articles: append([]Article(nil), articles...)}
	e.mu.Lock()
	if e.st.OA[appID] == nil {
		e.mu.Unlock()
		return "", fmt.Errorf("emulator: SeedNews: no Official Account %q", appID)
	}
	for i, a := range rec.Articles {
		t := e.st.Media[a.ThumbMediaID]
		if t == nil || t.Owner != appID || t.Family != familyPermanent || libGroup(t.Kind) != "image" {
			e.mu.Unlock()
			return "", fmt.Errorf("emulator: SeedNews: article %d: thumb_media_id %q is not a permanent thumb or image of %s", i, a.ThumbMediaID, appID)
		}
		if a.URL == "" {
			rec.Articles[i].URL = fmt.Sprintf("http://mp.weixin.qq.com/s?__biz=%s&mid=%d&idx=%d", randomID(9), now.Unix(), i+1)
		}
	}
	e.mu.Unlock()
	if code := e.insertMedia(rec, func() int { return e.libraryFullLocked(appID, "news") }); code != 0 {
		return "", fmt.Errorf("emulator: SeedNews: errcode %d (%s)", code, message(code))
	}
	e.persist()
	return rec.ID, e.Err()
}
