package materialtest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
)

// fileServer serves files by path with Range support and counts requests.
type fileServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newFileServer(t *testing.T, files map[string]io.ReadSeeker) *fileServer {
	s := &fileServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		f, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.URL.Path, time.Time{}, f)
	}))
	t.Cleanup(s.Close)
	return s
}

// huge is a sparse file of n zero bytes.
type huge struct{ n, off int64 }

func (h *huge) Read(p []byte) (int, error) {
	if h.off >= h.n {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), h.n-h.off))
	clear(p[:k])
	h.off += int64(k)
	return k, nil
}

func (h *huge) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		h.off = off
	case io.SeekCurrent:
		h.off += off
	case io.SeekEnd:
		h.off = h.n + off
	}
	return h.off, nil
}

func md5Hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func TestJobOutcomes(t *testing.T) {
	mp4 := sampleMP4(0)
	srv := newFileServer(t, map[string]io.ReadSeeker{
		"clip.mp4": bytes.NewReader(mp4),
		"clip.mov": bytes.NewReader([]byte("not an mp4 at all")),
		"huge.bin": &huge{n: material.MaxURLUploadSize + 1},
	})
	tests := []struct {
		name     string
		req      material.URLUpload
		wantCode int // 0: success
		want     error
	}{
		{name: "success, upper-case md5", req: material.URLUpload{Kind: material.KindVideo, Filename: "clip.mp4", URL: srv.URL + "/clip.mp4", MD5: strings.ToUpper(md5Hex(mp4))}},
		{name: "not found", req: material.URLUpload{Kind: material.KindFile, Filename: "x.bin", URL: srv.URL + "/missing", MD5: md5Hex(nil)}, wantCode: 830001, want: material.ErrFetchFailed},
		{name: "over 200 MB, judged by the probe", req: material.URLUpload{Kind: material.KindFile, Filename: "huge.bin", URL: srv.URL + "/huge.bin", MD5: md5Hex(nil)}, wantCode: 45001, want: material.ErrInvalidSize},
		{name: "video not MP4", req: material.URLUpload{Kind: material.KindVideo, Filename: "clip.mp4", URL: srv.URL + "/clip.mov", MD5: md5Hex([]byte("not an mp4 at all"))}, wantCode: 40004, want: material.ErrInvalidFormat},
		{name: "server gone", req: material.URLUpload{Kind: material.KindFile, Filename: "x.bin", URL: "http://127.0.0.1:1/x.bin", MD5: md5Hex(nil)}, wantCode: 830003, want: material.ErrFetchFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(material.WeCom)
			id, err := f.UploadByURL(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			j, err := f.UploadByURLResult(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantCode == 0 {
				want := material.Job{ID: id, State: material.JobFinished, Media: material.Media{ID: "fake-video-2", Kind: material.KindVideo,
					CreatedAt: epoch.Truncate(time.Second), ExpiresAt: epoch.Truncate(time.Second).Add(material.TemporaryLifetime)}}
				if diff := cmp.Diff(want, j); diff != "" {
					t.Errorf("Job (-want +got):\n%s", diff)
				}
				return
			}
			if j.State != material.JobFailed || j.Err == nil || j.Err.Code != tt.wantCode || !errors.Is(j.Err, tt.want) {
				t.Errorf("Job = %+v (err %v), want failed with %d matching %v", j, j.Err, tt.wantCode, tt.want)
			}
			if strings.Contains(j.Err.Error(), tt.req.URL) {
				t.Errorf("the job error repeats the URL, which may hold a signature: %v", j.Err)
			}
		})
	}
}

func TestJobPollsAndExpiry(t *testing.T) {
	data := sampleFile(0)
	srv := newFileServer(t, map[string]io.ReadSeeker{"a.bin": bytes.NewReader(data)})
	f := newFake(material.WeCom, WithJobPolls(2))
	id, err := f.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: srv.URL + "/a.bin", MD5: md5Hex(data)})
	if err != nil {
		t.Fatal(err)
	}
	var states []material.JobState
	for range 3 {
		j, err := f.UploadByURLResult(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, j.State)
	}
	if diff := cmp.Diff([]material.JobState{material.JobProcessing, material.JobProcessing, material.JobFinished}, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("%d requests to the URL, want 2 (a Range probe and the download)", n)
	}
	f.Advance(material.JobLifetime - time.Second)
	if _, err := f.UploadByURLResult(t.Context(), id); err != nil {
		t.Errorf("a second before the job expires: %v", err)
	}
	f.Advance(time.Second)
	if _, err := f.WaitUploadByURL(t.Context(), id); !errors.Is(err, material.ErrNotFound) {
		t.Errorf("when the job expires: err = %v, want ErrNotFound", err)
	}
}

func TestJobRunsOnce(t *testing.T) {
	data := sampleFile(0)
	srv := newFileServer(t, map[string]io.ReadSeeker{"a.bin": bytes.NewReader(data)})
	f := newFake(material.WeCom, WithHTTPClient(srv.Client()))
	id, err := f.UploadByURL(t.Context(), material.URLUpload{Kind: material.KindFile, Filename: "a.bin", URL: srv.URL + "/a.bin", MD5: md5Hex(data)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			m, err := f.WaitUploadByURL(t.Context(), id)
			if err != nil {
				t.Error(err)
			}
			ids[i] = m.ID
		})
	}
	wg.Wait()
	for _, got := range ids {
		if got != ids[0] {
			t.Errorf("waiters got media %q, want all %q", ids, ids[0])
			break
		}
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("%d requests to the URL, want 2: the job runs once", n)
	}
}
