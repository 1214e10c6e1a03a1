package materialtest

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxmaterial/wxmaterial/material"
)

func (s *suite) library(t tb) {
	if s.p != material.OfficialAccount {
		s.lacksLibrary(t)
		return
	}
	if _, ok := s.env(t).Service.(material.Library); !ok {
		t.Skipf("the implementation is not a material.Library: the permanent library is not tested")
	}
	t.Run("AddGet", s.addGet)
	t.Run("AddVideo", s.addVideo)
	t.Run("News", s.news)
	t.Run("UnknownID", s.libraryUnknownID)
	t.Run("Delete", s.delete)
	t.Run("Count", s.count)
	t.Run("UnsupportedKind", s.libraryUnsupportedKind)
	t.Run("TooLarge", s.libraryTooLarge)
	t.Run("BatchGet", s.batchGet)
	t.Run("ListComplete", s.listComplete)
	t.Run("ListTwice", s.listTwice)
	t.Run("ListBreak", s.listBreak)
	t.Run("ListError", s.listError)
	t.Run("ListUnsupportedKind", s.listUnsupportedKind)
}

// lib starts a fresh implementation and returns its Library.
func (s *suite) lib(t tb) (Env, material.Library) {
	t.Helper()
	e := s.env(t)
	l, ok := e.Service.(material.Library)
	if !ok {
		t.Fatalf("%T is not a material.Library", e.Service)
	}
	return e, l
}

// addN adds n images (variants from 1) and returns their ids in order.
func addN(t tb, l material.Library, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		src, _ := sourceOf(material.KindImage, i+1)
		m, err := l.Add(t.Context(), material.KindImage, src)
		if err != nil {
			t.Fatalf("Add(image %d of %d): %v", i+1, n, err)
		}
		ids[i] = m.ID
	}
	return ids
}

// addGet adds every file kind and gets each back, byte for byte.
func (s *suite) addGet(t tb) {
	_, l := s.lib(t)
	for i, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindThumb} {
		t.Run(string(k), func(t tb) {
			src, data := sourceOf(k, i+1)
			m, err := l.Add(t.Context(), k, src)
			if err != nil {
				t.Fatalf("Add(%s): %v", k, err)
			}
			checkPermanentMedia(t, fmt.Sprintf("Add(%s)", k), m, k)
			a, err := l.Get(t.Context(), m.ID)
			if err != nil {
				t.Fatalf("Get(%s %q): %v", k, m.ID, err)
			}
			if a == nil || a.Content == nil || a.Video != nil || a.News != nil {
				t.Fatalf("Get(%s) = %+v, want an Asset with Content only", k, a)
			}
			if a.MediaID != m.ID || (a.Kind != "" && a.Kind != k) {
				t.Errorf("Get(%s): MediaID %q, Kind %q; want %q and %q or \"\"", k, a.MediaID, a.Kind, m.ID, k)
			}
			sameBytes(t, fmt.Sprintf("Get(%s)", k), readContent(t, fmt.Sprintf("Get(%s)", k), a.Content), data)
		})
	}
}

// checkPermanentMedia checks what Add and AddVideo return.
func checkPermanentMedia(t tb, what string, m material.Media, k material.Kind) {
	t.Helper()
	if m.ID == "" || m.Kind != k || !m.ExpiresAt.IsZero() {
		t.Errorf("%s = %+v, want a media id, Kind %q and no ExpiresAt", what, m, k)
	}
	if k == material.KindImage {
		if u, err := url.Parse(m.URL); err != nil || u.Scheme == "" || u.Host == "" {
			t.Errorf("%s: URL = %q, want the image's absolute URL", what, m.URL)
		}
	}
}

// addVideo adds a video with a description that needs escaping.
func (s *suite) addVideo(t tb) {
	_, l := s.lib(t)
	src, _ := sourceOf(material.KindVideo, 1)
	desc := material.VideoDescription{Title: `A "quoted" <title> & more`, Introduction: "介绍: line one\nline two"}
	m, err := l.AddVideo(t.Context(), src, desc)
	if err != nil {
		t.Fatalf("AddVideo: %v", err)
	}
	checkPermanentMedia(t, "AddVideo", m, material.KindVideo)
	a, err := l.Get(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Get(video): %v", err)
	}
	defer a.Close()
	if a.Kind != material.KindVideo || a.Video == nil || a.Content != nil {
		t.Fatalf("Get(video) = %+v, want Kind video and a Video", a)
	}
	want := material.Video{Title: desc.Title, Description: desc.Introduction}
	if diff := cmp.Diff(want, *a.Video, cmpopts.IgnoreFields(material.Video{}, "DownURL")); diff != "" {
		t.Errorf("Get(video).Video (-want +got):\n%s", diff)
	}
	if a.Video.DownURL == "" {
		t.Errorf("Get(video): empty DownURL")
	}
}

// news seeds a news item and reads it through Get, Count and List.
func (s *suite) news(t tb) {
	e, l := s.lib(t)
	if e.SeedNews == nil {
		t.Skip("Env.SeedNews is nil: news cannot be added through the API")
	}
	// A news item's thumbs are permanent thumbs of the same library, as on
	// the platform (the emulator's SeedNews insists).
	thumbs := make([]string, 2)
	for i := range thumbs {
		src, _ := sourceOf(material.KindThumb, i+1)
		m, err := l.Add(t.Context(), material.KindThumb, src)
		if err != nil {
			t.Fatalf("Add(thumb): %v", err)
		}
		thumbs[i] = m.ID
	}
	articles := []material.Article{
		{Title: "First", ThumbMediaID: thumbs[0], ShowCoverPic: 1, Author: "A. Writer", Digest: "d1", Content: "<p>one</p>", URL: "http://mp.weixin.qq.com/s/1", ContentSourceURL: "https://example.com/1"},
		{Title: "第二篇", ThumbMediaID: thumbs[1], Author: "B", Digest: "d2", Content: "<p>two &amp; more</p>", URL: "http://mp.weixin.qq.com/s/2"},
	}
	id, err := e.SeedNews(articles...)
	if err != nil {
		t.Fatalf("SeedNews: %v", err)
	}
	ignore := cmpopts.IgnoreFields(material.Article{}, "ThumbURL", "NeedOpenComment", "OnlyFansCanComment")
	a, err := l.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(news): %v", err)
	}
	if a.Kind != material.KindNews || a.Content != nil || a.Video != nil {
		t.Errorf("Get(news) = %+v, want Kind news and articles only", a)
	}
	if diff := cmp.Diff(articles, a.News, ignore); diff != "" {
		t.Errorf("Get(news).News (-want +got):\n%s", diff)
	}
	if c, err := l.Count(t.Context()); err != nil || c.News != 1 {
		t.Errorf("Count = %+v, %v; want 1 news item", c, err)
	}
	r := walk(l.List(t.Context(), material.KindNews), 0, nil)
	r.check(t, "List(news)")
	if len(r.items) != 1 || r.items[0].MediaID != id || r.items[0].Kind != material.KindNews {
		t.Fatalf("List(news) = %+v, want the one news item %q", r.items, id)
	}
	if diff := cmp.Diff(articles, r.items[0].News, ignore); diff != "" {
		t.Errorf("List(news)[0].News (-want +got):\n%s", diff)
	}
}

// libraryUnknownID asks for unknown ids and for a temporary one.
func (s *suite) libraryUnknownID(t tb) {
	e, l := s.lib(t)
	const id = "materialtest-no-such-media-id"
	_, err := l.Get(t.Context(), id)
	wantErr(t, "Get(unknown id)", err, material.ErrNotFound)
	wantErr(t, "Delete(unknown id)", l.Delete(t.Context(), id), material.ErrNotFound)

	src, _ := sourceOf(material.KindImage, 0)
	m, err := e.Service.Upload(t.Context(), material.KindImage, src)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	_, err = l.Get(t.Context(), m.ID)
	wantErr(t, "Get(temporary id)", err, material.ErrNotFound)
	wantErr(t, "Delete(temporary id)", l.Delete(t.Context(), m.ID), material.ErrNotFound)
	if c, err := e.Service.Download(t.Context(), m.ID); err != nil {
		t.Errorf("Download after Delete(temporary id): %v; the temporary media must stay", err)
	} else {
		c.Close()
	}
}

// delete removes an item: gone from Get, Count and List.
func (s *suite) delete(t tb) {
	_, l := s.lib(t)
	ids := addN(t, l, 2)
	if err := l.Delete(t.Context(), ids[0]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := l.Get(t.Context(), ids[0])
	wantErr(t, "Get(deleted id)", err, material.ErrNotFound)
	wantErr(t, "Delete(deleted id)", l.Delete(t.Context(), ids[0]), material.ErrNotFound)
	if c, err := l.Count(t.Context()); err != nil || c.Image != 1 {
		t.Errorf("Count after Delete = %+v, %v; want 1 image", c, err)
	}
	r := walk(l.List(t.Context(), material.KindImage), 0, nil)
	r.check(t, "List(image)")
	if got := r.ids(); !slices.Equal(got, ids[1:]) {
		t.Errorf("List(image) after Delete = %q, want %q", got, ids[1:])
	}
}

// count checks the library's sizes by kind.
func (s *suite) count(t tb) {
	_, l := s.lib(t)
	c, err := l.Count(t.Context())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if c != (material.Counts{}) {
		t.Fatalf("Count of a new library = %+v, want zeros", c)
	}
	addN(t, l, 2)
	voice, _ := sourceOf(material.KindVoice, 0)
	video, _ := sourceOf(material.KindVideo, 0)
	if _, err := l.Add(t.Context(), material.KindVoice, voice); err != nil {
		t.Fatalf("Add(voice): %v", err)
	}
	if _, err := l.AddVideo(t.Context(), video, material.VideoDescription{Title: "t", Introduction: "i"}); err != nil {
		t.Fatalf("AddVideo: %v", err)
	}
	c, err = l.Count(t.Context())
	if diff := cmp.Diff(material.Counts{Image: 2, Voice: 1, Video: 1}, c); err != nil || diff != "" {
		t.Errorf("Count (-want +got), err %v:\n%s", err, diff)
	}
}

// libraryUnsupportedKind adds kinds the library lacks: refused before
// sending.
func (s *suite) libraryUnsupportedKind(t tb) {
	_, l := s.lib(t)
	for _, k := range []material.Kind{material.KindFile, material.KindNews} {
		src, r := countingSource("x."+string(k), []byte("some bytes"), 100, 100)
		_, err := l.Add(t.Context(), k, src)
		wantErr(t, fmt.Sprintf("Add(%s)", k), err, material.ErrUnsupported)
		checkNothingRead(t, fmt.Sprintf("Add(%s)", k), r)
	}
}

// libraryTooLarge adds, for every kind, a file one byte over the limit.
func (s *suite) libraryTooLarge(t tb) {
	_, l := s.lib(t)
	for _, k := range material.KindsFor(s.p, material.APIPermanent) {
		rule, _ := material.RuleFor(s.p, material.APIPermanent, k)
		name, head := sample(k, 0)
		src, r := countingSource(name, head, rule.MaxSize+1, rule.MaxSize+1)
		var err error
		if k == material.KindVideo {
			_, err = l.AddVideo(t.Context(), src, material.VideoDescription{Title: "t"})
		} else {
			_, err = l.Add(t.Context(), k, src)
		}
		wantErr(t, fmt.Sprintf("Add(%s, %d bytes)", k, rule.MaxSize+1), err, material.ErrTooLarge)
		checkNothingRead(t, fmt.Sprintf("Add(%s)", k), r)
	}
}

// batchGet reads pages and checks the bounds of count and offset.
func (s *suite) batchGet(t tb) {
	_, l := s.lib(t)
	ids := addN(t, l, 3)
	var got []string
	for _, tc := range []struct{ offset, count, items int }{
		{offset: 0, count: 2, items: 2},
		{offset: 2, count: 2, items: 1},
		{offset: 3, count: material.MaxPageSize, items: 0},
	} {
		p, err := l.BatchGet(t.Context(), material.KindImage, tc.offset, tc.count)
		if err != nil {
			t.Fatalf("BatchGet(image, %d, %d): %v", tc.offset, tc.count, err)
		}
		if p.Total != 3 || len(p.Items) != tc.items || p.Kind != material.KindImage || p.Offset != tc.offset {
			t.Errorf("BatchGet(image, %d, %d) = Kind %q, Offset %d, Total %d, %d items; want image, %d, 3, %d",
				tc.offset, tc.count, p.Kind, p.Offset, p.Total, len(p.Items), tc.offset, tc.items)
		}
		for _, it := range p.Items {
			if it.Kind != material.KindImage || it.Name == "" || it.URL == "" {
				t.Errorf("BatchGet item %+v: want Kind image, a name and a URL", it)
			}
			got = append(got, it.MediaID)
		}
	}
	if !sameSet(got, ids) {
		t.Errorf("the pages do not hold each item once: %s", setDiff(got, ids))
	}
	for _, tc := range []struct{ offset, count int }{{offset: 0, count: 0}, {offset: 0, count: material.MaxPageSize + 1}, {offset: -1, count: 1}} {
		_, err := l.BatchGet(t.Context(), material.KindImage, tc.offset, tc.count)
		wantErr(t, fmt.Sprintf("BatchGet(image, %d, %d)", tc.offset, tc.count), err, material.ErrInvalidInput)
	}
	_, err := l.BatchGet(t.Context(), material.KindFile, 0, 1)
	wantErr(t, "BatchGet(file)", err, material.ErrUnsupported)
}

// listComplete lists 45 images over three pages: each exactly once.
func (s *suite) listComplete(t tb) {
	_, l := s.lib(t)
	ids := addN(t, l, 45)
	voice, _ := sourceOf(material.KindVoice, 0)
	if _, err := l.Add(t.Context(), material.KindVoice, voice); err != nil {
		t.Fatalf("Add(voice): %v", err)
	}
	r := walk(l.List(t.Context(), material.KindImage), 0, nil)
	r.check(t, "List(image)")
	if got := r.ids(); !sameSet(got, ids) {
		t.Errorf("List(image) yielded %d ids, want each of the %d added exactly once: %s", len(got), len(ids), setDiff(got, ids))
	}
	if r := walk(l.List(t.Context(), material.KindVoice), 0, nil); len(r.items) != 1 {
		t.Errorf("List(voice) yielded %d items, want the 1 voice", len(r.items))
	} else {
		r.check(t, "List(voice)")
	}
	if r := walk(l.List(t.Context(), material.KindVideo), 0, nil); len(r.items) != 0 {
		t.Errorf("List(video) yielded %d items, want none", len(r.items))
	} else {
		r.check(t, "List(video)")
	}
}

// listTwice ranges over one iterator twice.
func (s *suite) listTwice(t tb) {
	_, l := s.lib(t)
	ids := addN(t, l, 25)
	seq := l.List(t.Context(), material.KindImage)
	first, second := walk(seq, 0, nil), walk(seq, 0, nil)
	first.check(t, "List, first range")
	second.check(t, "List, second range")
	if !sameSet(first.ids(), ids) {
		t.Errorf("List, first range: %s", setDiff(first.ids(), ids))
	}
	if !slices.Equal(first.ids(), second.ids()) {
		t.Errorf("List, second range: %s; want what the first yielded", setDiff(second.ids(), first.ids()))
	}
}

// listBreak stops early: the iterator must not yield again.
func (s *suite) listBreak(t tb) {
	_, l := s.lib(t)
	addN(t, l, 25)
	r := walk(l.List(t.Context(), material.KindImage), 3, nil)
	r.check(t, "List with a break after 3 items")
	if len(r.items) != 3 {
		t.Errorf("List with a break after 3 items yielded %d items", len(r.items))
	}
}

// listError cancels the context during a listing: the next page fails, and
// the iterator yields that error once and stops.
func (s *suite) listError(t tb) {
	_, l := s.lib(t)
	addN(t, l, 45)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := walk(l.List(ctx, material.KindImage), 0, func(int) { cancel() })
	r.checkRules(t, "List(cancelled)")
	if r.err == nil {
		t.Fatalf("List with its context cancelled after the first item yielded %d items and no error", len(r.items))
	}
	wantErr(t, "List(cancelled)", r.err, context.Canceled)
	if n := len(r.items); n < 1 || n >= 45 {
		t.Errorf("List(cancelled) yielded %d items before the error; want 1 to 44", n)
	}
}

// listUnsupportedKind lists a kind the library lacks.
func (s *suite) listUnsupportedKind(t tb) {
	_, l := s.lib(t)
	r := walk(l.List(t.Context(), material.KindFile), 0, nil)
	r.checkRules(t, "List(file)")
	wantErr(t, "List(file)", r.err, material.ErrUnsupported)
	if len(r.items) != 0 {
		t.Errorf("List(file) yielded %d items", len(r.items))
	}
}

// listRun is what an iteration yielded, and how it broke the rules.
type listRun struct {
	items    []material.Item
	err      error
	problems []string
}

// walk calls seq directly (not with range, whose checks would panic) and
// records what it yields. The loop body returns false after stopAfter items
// (0: never) and calls onItem after each item. Yields after an error or
// after a false are problems.
func walk(seq iter.Seq2[material.Item, error], stopAfter int, onItem func(n int)) listRun {
	var r listRun
	stopped, again := false, 0
	seq(func(it material.Item, err error) bool {
		switch {
		case stopped:
			if again++; again == 1 {
				r.problems = append(r.problems, "yielded again after the loop body returned false")
			}
			return false
		case r.err != nil:
			if again++; again == 1 {
				r.problems = append(r.problems, fmt.Sprintf("yielded (%q, %v) after the error %v; an iterator yields an error once and stops", it.MediaID, err, r.err))
			}
			return false
		case err != nil:
			r.err = err
			return true // a correct iterator stops anyway
		}
		r.items = append(r.items, it)
		if onItem != nil {
			onItem(len(r.items))
		}
		if len(r.items) == stopAfter {
			stopped = true
			return false
		}
		return true
	})
	return r
}

// check reports the broken rules and any error.
func (r listRun) check(t tb, what string) {
	t.Helper()
	r.checkRules(t, what)
	if r.err != nil {
		t.Errorf("%s: yielded the error %v after %d items", what, r.err, len(r.items))
	}
}

// checkRules reports the broken rules only, for an iteration meant to fail.
func (r listRun) checkRules(t tb, what string) {
	t.Helper()
	for _, p := range r.problems {
		t.Errorf("%s: %s", what, p)
	}
}

func (r listRun) ids() []string {
	ids := make([]string, len(r.items))
	for i, it := range r.items {
		ids[i] = it.MediaID
	}
	return ids
}

// sameSet reports whether got holds each of want exactly once, and nothing
// else.
func sameSet(got, want []string) bool {
	return len(got) == len(want) && setDiff(got, want) == ""
}

// setDiff describes how got differs from the set want: ids missing,
// repeated or unknown; "" when it holds each exactly once (in any order).
func setDiff(got, want []string) string {
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	var missing, repeated, unknown []string
	for _, id := range want {
		switch seen[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			repeated = append(repeated, id)
		}
		delete(seen, id)
	}
	for id := range seen {
		unknown = append(unknown, id)
	}
	slices.Sort(unknown)
	var parts []string
	for _, p := range []struct {
		what string
		ids  []string
	}{{"missing", missing}, {"repeated", repeated}, {"unknown", unknown}} {
		if len(p.ids) > 0 {
			parts = append(parts, fmt.Sprintf("%s %q", p.what, p.ids))
		}
	}
	return strings.Join(parts, "; ")
}
