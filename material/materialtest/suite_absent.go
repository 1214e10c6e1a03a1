package materialtest

import (
	"fmt"

	"github.com/wxmaterial/wxmaterial/material"
)

// lacksLibrary checks a WeCom implementation: it has no permanent library,
// and if it has the methods anyway (as the Fake does), they refuse with
// material.ErrUnsupported.
func (s *suite) lacksLibrary(t tb) {
	l, ok := s.env(t).Service.(material.Library)
	if !ok {
		t.Skipf("%s has no permanent library, and the implementation has none", s.p)
	}
	ctx := t.Context()
	src, _ := sourceOf(material.KindImage, 0)
	video, _ := sourceOf(material.KindVideo, 0)
	_, err := l.Add(ctx, material.KindImage, src)
	wantErr(t, "Add", err, material.ErrUnsupported)
	_, err = l.AddVideo(ctx, video, material.VideoDescription{Title: "t"})
	wantErr(t, "AddVideo", err, material.ErrUnsupported)
	_, err = l.Get(ctx, "some-id")
	wantErr(t, "Get", err, material.ErrUnsupported)
	wantErr(t, "Delete", l.Delete(ctx, "some-id"), material.ErrUnsupported)
	_, err = l.Count(ctx)
	wantErr(t, "Count", err, material.ErrUnsupported)
	_, err = l.BatchGet(ctx, material.KindImage, 0, 1)
	wantErr(t, "BatchGet", err, material.ErrUnsupported)
	r := walk(l.List(ctx, material.KindImage), 0, nil)
	r.checkRules(t, "List")
	wantErr(t, "List", r.err, material.ErrUnsupported)
}

// lacksURLUploader checks an Official Account implementation: it has no
// upload by URL, and if it has the methods anyway, they refuse with
// material.ErrUnsupported.
func (s *suite) lacksURLUploader(t tb) {
	u, ok := s.env(t).Service.(material.URLUploader)
	if !ok {
		t.Skipf("%s has no upload by URL, and the implementation has none", s.p)
	}
	ctx := t.Context()
	req := material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: "http://example.com/a.bin", MD5: fmt.Sprintf("%032x", 0)}
	_, err := u.UploadByURL(ctx, req)
	wantErr(t, "UploadByURL", err, material.ErrUnsupported)
	_, err = u.UploadByURLResult(ctx, "some-job")
	wantErr(t, "UploadByURLResult", err, material.ErrUnsupported)
	_, err = u.WaitUploadByURL(ctx, "some-job")
	wantErr(t, "WaitUploadByURL", err, material.ErrUnsupported)
}
