package materialtest

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/wxmaterial/wxmaterial/material"
)

// Add adds an image, voice or thumb to the Official Account permanent
// library after the checks of the platform's permanent API. A video needs
// AddVideo; news cannot be added any more (SeedNews puts one in). A full
// library answers errcode 45009 (material.ErrQuota); see WithLibraryCap.
func (f *Fake) Add(ctx context.Context, kind material.Kind, src material.Source) (m material.Media, err error) {
	c := f.call("Add")
	c.Kind, c.Name, c.Size = kind, src.Name(), src.Size()
	defer func() { c.MediaID = m.ID; f.done(c, err) }()

	if err := f.needLibrary(); err != nil {
		return material.Media{}, wrap("add", err)
	}
	if kind == material.KindVideo {
		return material.Media{}, wrap("add", &material.ValidationError{Platform: f.platform, API: material.APIPermanent, Kind: kind, Name: src.Name(),
			Field: "kind", Problem: "a video needs a title and an introduction: use AddVideo", Err: []error{material.ErrInvalidInput}})
	}
	m, err = f.add(ctx, &c, kind, src, material.VideoDescription{})
	return m, wrap("add", err)
}

// AddVideo adds a video with its description to the permanent library.
func (f *Fake) AddVideo(ctx context.Context, src material.Source, desc material.VideoDescription) (m material.Media, err error) {
	c := f.call("AddVideo")
	c.Kind, c.Name, c.Size = material.KindVideo, src.Name(), src.Size()
	defer func() { c.MediaID = m.ID; f.done(c, err) }()

	m, err = f.add(ctx, &c, material.KindVideo, src, desc)
	return m, wrap("add video", err)
}

func (f *Fake) add(ctx context.Context, c *Call, kind material.Kind, src material.Source, desc material.VideoDescription) (material.Media, error) {
	if err := f.needLibrary(); err != nil {
		return material.Media{}, err
	}
	s, err := f.receive(ctx, c, material.APIPermanent, kind, src)
	if err != nil {
		return material.Media{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	lk := listKind(kind)
	if len(f.order[lk]) >= f.caps[lk] {
		return material.Media{}, f.apiError(opAddMaterial, 45009, fmt.Sprintf("reach max limit: the library holds %d %s items", f.caps[lk], lk))
	}
	s.id = f.newID("fake-lib-%s-%d", kind)
	s.created = f.createdAt()
	s.video = desc
	if kind == material.KindImage {
		s.url = f.link("image", s.id, extOf(s))
	}
	f.store(s)
	return material.Media{ID: s.id, Kind: kind, CreatedAt: s.created, URL: s.url}, nil
}

// store puts s in the library; f.mu is held.
func (f *Fake) store(s *stored) {
	lk := listKind(s.kind)
	f.lib[s.id] = s
	f.order[lk] = append(f.order[lk], s.id)
}

// SeedNews puts a news item with these articles in the permanent library,
// as one made before news could no longer be added, and returns its media
// id. Seeding records no call and ignores the cap. It panics on a WeCom Fake
// or without articles.
func (f *Fake) SeedNews(articles ...material.Article) (mediaID string) {
	if f.platform != material.OfficialAccount || len(articles) == 0 {
		panic("materialtest: SeedNews needs an Official Account Fake and at least one article")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &stored{kind: material.KindNews, news: slices.Clone(articles), created: f.createdAt()}
	s.id = f.newID("fake-lib-news-%d")
	f.store(s)
	return s.id
}

// Get returns a permanent item: an image, voice or thumb as Content (the
// Asset's Kind is "", as the platform's reply does not say), a video's
// description and link, or a news item's articles. A temporary id, like an
// unknown one, is errcode 40007.
func (f *Fake) Get(ctx context.Context, mediaID string) (a *material.Asset, err error) {
	c := f.call("Get")
	c.MediaID = mediaID
	defer func() { f.done(c, err) }()

	s, err := f.permanent(ctx, c, opGetMaterial)
	if err != nil {
		return nil, wrap("get", err)
	}
	a = &material.Asset{MediaID: s.id}
	switch s.kind {
	case material.KindNews:
		a.Kind, a.News = material.KindNews, slices.Clone(s.news)
	case material.KindVideo:
		a.Kind = material.KindVideo
		a.Video = &material.Video{Title: s.video.Title, Description: s.video.Introduction, DownURL: f.link("video", s.id, ".mp4")}
	default:
		a.Content = newContent(s.name, s.contentType, s.data)
	}
	return a, nil
}

// Delete removes a permanent item. A temporary, unknown or already deleted
// id is errcode 40007.
func (f *Fake) Delete(ctx context.Context, mediaID string) (err error) {
	c := f.call("Delete")
	c.MediaID = mediaID
	defer func() { f.done(c, err) }()

	s, err := f.permanent(ctx, c, opDelMaterial)
	if err != nil {
		return wrap("delete", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lib[s.id] == nil { // deleted meanwhile
		return wrap("delete", f.notFound(opDelMaterial))
	}
	delete(f.lib, s.id)
	lk := listKind(s.kind)
	f.order[lk] = slices.DeleteFunc(f.order[lk], func(id string) bool { return id == s.id })
	return nil
}

// Count returns the library's sizes; thumbs count as images.
func (f *Fake) Count(ctx context.Context) (counts material.Counts, err error) {
	c := f.call("Count")
	defer func() { f.done(c, err) }()

	if err := f.toLibrary(ctx, c); err != nil {
		return material.Counts{}, wrap("count", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return material.Counts{
		Image: len(f.order[material.KindImage]),
		Voice: len(f.order[material.KindVoice]),
		Video: len(f.order[material.KindVideo]),
		News:  len(f.order[material.KindNews]),
	}, nil
}

// BatchGet returns count (1 to material.MaxPageSize) items of a kind from
// offset, oldest first; thumbs are listed with images. A count out of range
// or a negative offset is refused as a client does (material.ErrInvalidInput);
// a kind batchget does not take (file, thumb) is material.ErrUnsupported.
func (f *Fake) BatchGet(ctx context.Context, kind material.Kind, offset, count int) (page *material.Page, err error) {
	c := f.call("BatchGet")
	c.Kind, c.Offset, c.Count = kind, offset, count
	defer func() { f.done(c, err) }()

	bad := func(field, problem string, sentinel error) (*material.Page, error) {
		return nil, wrap("batch get", &material.ValidationError{Platform: f.platform, Kind: kind, Field: field, Problem: problem, Err: []error{sentinel}})
	}
	switch {
	case f.platform != material.OfficialAccount:
		return nil, wrap("batch get", f.needLibrary())
	case count < 1 || count > material.MaxPageSize:
		return bad("count", fmt.Sprintf("count %d is out of range: 1 to %d", count, material.MaxPageSize), material.ErrInvalidInput)
	case offset < 0:
		return bad("offset", fmt.Sprintf("offset %d is negative", offset), material.ErrInvalidInput)
	case listKind(kind) != kind:
		return bad("kind", "batchget lists image (thumbs included), voice, video and news", material.ErrUnsupported)
	}
	if err := f.toLibrary(ctx, c); err != nil {
		return nil, wrap("batch get", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.order[kind]
	page = &material.Page{Kind: kind, Offset: offset, Total: len(ids), Items: []material.Item{}}
	for _, id := range ids[min(offset, len(ids)):min(offset+count, len(ids))] {
		s := f.lib[id]
		it := material.Item{MediaID: s.id, Kind: kind, UpdatedAt: s.created}
		if kind == material.KindNews {
			it.News = slices.Clone(s.news)
		} else {
			it.Name, it.URL = s.name, s.url
		}
		page.Items = append(page.Items, it)
	}
	return page, nil
}

// List iterates over the items of a kind with BatchGet, a full page at a
// time; each page is recorded as a BatchGet call.
func (f *Fake) List(ctx context.Context, kind material.Kind) iter.Seq2[material.Item, error] {
	return func(yield func(material.Item, error) bool) {
		c := f.call("List")
		c.Kind = kind
		err := f.needLibrary()
		if err == nil {
			err = f.react(c)
		}
		f.done(c, err)
		if err != nil {
			yield(material.Item{}, wrap("list", err))
			return
		}
		pages(ctx, kind, f.BatchGet)(yield)
	}
}

// pages iterates over the items of a kind with get, material.MaxPageSize at
// a time, without goroutines. It yields an error once and stops; it stops
// on an empty page whatever the total says, and after the total.
func pages(ctx context.Context, kind material.Kind, get func(ctx context.Context, kind material.Kind, offset, count int) (*material.Page, error)) iter.Seq2[material.Item, error] {
	return func(yield func(material.Item, error) bool) {
		for offset := 0; ; {
			page, err := get(ctx, kind, offset, material.MaxPageSize)
			if err != nil {
				yield(material.Item{}, err)
				return
			}
			for _, it := range page.Items {
				if !yield(it, nil) {
					return
				}
			}
			offset += len(page.Items)
			if len(page.Items) == 0 || offset >= page.Total {
				return
			}
		}
	}
}

// permanent looks up a library item for a call of op, after the reactors.
func (f *Fake) permanent(ctx context.Context, c Call, op string) (*stored, error) {
	if err := f.needLibrary(); err != nil {
		return nil, err
	}
	if c.MediaID == "" {
		return nil, f.missing("media_id")
	}
	if err := f.toLibrary(ctx, c); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.lib[c.MediaID]; s != nil {
		return s, nil
	}
	return nil, f.notFound(op)
}

// toLibrary makes a call reach the library: the flavour, ctx, the reactors.
func (f *Fake) toLibrary(ctx context.Context, c Call) error {
	if err := f.needLibrary(); err != nil {
		return err
	}
	return f.reach(ctx, c)
}

// needLibrary refuses the library methods of a WeCom Fake.
func (f *Fake) needLibrary() error {
	if f.platform != material.OfficialAccount {
		return f.lacks(material.APIPermanent, "permanent library")
	}
	return nil
}

// listKind is the kind a library item of kind k is counted and listed as,
// or "" when the library has no such kind.
func listKind(k material.Kind) material.Kind {
	switch k {
	case material.KindImage, material.KindThumb:
		return material.KindImage
	case material.KindVoice, material.KindVideo, material.KindNews:
		return k
	}
	return ""
}
