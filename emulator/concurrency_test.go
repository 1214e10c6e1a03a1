package emulator_test

import (
	"fmt"
	"sync"
	"testing"
)

// 32 goroutines upload, list and delete at once; the counts must agree.
func TestConcurrentUploadListDelete(t *testing.T) {
	v := newEnv(t)
	tok := v.oaToken()
	wk := v.workToken()
	img := pngBytes(t, 4, 4)
	const workers, perWorker = 32, 3
	var wg sync.WaitGroup
	errs := make(chan error, workers*10)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string
			for i := range perWorker {
				body, ct := multipartBodyNoT(part{name: "media", filename: fmt.Sprintf("w%d-%d.png", w, i), data: img})
				o, err := postMultipart(v.client, withToken(v.oa+"/cgi-bin/material/add_material", tok, "type", "image"), ct, body)
				if err != nil || o.code() != 0 {
					errs <- fmt.Errorf("worker %d add: %v %v", w, err, o)
					return
				}
				mine = append(mine, o.str("media_id"))
			}
			if o, err := postJSONNoT(v.client, withToken(v.oa+"/cgi-bin/material/batchget_material", tok),
				map[string]any{"type": "image", "offset": 0, "count": 20}); err != nil || o.code() != 0 {
				errs <- fmt.Errorf("worker %d list: %v %v", w, err, o)
			}
			if o, err := postJSONNoT(v.client, withToken(v.oa+"/cgi-bin/material/del_material", tok),
				map[string]any{"media_id": mine[0]}); err != nil || o.code() != 0 {
				errs <- fmt.Errorf("worker %d delete: %v %v", w, err, o)
			}
			body, ct := multipartBodyNoT(part{name: "media", filename: "f.txt", data: []byte("temporary file")})
			if o, err := postMultipart(v.client, withToken(v.work+"/cgi-bin/media/upload", wk, "type", "file"), ct, body); err != nil || o.code() != 0 {
				errs <- fmt.Errorf("worker %d WeCom upload: %v %v", w, err, o)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := workers * (perWorker - 1)
	if c := v.e.LibraryCounts(appID); c.Image != want {
		t.Errorf("LibraryCounts.Image = %d, want %d", c.Image, want)
	}
	count := v.getJSON(withToken(v.oa+"/cgi-bin/material/get_materialcount", tok))
	if count.num("image_count") != int64(want) {
		t.Errorf("get_materialcount image_count %v, want %d", count["image_count"], want)
	}
	seen := map[string]bool{}
	for off := 0; ; off += 20 {
		page := v.postJSON(withToken(v.oa+"/cgi-bin/material/batchget_material", tok), map[string]any{"type": "image", "offset": off, "count": 20})
		if page.num("total_count") != int64(want) {
			t.Fatalf("total_count %v, want %d", page["total_count"], want)
		}
		items := page.list("item")
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			if seen[it.str("media_id")] {
				t.Errorf("media %s listed twice", it.str("media_id"))
			}
			seen[it.str("media_id")] = true
		}
	}
	if len(seen) != want {
		t.Errorf("listed %d distinct items, want %d", len(seen), want)
	}
}
