package hostile_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// TestReadsRefuseRepliesWithoutTheirFields: a success reply to a read that
// lacks the fields every success of that call holds is an error naming
// them, never an empty page, zero counts or a job with no state; the read
// is not sent again (the server answered in full).
func TestReadsRefuseRepliesWithoutTheirFields(t *testing.T) {
	reads := []struct {
		name string
		path string
		call func(ctx context.Context, c *clients) error
		// replies maps a body to the fields the error must name.
		replies map[string]string
	}{
		{name: "OA Count", path: "/cgi-bin/material/get_materialcount",
			call: func(ctx context.Context, c *clients) error { _, err := c.oa.Count(ctx); return err },
			replies: map[string]string{
				`{}`:                          "voice_count, video_count, image_count, news_count",
				`{"errcode":0,"errmsg":"ok"}`: "voice_count, video_count, image_count, news_count",
				`{"hello":"world"}`:           "voice_count, video_count, image_count, news_count",
				`{"voice_count":1,"video_count":2,"image_count":null,"news_count":4}`: "image_count",
			}},
		{name: "OA BatchGet", path: "/cgi-bin/material/batchget_material",
			call: func(ctx context.Context, c *clients) error {
				_, err := c.oa.BatchGet(ctx, material.KindImage, 0, 20)
				return err
			},
			replies: map[string]string{
				`{}`:                               "total_count, item_count, item",
				`{"errcode":0,"errmsg":"ok"}`:      "total_count, item_count, item",
				`{"hello":"world"}`:                "total_count, item_count, item",
				`{"total_count":3,"item_count":0}`: "item",
				`{"total_count":3,"item_count":0,"item":null}`: "item",
			}},
		{name: "OA List", path: "/cgi-bin/material/batchget_material",
			call: func(ctx context.Context, c *clients) error {
				for _, err := range c.oa.List(ctx, material.KindImage) {
					if err != nil {
						return err
					}
				}
				return nil
			},
			replies: map[string]string{`{}`: "total_count, item_count, item"}},
		{name: "OA Get", path: "/cgi-bin/material/get_material",
			call: func(ctx context.Context, c *clients) error { _, err := c.oa.Get(ctx, "P1"); return err },
			replies: map[string]string{
				`{}`:                              "news_item, nor a video's title and down_url",
				`{"errcode":0,"errmsg":"ok"}`:     "news_item, nor a video's title and down_url",
				`{"hello":"world"}`:               "news_item, nor a video's title and down_url",
				`{"title":"t","description":"d"}`: "down_url",
				`{"down_url":"http://x/v.mp4"}`:   "title",
				`{"news_item":[]}`:                "article in news_item",
			}},
		{name: "OA Download", path: "/cgi-bin/media/get",
			call: func(ctx context.Context, c *clients) error { return closeContent(c.oa.Download(ctx, "M1")) },
			replies: map[string]string{
				`{}`:                          "video_url",
				`{"errcode":0,"errmsg":"ok"}`: "video_url",
				`{"video_url":""}`:            "video_url",
			}},
		{name: "WeCom UploadByURLResult", path: "/cgi-bin/media/get_upload_by_url_result",
			call: func(ctx context.Context, c *clients) error { _, err := c.work.UploadByURLResult(ctx, "J1"); return err },
			replies: map[string]string{
				`{}`:                          "status",
				`{"errcode":0,"errmsg":"ok"}`: "status",
				`{"errcode":0,"errmsg":"ok","status":null,"detail":{}}`: "status",
			}},
	}
	for _, rd := range reads {
		for body, fields := range rd.replies {
			t.Run(rd.name+"/"+body, func(t *testing.T) {
				s := newServer(t)
				s.api = func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, body)
				}
				c := newClients(t, s, clientOptions{})
				err := rd.call(t.Context(), c)
				var apiErr *material.APIError
				if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "the reply has no "+fields+": ") {
					t.Errorf("err = %v, want an APIError saying the reply has no %s", err, fields)
				}
				if n := s.count(rd.path); n != 1 {
					t.Errorf("%s received %d requests, want 1", rd.path, n)
				}
			})
		}
	}
}
