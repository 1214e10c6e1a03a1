package materialtest_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// A fixed clock makes ids, times and expiry deterministic.
func clock() time.Time { return time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC) }

// The Fake stands in for a client in a test of code that takes a
// material.Service; afterwards the test inspects what the code did.
func ExampleNewFake() {
	ctx := context.Background()
	fake := materialtest.NewFake(material.WeCom, materialtest.WithClock(clock))

	// The code under test.
	upload := func(svc material.Service) (string, error) {
		m, err := svc.Upload(ctx, material.KindFile, material.FromBytes("report.txt", []byte("quarterly numbers")))
		return m.ID, err
	}
	id, err := upload(fake)
	if err != nil {
		fmt.Println(err)
		return
	}

	c, err := fake.Download(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	body, _ := io.ReadAll(c)
	fmt.Printf("%s: %q (%s)\n", c.Name, body, c.ContentType)
	for _, call := range fake.Calls() {
		fmt.Println(call.Method, call.Kind, call.Name, call.Size, call.MediaID)
	}
	// Output:
	// report.txt: "quarterly numbers" (text/plain; charset=utf-8)
	// Upload file report.txt 17 fake-file-1
	// Download   0 fake-file-1
}

// The Fake refuses what the platform refuses, before "sending" it, with the
// errors the clients return.
func ExampleNewFake_rules() {
	ctx := context.Background()
	oa := materialtest.NewFake(material.OfficialAccount)
	wecom := materialtest.NewFake(material.WeCom)

	_, err := oa.Upload(ctx, material.KindFile, material.FromBytes("a.txt", []byte("hello")))
	fmt.Println("OA file:", errors.Is(err, material.ErrUnsupported))
	_, err = wecom.Upload(ctx, material.KindVoice, material.FromBytes("a.mp3", []byte("ID3\x04 and so on")))
	fmt.Println("WeCom MP3 voice:", errors.Is(err, material.ErrInvalidFormat))
	_, err = oa.Download(ctx, "no-such-id")
	var api *material.APIError
	fmt.Println("unknown id:", errors.Is(err, material.ErrNotFound), errors.As(err, &api), api.Code)
	// Output:
	// OA file: true
	// WeCom MP3 voice: true
	// unknown id: true true 40007
}

// FailNext makes the next calls of a method fail as the platform would,
// here with the Official Account's daily quota.
func ExampleFake_FailNext() {
	ctx := context.Background()
	fake := materialtest.NewFake(material.OfficialAccount)
	fake.FailNext("Upload", 1, &material.APIError{Platform: material.OfficialAccount, Code: 45009, Message: "reach max api daily quota limit"})

	for range 2 {
		_, err := fake.Upload(ctx, material.KindImage, materialtest.Sample(material.KindImage))
		fmt.Println(errors.Is(err, material.ErrQuota), err)
	}
	// Output:
	// true materialtest: upload: Official Account: errcode 45009: reach max api daily quota limit
	// false <nil>
}

// Temporary media live three days on the Fake's clock; Advance moves it.
func ExampleFake_Advance() {
	ctx := context.Background()
	fake := materialtest.NewFake(material.OfficialAccount, materialtest.WithClock(clock))
	m, _ := fake.Upload(ctx, material.KindVoice, materialtest.Sample(material.KindVoice))
	fmt.Println("expires", m.ExpiresAt.Format(time.RFC3339))

	fake.Advance(72 * time.Hour)
	_, err := fake.Download(ctx, m.ID)
	fmt.Println(fake.Now().Format(time.RFC3339), errors.Is(err, material.ErrNotFound))
	// Output:
	// expires 2025-03-04T08:00:00Z
	// 2025-03-04T08:00:00Z true
}

// The permanent library pages twenty at a time; List hides the paging.
func ExampleFake_List() {
	ctx := context.Background()
	fake := materialtest.NewFake(material.OfficialAccount)
	fake.SeedNews(material.Article{Title: "Hello"}, material.Article{Title: "World"})
	for range 3 {
		fake.Add(ctx, material.KindImage, materialtest.Sample(material.KindImage))
	}

	for item, err := range fake.List(ctx, material.KindImage) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(item.MediaID, item.Name)
	}
	for item := range fake.List(ctx, material.KindNews) {
		fmt.Println(item.MediaID, len(item.News), item.News[0].Title)
	}
	counts, _ := fake.Count(ctx)
	fmt.Printf("%+v\n", counts)
	// Output:
	// fake-lib-image-2 sample.png
	// fake-lib-image-3 sample.png
	// fake-lib-image-4 sample.png
	// fake-lib-news-1 2 Hello
	// {Image:3 Voice:0 Video:0 News:1}
}

// Upload-by-URL jobs really fetch their URL, which must answer Range
// requests; the first poll runs the job.
func ExampleFake_UploadByURL() {
	ctx := context.Background()
	data := []byte("a file WeCom will fetch")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "notes.txt", time.Time{}, strings.NewReader(string(data)))
	}))
	defer srv.Close()

	fake := materialtest.NewFake(material.WeCom)
	sum := md5.Sum(data)
	job, err := fake.UploadByURL(ctx, material.URLUpload{Kind: material.KindFile, Filename: "notes.txt", URL: srv.URL, MD5: hex.EncodeToString(sum[:])})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := fake.WaitUploadByURL(ctx, job)
	fmt.Println(job, m.ID, m.Kind, err)

	bad, _ := fake.UploadByURL(ctx, material.URLUpload{Kind: material.KindFile, Filename: "notes.txt", URL: srv.URL, MD5: strings.Repeat("0", 32)})
	_, err = fake.WaitUploadByURL(ctx, bad)
	var jobErr *material.JobError
	fmt.Println(errors.Is(err, material.ErrChecksum), errors.As(err, &jobErr), jobErr.Code)
	// Output:
	// fake-job-1 fake-file-2 file <nil>
	// true true 301019
}

// Code that checks capabilities with a type assertion gets the answer of
// the platform's client from Fake.Service.
func ExampleFake_Service() {
	for _, p := range []material.Platform{material.OfficialAccount, material.WeCom} {
		svc := materialtest.NewFake(p).Service()
		_, library := svc.(material.Library)
		_, byURL := svc.(material.URLUploader)
		fmt.Printf("%s: library %v, upload by URL %v\n", p, library, byURL)
	}
	// Output:
	// Official Account: library true, upload by URL false
	// WeCom: library false, upload by URL true
}
