package work_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// startEmulator starts the emulator with the demo WeCom agent, as a user's
// own integration test would.
func startEmulator() (*emulator.Emulator, *httptest.Server) {
	emu := emulator.New()
	if err := emu.AddWeComAgent(emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret); err != nil {
		log.Fatal(err)
	}
	return emu, httptest.NewServer(emu)
}

// Upload a file as temporary media and download it again.
func Example() {
	emu, srv := startEmulator()
	defer emu.Close()
	defer srv.Close()

	c, err := work.New(emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret,
		work.WithBaseURL(srv.URL+"/work")) // omit for the real qyapi.weixin.qq.com
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	m, err := c.Upload(ctx, material.KindFile, material.FromBytes("minutes.txt", []byte("minutes of the meeting")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded a", m.Kind, "kept for", m.ExpiresAt.Sub(m.CreatedAt))

	content, err := c.Download(ctx, m.ID)
	if err != nil {
		log.Fatal(err)
	}
	defer content.Close()
	b, err := io.ReadAll(content)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("downloaded %s: %q\n", content.Name, b)
	// Output:
	// uploaded a file kept for 72h0m0s
	// downloaded minutes.txt: "minutes of the meeting"
}

// Limits are checked before anything is sent.
func ExampleClient_Upload_refused() {
	emu, srv := startEmulator()
	defer emu.Close()
	defer srv.Close()
	c, err := work.New(emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret, work.WithBaseURL(srv.URL+"/work"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Upload(context.Background(), material.KindThumb, material.FromBytes("cover.jpg", []byte("\xff\xd8\xff\xe0 a jpeg")))
	fmt.Println(errors.Is(err, material.ErrUnsupported))
	_, err = c.Upload(context.Background(), material.KindFile, material.FromBytes("tiny.txt", []byte("tiny")))
	fmt.Println(errors.Is(err, material.ErrTooSmall))
	// Settle first: a request the emulator answered is logged when its
	// handler returns, which may be after the client has its reply.
	if err := emu.Settle(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(emu.Requests()), "requests sent")
	// Output:
	// true
	// true
	// 0 requests sent
}

// Let WeCom fetch a file from a URL, wait for the job, and use the media.
func ExampleClient_WaitUploadByURL() {
	emu, srv := startEmulator()
	defer emu.Close()
	defer srv.Close()

	// The file to upload, on a server that answers Range requests.
	data := strings.Repeat("a large report\n", 1000)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "report.txt", time.Time{}, strings.NewReader(data))
	}))
	defer files.Close()
	sum := md5.Sum([]byte(data)) // for a local file: work.MD5File(path)

	c, err := work.New(emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret,
		work.WithBaseURL(srv.URL+"/work"),
		work.WithWait(10*time.Millisecond, time.Second)) // the defaults suit the real platform: 1 s to 30 s
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobID, err := c.UploadByURL(ctx, material.URLUpload{
		Kind:     material.KindFile,
		Filename: "report.txt",
		URL:      files.URL + "/report.txt",
		MD5:      hex.EncodeToString(sum[:]),
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := c.WaitUploadByURL(ctx, jobID)
	var jobErr *material.JobError
	switch {
	case errors.As(err, &jobErr):
		log.Fatalf("the job failed with %d: %s", jobErr.Code, jobErr.Message)
	case err != nil:
		log.Fatal(err)
	}
	content, err := c.Download(ctx, m.ID)
	if err != nil {
		log.Fatal(err)
	}
	defer content.Close()
	n, err := io.Copy(io.Discard, content)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("job done:", m.Kind, n, "bytes")
	// Output:
	// job done: file 15000 bytes
}
