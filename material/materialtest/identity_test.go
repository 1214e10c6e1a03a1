package materialtest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

func TestFakeAccount(t *testing.T) {
	a, b := NewFake(material.OfficialAccount), NewFake(material.OfficialAccount)
	if a.Account() == "" || a.Account() == b.Account() {
		t.Errorf("two Fakes answer the accounts %q and %q, want two different non-empty ones", a.Account(), b.Account())
	}
	c := NewFake(material.WeCom, WithAccount("ww-corp"))
	if got := c.Account(); got != "ww-corp" {
		t.Errorf("Account() = %q, want ww-corp", got)
	}
	for _, f := range []*Fake{a, c} {
		id, ok := f.Service().(material.Identifier)
		if !ok || id.Platform() != f.Platform() || id.Account() != f.Account() {
			t.Errorf("the %s view does not tell its platform and account as the Fake does", f.Platform())
		}
		_, links := f.Service().(material.URLDownloader)
		if want := f.Platform() == material.OfficialAccount; links != want {
			t.Errorf("the %s view implements URLDownloader: %v, want %v", f.Platform(), links, want)
		}
	}
}

func TestFakeDownloadURL(t *testing.T) {
	f := NewFake(material.OfficialAccount)
	ctx := t.Context()
	read := func(t *testing.T, link string) []byte {
		t.Helper()
		c, err := f.DownloadURL(ctx, link)
		if err != nil {
			t.Fatalf("DownloadURL(%s): %v", link, err)
		}
		defer c.Close()
		data, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != int64(len(data)) {
			t.Errorf("Size = %d, body %d bytes", c.Size, len(data))
		}
		return data
	}
	name, video := sample(material.KindVideo, 0)
	m, err := f.Upload(ctx, material.KindVideo, material.FromBytes(name, video))
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Download(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := read(t, c.URL); !bytes.Equal(got, video) {
		t.Errorf("the temporary video's link serves %d bytes, want %d", len(got), len(video))
	}
	lib, err := f.AddVideo(ctx, material.FromBytes(name, video), material.VideoDescription{Title: "v"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.Get(ctx, lib.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, a.Video.DownURL); !bytes.Equal(got, video) {
		t.Errorf("the permanent video's link serves %d bytes, want %d", len(got), len(video))
	}
	iname, img := sample(material.KindImage, 0)
	im, err := f.Add(ctx, material.KindImage, material.FromBytes(iname, img))
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, im.URL); !bytes.Equal(got, img) {
		t.Errorf("the permanent image's URL serves %d bytes, want %d", len(got), len(img))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cdn/a.mp4" {
			http.NotFound(w, r)
			return
		}
		w.Write(video)
	}))
	defer srv.Close()
	if got := read(t, srv.URL+"/cdn/a.mp4"); !bytes.Equal(got, video) {
		t.Errorf("another host's link serves %d bytes, want %d", len(got), len(video))
	}

	f.Advance(material.TemporaryLifetime)
	for _, tt := range []struct {
		link string
		want error
	}{
		{c.URL, material.ErrNotFound}, // expired
		{srv.URL + "/cdn/missing.mp4", material.ErrNotFound},
		{"http://materialtest.invalid/work/video/" + lib.ID + ".mp4", material.ErrNotFound}, // another platform's
		{"/relative.mp4", material.ErrInvalidInput},
	} {
		if _, err := f.DownloadURL(ctx, tt.link); !errors.Is(err, tt.want) {
			t.Errorf("DownloadURL(%s) = %v, want %v", tt.link, err, tt.want)
		}
	}
	var n int
	for _, call := range f.Calls() {
		if call.Method == "DownloadURL" {
			n++
		}
	}
	if n != 8 {
		t.Errorf("%d DownloadURL calls were recorded, want 8", n)
	}
}
