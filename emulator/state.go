package emulator

import (
	"sort"
	"time"
)

// Platform names one of the two emulated services.
type Platform string

// The two platforms.
const (
	OfficialAccount Platform = "oa"   // WeChat Official Accounts, api.weixin.qq.com
	WeCom           Platform = "work" // WeCom, qyapi.weixin.qq.com
)

// Media families: how a media record came to be and which APIs accept its id.
const (
	familyTemporary = "temporary" // media/upload, upload_by_url, upload_attachment: 3 days
	familyPermanent = "permanent" // add_material or seeding: the OA library
	familyImageURL  = "imageurl"  // media/uploadimg: only a URL, no media id
	familyMass      = "mass"      // OA uploadnews / uploadvideo: mass-send ids, 3 days
)

const temporaryLife = 72 * time.Hour

// state is everything the emulator knows; with WithDir it is what is written
// to state.json. It is guarded by Emulator.mu.
type state struct {
	OA     map[string]*oaAccount `json:"oa"`
	Corps  map[string]*corp      `json:"corps"`
	Tokens map[string]*tokenRec  `json:"tokens"`
	Media  map[string]*mediaRec  `json:"media"`
	Jobs   map[string]*jobRec    `json:"jobs"`
	Seq    int64                 `json:"seq"`
}

func newState() *state {
	return &state{
		OA:     map[string]*oaAccount{},
		Corps:  map[string]*corp{},
		Tokens: map[string]*tokenRec{},
		Media:  map[string]*mediaRec{},
		Jobs:   map[string]*jobRec{},
	}
}

// counter counts calls within one period (a day or a month key).
type counter struct {
	Period string `json:"period,omitempty"`
	N      int    `json:"n,omitempty"`
}

// get returns the count for period p (0 when the stored period is older).
func (c *counter) get(p string) int {
	if c.Period != p {
		return 0
	}
	return c.N
}

func (c *counter) add(p string) {
	if c.Period != p {
		c.Period, c.N = p, 0
	}
	c.N++
}

type oaAccount struct {
	AppID    string   `json:"appid"`
	Secret   string   `json:"secret"`
	AllowIPs []string `json:"allow_ips,omitempty"`

	Plain     string `json:"plain,omitempty"`      // current cgi-bin/token token
	PrevPlain string `json:"prev_plain,omitempty"` // the one before, alive ≤5 min
	Stable    string `json:"stable,omitempty"`     // current stable token

	PlainToday    counter   `json:"plain_today"`
	ForcedToday   counter   `json:"forced_today"`
	LastForced    time.Time `json:"last_forced"`
	PlainFetches  int       `json:"plain_fetches"`
	StableFetches int       `json:"stable_fetches"`
}

type corp struct {
	CorpID         string           `json:"corpid"`
	Agents         map[int64]*agent `json:"agents"`
	UploadImgToday counter          `json:"uploadimg_today"`
	UploadImgMonth counter          `json:"uploadimg_month"`
}

type agent struct {
	AgentID    int64    `json:"agentid"`
	Secret     string   `json:"secret"`
	AllowIPs   []string `json:"allow_ips,omitempty"`
	Token      string   `json:"token,omitempty"`
	TokenToday counter  `json:"token_today"`
	Fetches    int      `json:"fetches"`
}

// Token kinds.
const (
	tokenPlain  = "plain"  // OA cgi-bin/token
	tokenStable = "stable" // OA cgi-bin/stable_token
	tokenWork   = "work"   // WeCom gettoken
)

type tokenRec struct {
	Platform Platform  `json:"platform"`
	Kind     string    `json:"kind"`
	Owner    string    `json:"owner"` // appid or corpid
	AgentID  int64     `json:"agentid,omitempty"`
	Issued   time.Time `json:"issued"`
	Expires  time.Time `json:"expires"`
	// DeadAt, when set, is when a superseded token stopped being accepted
	// ("not latest"); it is before Expires.
	DeadAt  time.Time `json:"dead_at"`
	Revoked bool      `json:"revoked,omitempty"`
}

// Article is one article of a news item (图文) in the Official Account
// library. News can only be created by SeedNews (add_news is offline).
type Article struct {
	Title            string `json:"title"`
	ThumbMediaID     string `json:"thumb_media_id"`
	ShowCoverPic     int    `json:"show_cover_pic"`
	Author           string `json:"author"`
	Digest           string `json:"digest"`
	Content          string `json:"content"`
	URL              string `json:"url"`
	ContentSourceURL string `json:"content_source_url"`
}

type mediaRec struct {
	ID          string    `json:"id"`
	Platform    Platform  `json:"platform"`
	Owner       string    `json:"owner"` // appid or corpid
	Family      string    `json:"family"`
	Kind        string    `json:"kind"` // image voice video thumb file news
	Name        string    `json:"name"` // file name as uploaded
	Ext         string    `json:"ext"`  // extension of the detected format, with dot
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256,omitempty"`
	MD5         string    `json:"md5,omitempty"`
	Blob        string    `json:"blob,omitempty"`
	URLKey      string    `json:"url_key,omitempty"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"` // zero for permanent media
	Seq         int64     `json:"seq"`
	FromURL     bool      `json:"from_url,omitempty"`

	Title        string    `json:"title,omitempty"`        // video
	Introduction string    `json:"introduction,omitempty"` // video
	Articles     []Article `json:"articles,omitempty"`     // news
}

func (m *mediaRec) expired(now time.Time) bool {
	return !m.Expires.IsZero() && !now.Before(m.Expires)
}

// libGroup is the batchget type a permanent media record is listed under:
// thumbs are listed and counted as images (batchget and get_materialcount
// know no thumb type).
func libGroup(kind string) string {
	if kind == "thumb" {
		return "image"
	}
	return kind
}

type jobRec struct {
	ID        string    `json:"id"`
	Corp      string    `json:"corp"`
	AgentID   int64     `json:"agentid"`
	Submitted time.Time `json:"submitted"`
	Type      string    `json:"type"`
	Filename  string    `json:"filename"`
	URL       string    `json:"url"`
	MD5       string    `json:"md5"`
	Status    int       `json:"status"` // 1 processing, 2 done, 3 failed
	Code      int       `json:"code,omitempty"`
	Msg       string    `json:"msg,omitempty"`
	MediaID   string    `json:"media_id,omitempty"`
	Created   time.Time `json:"created"`
}

// library is the derived index of one Official Account's permanent media:
// ids per batchget type, oldest first (by Seq).
type library map[string][]string

func (e *Emulator) libraryOf(appID string) library {
	l := e.lib[appID]
	if l == nil {
		l = library{}
		e.lib[appID] = l
	}
	return l
}

func (e *Emulator) indexAdd(m *mediaRec) {
	if m.URLKey != "" {
		e.urls[m.URLKey] = m.ID
	}
	if m.Family != familyPermanent {
		return
	}
	l := e.libraryOf(m.Owner)
	g := libGroup(m.Kind)
	l[g] = append(l[g], m.ID)
}

func (e *Emulator) indexRemove(m *mediaRec) {
	if m.URLKey != "" {
		delete(e.urls, m.URLKey)
	}
	if m.Family != familyPermanent {
		return
	}
	l := e.libraryOf(m.Owner)
	g := libGroup(m.Kind)
	ids := l[g]
	i := sort.Search(len(ids), func(i int) bool { return e.st.Media[ids[i]].Seq >= m.Seq })
	if i < len(ids) && ids[i] == m.ID {
		l[g] = append(ids[:i:i], ids[i+1:]...)
	}
}

// rebuildIndex recomputes the derived indexes from e.st.
func (e *Emulator) rebuildIndex() {
	e.lib = map[string]library{}
	e.urls = map[string]string{}
	all := make([]*mediaRec, 0, len(e.st.Media))
	for _, m := range e.st.Media {
		all = append(all, m)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	for _, m := range all {
		e.indexAdd(m)
	}
}

func (e *Emulator) nextSeq() int64 {
	e.st.Seq++
	return e.st.Seq
}
