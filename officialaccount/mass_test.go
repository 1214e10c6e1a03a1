package officialaccount_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

func TestUploadNews(t *testing.T) {
	e := newEnv(t, setup{})
	name, jpeg := sample(t, material.KindThumb)
	thumb, err := e.c.Upload(t.Context(), material.KindThumb, material.FromBytes(name, jpeg))
	if err != nil {
		t.Fatal(err)
	}
	articles := []material.Article{
		{Title: "One", ThumbMediaID: thumb.ID, Author: "A", Content: "<p>a &amp; b</p>", ContentSourceURL: "https://example.com/?x=1&y=2", ShowCoverPic: 1, NeedOpenComment: 1},
		{Title: "Two", ThumbMediaID: thumb.ID, Content: "<p>two</p>", Digest: "short"},
	}
	m, err := e.c.UploadNews(t.Context(), articles...)
	if err != nil {
		t.Fatalf("UploadNews: %v", err)
	}
	diff(t, "UploadNews", officialaccount.MassMedia{ID: m.ID, Kind: material.KindNews, CreatedAt: start}, m)
	rs := e.calls("/cgi-bin/media/uploadnews")
	diff(t, "wire", []wire{{Method: "POST", Path: "/cgi-bin/media/uploadnews"}}, wireOf(rs))
	var body struct {
		Articles []map[string]any `json:"articles"`
	}
	if err := json.Unmarshal(rs[0].JSON, &body); err != nil {
		t.Fatal(err)
	}
	diff(t, "first article on the wire", map[string]any{
		"title": "One", "thumb_media_id": thumb.ID, "author": "A", "content": "<p>a &amp; b</p>",
		"content_source_url": "https://example.com/?x=1&y=2", "show_cover_pic": 1.0, "need_open_comment": 1.0, "only_fans_can_comment": 0.0,
	}, body.Articles[0])
	if info, ok := e.emu.Media(m.ID); !ok || info.Family != "mass" || len(info.Articles) != 2 {
		t.Errorf("the emulator holds %+v, want mass news of 2 articles", info)
	}
}

func TestUploadNewsRefused(t *testing.T) {
	ok := material.Article{Title: "t", ThumbMediaID: "thumb", Content: "c"}
	tests := []struct {
		name     string
		articles []material.Article
	}{
		{name: "none"},
		{name: "nine", articles: []material.Article{ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{name: "no title", articles: []material.Article{ok, {ThumbMediaID: "thumb", Content: "c"}}},
		{name: "no content", articles: []material.Article{{Title: "t", ThumbMediaID: "thumb"}}},
		{name: "no thumb", articles: []material.Article{{Title: "t", Content: "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			_, err := e.c.UploadNews(t.Context(), tt.articles...)
			if !errors.Is(err, material.ErrInvalidInput) {
				t.Errorf("UploadNews: err = %v, want ErrInvalidInput", err)
			}
			if rs := e.business(); len(rs) != 0 {
				t.Errorf("%d calls sent, want none", len(rs))
			}
		})
	}
}

func TestUploadVideo(t *testing.T) {
	e := newEnv(t, setup{})
	name, mp4 := sample(t, material.KindVideo)
	v, err := e.c.Upload(t.Context(), material.KindVideo, material.FromBytes(name, mp4))
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.c.UploadVideo(t.Context(), v.ID, "Title", `Say "hi" & <bye>`)
	if err != nil {
		t.Fatalf("UploadVideo: %v", err)
	}
	diff(t, "UploadVideo", officialaccount.MassMedia{ID: m.ID, Kind: material.KindVideo, CreatedAt: start}, m)
	rs := e.calls("/cgi-bin/media/uploadvideo")
	diff(t, "wire", []wire{{Method: "POST", Path: "/cgi-bin/media/uploadvideo"}}, wireOf(rs))
	var body map[string]string
	if err := json.Unmarshal(rs[0].JSON, &body); err != nil {
		t.Fatal(err)
	}
	diff(t, "body", map[string]string{"media_id": v.ID, "title": "Title", "description": `Say "hi" & <bye>`}, body)

	_, err = e.c.UploadVideo(t.Context(), "no-such-video", "t", "d")
	if !errors.Is(err, material.ErrNotFound) {
		t.Errorf("UploadVideo(unknown id): err = %v, want ErrNotFound", err)
	}
}

// TestMassReplies: uploadnews and uploadvideo answer media_id; a reply
// without it (a thumb_media_id is not their id) leaves the outcome
// unknown, and a reply without type is of the kind the call makes.
func TestMassReplies(t *testing.T) {
	tests := []struct {
		name        string
		reply       string
		want        officialaccount.MassMedia
		wantUnknown bool
	}{
		{name: "whole", reply: `{"type":"news","media_id":"N1","created_at":1700000000}`, want: officialaccount.MassMedia{ID: "N1", Kind: material.KindNews, CreatedAt: time.Unix(1700000000, 0)}},
		{name: "without type", reply: `{"media_id":"N1","created_at":1700000000}`, want: officialaccount.MassMedia{ID: "N1", Kind: material.KindNews, CreatedAt: time.Unix(1700000000, 0)}},
		{name: "without created_at", reply: `{"type":"news","media_id":"N1"}`, want: officialaccount.MassMedia{ID: "N1", Kind: material.KindNews, CreatedAt: start}},
		{name: "a thumb_media_id only", reply: `{"type":"news","thumb_media_id":"T1","created_at":1700000000}`, wantUnknown: true},
		{name: "nothing", reply: `{"errcode":0,"errmsg":"ok"}`, wantUnknown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/cgi-bin/media/uploadnews") {
					return false
				}
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, tt.reply)
				return true
			})
			m, err := e.c.UploadNews(t.Context(), material.Article{Title: "t", ThumbMediaID: "T", Content: "c"})
			if tt.wantUnknown {
				if !errors.Is(err, material.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "the reply has no media_id") {
					t.Errorf("err = %v, want ErrOutcomeUnknown naming media_id", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "UploadNews", tt.want, m)
		})
	}
}
