package materialtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"

	"github.com/wxmaterial/wxmaterial/material"
)

// Upload stores src as temporary media of kind for three days, after the
// checks a client makes before sending: material.RuleFor and
// Rule.Prepare for the platform's temporary API.
func (f *Fake) Upload(ctx context.Context, kind material.Kind, src material.Source) (m material.Media, err error) {
	c := f.call("Upload")
	c.Kind, c.Name, c.Size = kind, src.Name(), src.Size()
	defer func() { c.MediaID = m.ID; f.done(c, err) }()

	s, err := f.receive(ctx, &c, material.APITemporary, kind, src)
	if err != nil {
		return material.Media{}, wrap("upload", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s.id = f.newID("fake-%s-%d", kind)
	s.created = f.createdAt()
	f.temp[s.id] = s
	return material.TemporaryMedia(s.id, kind, s.created), nil
}

// UploadImage checks src against the platform's rule for images in rich
// text and answers a link on materialtest.invalid. Nothing is stored and no
// library count changes.
func (f *Fake) UploadImage(ctx context.Context, src material.Source) (url string, err error) {
	c := f.call("UploadImage")
	c.Kind, c.Name, c.Size = material.KindImage, src.Name(), src.Size()
	defer func() { f.done(c, err) }()

	s, err := f.receive(ctx, &c, material.APIImage, material.KindImage, src)
	if err != nil {
		return "", wrap("upload image", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.link("uploadimg", f.newID("img-%d"), extOf(s)), nil
}

// Download streams temporary media from memory. As on the platforms, the
// Content's name is "<media id>.<ext>" on the Official Account and the
// uploaded file name on WeCom; an Official Account video comes as a link
// (Content.URL) with an empty body. An unknown or expired id is errcode
// 40007 (material.ErrNotFound).
func (f *Fake) Download(ctx context.Context, mediaID string) (content *material.Content, err error) {
	c := f.call("Download")
	c.MediaID = mediaID
	defer func() { f.done(c, err) }()

	s, err := f.find(ctx, c, opGetMedia)
	if err != nil {
		return nil, wrap("download", err)
	}
	if f.platform == material.OfficialAccount && s.kind == material.KindVideo {
		return &material.Content{Size: -1, URL: f.link("video", s.id, ".mp4"), Body: http.NoBody}, nil
	}
	name := s.name
	if f.platform == material.OfficialAccount {
		name = s.id + extOf(s)
	}
	return newContent(name, s.contentType, s.data), nil
}

// DownloadHDVoice streams a temporary voice as the platforms' get/jssdk
// does: named "<media id>.speex", typed voice/speex. The Fake does not
// transcode: the bytes are those uploaded. Any other id is errcode 40007.
func (f *Fake) DownloadHDVoice(ctx context.Context, mediaID string) (content *material.Content, err error) {
	c := f.call("DownloadHDVoice")
	c.MediaID = mediaID
	defer func() { f.done(c, err) }()

	s, err := f.find(ctx, c, opGetHDVoice)
	if err == nil && s.kind != material.KindVoice {
		err = f.notFound(opGetHDVoice)
	}
	if err != nil {
		return nil, wrap("download HD voice", err)
	}
	return newContent(s.id+".speex", material.FormatSpeex.MIMEType(), s.data), nil
}

// receive does what a client does with a Source before and while sending
// it: the rule of the platform's api for kind, Rule.Prepare (which spools a
// stream of unknown size and validates), then reads the bytes as the
// platform would and asks the reactors. It fills c.Size.
func (f *Fake) receive(ctx context.Context, c *Call, api material.API, kind material.Kind, src material.Source) (*stored, error) {
	rule, err := material.RuleFor(f.platform, api, kind)
	if err != nil {
		return nil, err
	}
	src, cleanup, err := rule.Prepare(src)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	c.Size = src.Size()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := readExactly(src)
	if err != nil {
		return nil, err
	}
	if err := f.react(*c); err != nil {
		return nil, err
	}
	ct := material.DetectFormat(data).MIMEType()
	if ct == "" {
		ct = src.ContentType()
	}
	return &stored{kind: kind, name: src.Name(), contentType: ct, data: data}, nil
}

// readExactly reads a Source that must yield exactly its size, as a
// request body with that Content-Length must.
func readExactly(src material.Source) ([]byte, error) {
	rc, err := src.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, src.Size()+1))
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", src.Name(), err)
	}
	if int64(len(data)) != src.Size() {
		return nil, &material.ValidationError{Name: src.Name(), Field: "size",
			Problem: fmt.Sprintf("the source yielded %d bytes, not the %d it declared", len(data), src.Size()), Err: []error{material.ErrInvalidInput}}
	}
	return data, nil
}

// find looks up temporary media for a call of op, after the reactors.
func (f *Fake) find(ctx context.Context, c Call, op string) (*stored, error) {
	if c.MediaID == "" {
		return nil, f.missing("media_id")
	}
	if err := f.reach(ctx, c); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.temporary(c.MediaID); s != nil {
		return s, nil
	}
	return nil, f.notFound(op)
}

// temporary returns the live temporary media id, forgetting it once it has
// expired; f.mu is held.
func (f *Fake) temporary(id string) *stored {
	s := f.temp[id]
	if s == nil {
		return nil
	}
	if !f.now().Before(s.created.Add(material.TemporaryLifetime)) {
		delete(f.temp, id)
		return nil
	}
	return s
}

// newContent streams data from memory. The stored slice is never changed,
// so readers need no copy.
func newContent(name, contentType string, data []byte) *material.Content {
	return &material.Content{Name: name, ContentType: contentType, Size: int64(len(data)), Body: io.NopCloser(bytes.NewReader(data))}
}

// extOf returns the file extension the platform would give s: its format's,
// else its name's.
func extOf(s *stored) string {
	if ext := material.DetectFormat(s.data).Extension(); ext != "" {
		return ext
	}
	return path.Ext(s.name)
}
