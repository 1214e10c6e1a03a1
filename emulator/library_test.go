package emulator_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

func TestLibraryAddGetDelete(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	add := func(typ string, parts ...part) obj {
		return v.upload(withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", typ), parts...)
	}
	jpg := jpegBytes(t, 16, 16)
	img := add("image", file("photo.jpg", jpg))
	wantCode(t, img, 0)
	if img.str("media_id") == "" || img.str("url") == "" {
		t.Fatalf("add image: %v", img)
	}
	if resp, b := v.get(img.str("url")); resp.StatusCode != 200 || !bytes.Equal(b, jpg) {
		t.Errorf("image url: HTTP %d", resp.StatusCode)
	}

	// A video needs the description form field.
	vid := mp4Bytes(3000)
	wantCode(t, add("video", file("clip.mp4", vid)), emulator.CodeVideoDescriptionMissing)
	wantCode(t, add("video", file("clip.mp4", vid), part{name: "description", data: []byte("not json")}), emulator.CodeVideoDescriptionMissing)
	video := add("video", file("clip.mp4", vid), part{name: "description", data: []byte(`{"title":"A \"quoted\" <title>","introduction":"intro"}`)})
	wantCode(t, video, 0)
	if u, ok := video["url"]; !ok || u != "" {
		t.Errorf("video add_material: %v, want an empty url", video)
	}

	get := func(id string) obj {
		return v.postJSON(withToken(v.oa+"/cgi-bin/material/get_material", tok), map[string]string{"media_id": id})
	}
	g := get(video.str("media_id"))
	if g.str("title") != `A "quoted" <title>` || g.str("description") != "intro" || g.str("down_url") == "" {
		t.Errorf("get video: %v", g)
	}
	if resp, b := v.get(g.str("down_url")); resp.StatusCode != 200 || !bytes.Equal(b, vid) {
		t.Errorf("down_url: HTTP %d", resp.StatusCode)
	}
	b, err := v.e.SeedNews(appID, emulator.Article{Title: "News", ThumbMediaID: img.str("media_id"), Content: "<p>x</p>", ShowCoverPic: 1})
	must(t, err)
	n := get(b)
	items := n.list("news_item")
	if len(items) != 1 || items[0].str("title") != "News" || items[0].num("show_cover_pic") != 1 || items[0].str("url") == "" {
		t.Errorf("get news: %v", n)
	}
	body, _ := marshal(t, map[string]string{"media_id": img.str("media_id")})
	resp, raw := v.post(withToken(v.oa+"/cgi-bin/material/get_material", tok), "application/json", body)
	if resp.StatusCode != 200 || !bytes.Equal(raw, jpg) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("get image: HTTP %d, %d bytes, %s", resp.StatusCode, len(raw), resp.Header.Get("Content-Type"))
	}

	// Temporary ids are refused by permanent APIs, and vice versa.
	temp := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "image"), file("t.jpg", jpg)).str("media_id")
	wantCode(t, get(temp), 40007)
	wantCode(t, v.postJSON(withToken(v.oa+"/cgi-bin/material/del_material", tok), map[string]string{"media_id": temp}), 40007)
	wantCode(t, v.getJSON(withToken(v.oa+"/cgi-bin/media/get", tok, "media_id", img.str("media_id"))), 40007)
	wantCode(t, get(""), 41006)

	counts := v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok))
	if counts.num("image_count") != 1 || counts.num("video_count") != 1 || counts.num("news_count") != 1 || counts.num("voice_count") != 0 {
		t.Errorf("counts %v", counts)
	}
	del := v.postJSON(withToken(v.oa+"/cgi-bin/material/del_material", tok), map[string]string{"media_id": img.str("media_id")})
	if del.code() != 0 || del.str("errmsg") != "ok" {
		t.Errorf("del_material: %v", del)
	}
	wantCode(t, get(img.str("media_id")), 40007)
	if c := v.e.LibraryCounts(appID); c != (emulator.Counts{Video: 1, News: 1}) {
		t.Errorf("LibraryCounts after delete: %+v", c)
	}
	if resp, _ := v.get(img.str("url")); resp.StatusCode != 404 {
		t.Errorf("url of a deleted image: HTTP %d, want 404", resp.StatusCode)
	}
}

func TestBatchGet(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	var ids []string
	for i := range 25 {
		id, err := v.e.SeedPermanent(appID, "image", fmt.Sprintf("img%02d.png", i), pngBytes(t, 2, 2))
		must(t, err)
		ids = append(ids, id)
	}
	voice, err := v.e.SeedPermanent(appID, "voice", "v.mp3", mp3Bytes())
	must(t, err)
	_, err = v.e.SeedNews(appID, emulator.Article{Title: "one", ThumbMediaID: ids[0], Content: "c"},
		emulator.Article{Title: "two", ThumbMediaID: ids[1], Content: "c"})
	must(t, err)
	list := func(typ string, offset, count int) obj {
		return v.postJSON(withToken(v.oa+"/cgi-bin/material/batchget_material", tok),
			map[string]any{"type": typ, "offset": offset, "count": count})
	}
	// Newest first, 20 at most, stable across pages.
	var seen []string
	for off := 0; ; off += 20 {
		page := list("image", off, 20)
		wantCode(t, page, 0)
		if page.num("total_count") != 25 {
			t.Fatalf("total_count %v", page["total_count"])
		}
		items := page.list("item")
		if int(page.num("item_count")) != len(items) {
			t.Fatalf("item_count %v, %d items", page["item_count"], len(items))
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			if it.str("name") == "" || it.str("url") == "" || it.num("update_time") != epoch.Unix() {
				t.Errorf("image item %v", it)
			}
			seen = append(seen, it.str("media_id"))
		}
	}
	if len(seen) != 25 || seen[0] != ids[24] || seen[24] != ids[0] {
		t.Errorf("paging saw %d items, first %s last %s", len(seen), seen[0], seen[len(seen)-1])
	}
	vo := list("voice", 0, 5).list("item")
	if len(vo) != 1 || vo[0].str("media_id") != voice || vo[0].str("name") != "v.mp3" {
		t.Errorf("voice items %v", vo)
	}
	news := list("news", 0, 1).list("item")
	if len(news) != 1 {
		t.Fatalf("news items %v", news)
	}
	arts := news[0].obj("content").list("news_item")
	if len(arts) != 2 || arts[1].str("title") != "two" || arts[0].str("thumb_url") == "" || news[0].num("update_time") != epoch.Unix() {
		t.Errorf("news item %v", news[0])
	}
	wantCode(t, list("thumb", 0, 1), 40004)
	wantCode(t, list("image", 0, 0), emulator.CodeBadCount)
	wantCode(t, list("image", 0, 21), emulator.CodeBadCount)
	wantCode(t, list("image", -1, 1), emulator.CodeBadCount)
	if p := list("image", 100, 20); p.num("item_count") != 0 || p.num("total_count") != 25 {
		t.Errorf("past the end: %v", p)
	}
}

func TestLibraryCapsAndOfflineNews(t *testing.T) {
	q := emulator.DefaultQuotas()
	if q.LibraryImagesAndNews != 100000 || q.LibraryOther != 1000 {
		t.Fatalf("default caps %+v", q)
	}
	q.LibraryImagesAndNews, q.LibraryOther = 2, 1
	v := newEnv(t, emulator.WithQuotas(q))
	tok := v.oaToken()
	add := func(typ string, p part) int {
		return v.upload(withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", typ), p).code()
	}
	jpg := jpegBytes(t, 4, 4)
	if c := add("image", file("a.jpg", jpg)); c != 0 {
		t.Fatal(c)
	}
	if c := add("thumb", file("t.jpg", jpg)); c != 0 {
		t.Fatal(c)
	}
	if c := add("image", file("b.jpg", jpg)); c != emulator.CodeLibraryFull {
		t.Errorf("third image: %d, want %d", c, emulator.CodeLibraryFull)
	}
	if c := add("voice", file("v.amr", amrBytes(5))); c != 0 {
		t.Fatal(c)
	}
	if c := add("voice", file("v.amr", amrBytes(5))); c != emulator.CodeLibraryFull {
		t.Errorf("second voice: %d", c)
	}
	// uploadimg is outside the library: allowed even when full.
	o := v.upload(withToken(v.oa+"/cgi-bin/media/uploadimg", tok), file("body.png", pngBytes(t, 4, 4)))
	if o.code() != 0 || o.str("url") == "" {
		t.Errorf("uploadimg: %v", o)
	}
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/uploadimg", tok), file("a.gif", sized([]byte("GIF89a"), 50))), 40005)
	wantCode(t, v.upload(withToken(v.oa+"/cgi-bin/media/uploadimg", tok), file("a.jpg", sized(jpg, 1<<20))), 40009)
	if c := v.e.LibraryCounts(appID); c.Image != 2 || c.Voice != 1 {
		t.Errorf("counts %+v", c)
	}
	for _, p := range []string{"/cgi-bin/material/add_news", "/cgi-bin/material/update_news"} {
		wantCode(t, v.postJSON(withToken(v.oa+p, tok), map[string]any{"articles": []any{}}), 45106)
	}
}

func TestMassSendMaterial(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	thumb := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "thumb"), file("t.jpg", jpegBytes(t, 4, 4))).str("thumb_media_id")
	art := map[string]any{"title": "T", "thumb_media_id": thumb, "content": "<p>body</p>"}
	o := v.postJSON(withToken(v.oa+"/cgi-bin/media/uploadnews", tok), map[string]any{"articles": []any{art}})
	if o.str("type") != "news" || o.str("media_id") == "" || o.num("created_at") != epoch.Unix() {
		t.Errorf("uploadnews: %v", o)
	}
	nine := make([]any, 9)
	for i := range nine {
		nine[i] = art
	}
	wantCode(t, v.postJSON(withToken(v.oa+"/cgi-bin/media/uploadnews", tok), map[string]any{"articles": nine}), 45008)
	wantCode(t, v.postJSON(withToken(v.oa+"/cgi-bin/media/uploadnews", tok), map[string]any{"articles": []any{
		map[string]any{"title": "T", "thumb_media_id": "nope", "content": "c"}}}), 40007)
	wantCode(t, v.postJSON(withToken(v.oa+"/cgi-bin/media/uploadnews", tok), map[string]any{"articles": []any{
		map[string]any{"thumb_media_id": thumb, "content": "c"}}}), 44003)

	vid := v.upload(withToken(v.oa+"/cgi-bin/media/upload", tok, "type", "video"), file("v.mp4", mp4Bytes(100))).str("media_id")
	mv := v.postJSON(withToken(v.oa+"/cgi-bin/media/uploadvideo", tok), map[string]string{"media_id": vid, "title": "t", "description": "d"})
	if mv.str("type") != "video" || mv.str("media_id") == "" || mv.str("media_id") == vid {
		t.Errorf("uploadvideo: %v", mv)
	}
	wantCode(t, v.postJSON(withToken(v.oa+"/cgi-bin/media/uploadvideo", tok), map[string]string{"media_id": thumb}), 40007)
}
