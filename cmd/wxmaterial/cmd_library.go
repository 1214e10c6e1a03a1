package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// libraryKinds are the kinds batchget_material lists; thumbs are listed
// with images.
var libraryKinds = []material.Kind{material.KindImage, material.KindVoice, material.KindVideo, material.KindNews}

// listedItem is one library item as list prints it.
type listedItem struct {
	MediaID   string             `json:"media_id"`
	Kind      material.Kind      `json:"kind"`
	Name      string             `json:"name,omitempty"`
	URL       string             `json:"url,omitempty"`
	UpdatedAt time.Time          `json:"updated_at"`
	News      []material.Article `json:"news_item,omitempty"`
}

// parseLibraryKind reads a --kind value for the library ("" is every kind).
func parseLibraryKind(s string) ([]material.Kind, error) {
	if s == "" {
		return libraryKinds, nil
	}
	k, err := material.ParseKind(s)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	switch k {
	case material.KindThumb:
		return nil, usagef("thumbs are listed with images: use --kind image")
	case material.KindFile:
		return nil, usagef("the permanent library has no files; kinds: image, voice, video, news")
	}
	return []material.Kind{k}, nil
}

// runList is "wxmaterial list".
func runList(ctx context.Context, a *app, args []string) error {
	fs := a.flags("list")
	kindFlag := fs.String("kind", "", "list only this `kind`: image (thumbs included), voice, video or news")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	kinds, err := parseLibraryKind(*kindFlag)
	if err != nil {
		return err
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	lib, err := b.library("list")
	if err != nil {
		return err
	}
	items := []listedItem{}
	for _, k := range kinds {
		for it, err := range lib.List(ctx, k) {
			if err != nil {
				return fmt.Errorf("list %s: %w", k, err)
			}
			items = append(items, listedItem{MediaID: it.MediaID, Kind: it.Kind, Name: it.Name, URL: it.URL, UpdatedAt: it.UpdatedAt, News: it.News})
		}
	}
	return a.emit(items, func(w io.Writer) {
		row(w, "KIND", "MEDIA ID", "UPDATED", "NAME")
		for _, it := range items {
			row(w, string(it.Kind), it.MediaID, stamp(it.UpdatedAt), displayName(it.Kind, it.Name, it.News))
		}
	})
}

// displayName names an item for people: its file name, or a news item's
// first title and how many articles follow.
func displayName(k material.Kind, name string, news []material.Article) string {
	if k != material.KindNews || len(news) == 0 {
		return name
	}
	s := fmt.Sprintf("%q", news[0].Title)
	if len(news) > 1 {
		s += fmt.Sprintf(" (+%d more %s)", len(news)-1, plural(len(news)-1, "article"))
	}
	return s
}

// runCount is "wxmaterial count".
func runCount(ctx context.Context, a *app, args []string) error {
	fs := a.flags("count")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	lib, err := b.library("count")
	if err != nil {
		return err
	}
	c, err := lib.Count(ctx)
	if err != nil {
		return err
	}
	return a.emit(c, func(w io.Writer) {
		fmt.Fprintf(w, "image\t%d\nvoice\t%d\nvideo\t%d\nnews\t%d\n", c.Image, c.Voice, c.Video, c.News)
	})
}

// deleteResult is the outcome of delete.
type deleteResult struct {
	Deleted []string          `json:"deleted"`
	Failed  map[string]string `json:"failed,omitempty"`
}

// runDelete is "wxmaterial delete".
func runDelete(ctx context.Context, a *app, args []string) error {
	fs := a.flags("delete")
	ids, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usagef("no media id given")
	}
	b, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer b.Close()
	lib, err := b.library("delete")
	if err != nil {
		return err
	}
	res := deleteResult{Deleted: []string{}}
	var errs []error
	for _, id := range ids {
		if err := lib.Delete(ctx, id); err != nil {
			if ctx.Err() != nil {
				return err
			}
			if res.Failed == nil {
				res.Failed = map[string]string{}
			}
			res.Failed[id] = err.Error()
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		res.Deleted = append(res.Deleted, id)
	}
	if err := a.emit(res, func(w io.Writer) {
		for _, id := range res.Deleted {
			row(w, "deleted", id)
		}
	}); err != nil {
		return err
	}
	return errors.Join(errs...)
}
