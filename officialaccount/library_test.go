package officialaccount_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestAdd(t *testing.T) {
	tests := []struct {
		name    string
		kind    material.Kind
		wantURL bool
	}{
		{name: "image", kind: material.KindImage, wantURL: true},
		{name: "voice", kind: material.KindVoice},
		{name: "thumb", kind: material.KindThumb, wantURL: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			name, data := sample(t, tt.kind)
			m, err := e.c.Add(t.Context(), tt.kind, material.FromBytes(name, data))
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if got := m.URL != ""; got != tt.wantURL {
				t.Errorf("Add: URL %q, want one: %v", m.URL, tt.wantURL)
			}
			diff(t, "Media", material.Media{ID: m.ID, Kind: tt.kind, CreatedAt: start, URL: m.URL}, m)
			rs := e.calls("/cgi-bin/material/add_material")
			diff(t, "wire", []wire{{Method: "POST", Path: "/cgi-bin/material/add_material", Query: "type=" + string(tt.kind)}}, wireOf(rs))
			diff(t, "parts", []part{{FormName: "media", FileName: name, ContentType: material.FromBytes(name, data).ContentType(), Size: int64(len(data)), SHA256: sha(data)}}, partsOf(rs[0]))

			a, err := e.c.Get(t.Context(), m.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if a.Kind != "" || a.Content == nil || a.Video != nil || a.News != nil || a.MediaID != m.ID {
				t.Fatalf("Get = %+v, want the file's Content only", a)
			}
			sameBytes(t, "Get", readAll(t, a.Content), data)
			if a.Content.Name != name {
				t.Errorf("Get: Content.Name %q, want %q", a.Content.Name, name)
			}
			diff(t, "get wire", []wire{{Method: "POST", Path: "/cgi-bin/material/get_material"}}, wireOf(e.calls("/cgi-bin/material/get_material")))
			diff(t, "get body", `{"media_id":"`+m.ID+`"}`, string(e.calls("/cgi-bin/material/get_material")[0].JSON))
		})
	}
}

func TestAddVideo(t *testing.T) {
	e := newEnv(t, setup{})
	name, data := sample(t, material.KindVideo)
	desc := material.VideoDescription{Title: `"Q" & <A>`, Introduction: "第一行\nline two"}
	m, err := e.c.AddVideo(t.Context(), material.FromBytes(name, data), desc)
	if err != nil {
		t.Fatalf("AddVideo: %v", err)
	}
	diff(t, "Media", material.Media{ID: m.ID, Kind: material.KindVideo, CreatedAt: start}, m)
	rs := e.calls("/cgi-bin/material/add_material")
	diff(t, "wire", []wire{{Method: "POST", Path: "/cgi-bin/material/add_material", Query: "type=video"}}, wireOf(rs))
	diff(t, "parts", []part{
		{FormName: "description", Size: int64(len(rs[0].Parts[0].Value)), SHA256: rs[0].Parts[0].SHA256, Value: `{"title":"\"Q\" & <A>","introduction":"第一行\nline two"}`},
		{FormName: "media", FileName: name, ContentType: "video/mp4", Size: int64(len(data)), SHA256: sha(data)},
	}, partsOf(rs[0]), cmpopts.IgnoreFields(part{}, "ContentType"))

	a, err := e.c.Get(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if a.Kind != material.KindVideo || a.Video == nil || a.Content != nil {
		t.Fatalf("Get = %+v, want a video", a)
	}
	diff(t, "Get.Video", material.Video{Title: desc.Title, Description: desc.Introduction, DownURL: a.Video.DownURL}, *a.Video)
	c, err := e.c.DownloadURL(t.Context(), a.Video.DownURL)
	if err != nil {
		t.Fatalf("DownloadURL(down_url): %v", err)
	}
	sameBytes(t, "DownloadURL(down_url)", readAll(t, c), data)
}

// seedNews puts a news item of two articles with permanent thumbs in the
// library.
func seedNews(t *testing.T, e *env) (string, []material.Article) {
	t.Helper()
	_, jpeg := sample(t, material.KindThumb)
	thumb, err := e.emu.SeedPermanent(testAppID, "thumb", "cover.jpg", jpeg)
	if err != nil {
		t.Fatal(err)
	}
	articles := []material.Article{
		{Title: "One", ThumbMediaID: thumb, ShowCoverPic: 1, Author: "A", Digest: "d", Content: "<p>1 &amp; 2</p>", URL: "http://mp.weixin.qq.com/s/1", ContentSourceURL: "https://example.com/?a=1&b=2"},
		{Title: "二", ThumbMediaID: thumb, Content: "<p>2</p>", URL: "http://mp.weixin.qq.com/s/2"},
	}
	seeded := make([]emulator.Article, len(articles))
	for i, a := range articles {
		seeded[i] = emulator.Article{Title: a.Title, ThumbMediaID: a.ThumbMediaID, ShowCoverPic: a.ShowCoverPic, Author: a.Author,
			Digest: a.Digest, Content: a.Content, URL: a.URL, ContentSourceURL: a.ContentSourceURL}
	}
	id, err := e.emu.SeedNews(testAppID, seeded...)
	if err != nil {
		t.Fatal(err)
	}
	return id, articles
}

func TestGetNews(t *testing.T) {
	e := newEnv(t, setup{})
	id, articles := seedNews(t, e)
	a, err := e.c.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	diff(t, "Get(news)", &material.Asset{MediaID: id, Kind: material.KindNews, News: articles}, a)
}

func TestDeleteAndCount(t *testing.T) {
	e := newEnv(t, setup{})
	name, png := sample(t, material.KindImage)
	var ids []string
	for i := range 3 {
		id, err := e.emu.SeedPermanent(testAppID, "image", fmt.Sprintf("%d-%s", i, name), png)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	_, amr := sample(t, material.KindVoice)
	if _, err := e.emu.SeedPermanent(testAppID, "voice", "v.amr", amr); err != nil {
		t.Fatal(err)
	}
	seedNews(t, e) // a thumb (counted with images) and a news item

	n, err := e.c.Count(t.Context())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	diff(t, "Count", material.Counts{Image: 4, Voice: 1, News: 1}, n)

	if err := e.c.Delete(t.Context(), ids[1]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := e.emu.Media(ids[1]); ok {
		t.Errorf("the emulator still holds %s after Delete", ids[1])
	}
	n, err = e.c.Count(t.Context())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	diff(t, "Count after Delete", material.Counts{Image: 3, Voice: 1, News: 1}, n)
	diff(t, "wire", []wire{
		{Method: "GET", Path: "/cgi-bin/material/get_materialcount"},
		{Method: "POST", Path: "/cgi-bin/material/del_material"},
		{Method: "GET", Path: "/cgi-bin/material/get_materialcount"},
	}, wireOf(e.business()))
	diff(t, "delete body", `{"media_id":"`+ids[1]+`"}`, string(e.calls("/cgi-bin/material/del_material")[0].JSON))
}

func TestBatchGet(t *testing.T) {
	e := newEnv(t, setup{})
	_, png := sample(t, material.KindImage)
	var want []material.Item
	for i := range 3 {
		name := fmt.Sprintf("img-%d.png", i)
		id, err := e.emu.SeedPermanent(testAppID, "image", name, png)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		want = append([]material.Item{{MediaID: id, Kind: material.KindImage, Name: name, UpdatedAt: start.Add(time.Duration(i) * time.Minute)}}, want...) // newest first
	}
	newsID, articles := seedNews(t, e)

	p, err := e.c.BatchGet(t.Context(), material.KindImage, 1, 2)
	if err != nil {
		t.Fatalf("BatchGet: %v", err)
	}
	// The thumb seeded with the news item is listed as the newest image.
	ignoreURL := cmpopts.IgnoreFields(material.Item{}, "URL")
	diff(t, "BatchGet(image, 1, 2)", &material.Page{Kind: material.KindImage, Offset: 1, Total: 4, Items: want[:2]}, p, ignoreURL, cmpopts.EquateApproxTime(0))
	for _, it := range p.Items {
		if !strings.HasPrefix(it.URL, e.srv.URL) {
			t.Errorf("item %s: URL %q, want the image's link", it.MediaID, it.URL)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(e.calls("/cgi-bin/material/batchget_material")[0].JSON, &body); err != nil {
		t.Fatal(err)
	}
	diff(t, "batchget body", map[string]any{"type": "image", "offset": 1.0, "count": 2.0}, body)

	p, err = e.c.BatchGet(t.Context(), material.KindNews, 0, 20)
	if err != nil {
		t.Fatalf("BatchGet(news): %v", err)
	}
	if len(p.Items) != 1 || p.Items[0].MediaID != newsID || p.Items[0].Kind != material.KindNews {
		t.Fatalf("BatchGet(news) = %+v, want the news item", p.Items)
	}
	diff(t, "news articles", articles, p.Items[0].News, cmpopts.IgnoreFields(material.Article{}, "ThumbURL"))
	if p.Items[0].News[0].ThumbURL == "" {
		t.Errorf("BatchGet(news): no thumb_url")
	}
}
