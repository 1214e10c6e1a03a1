package materialtest

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

func (s *suite) service(t tb) {
	t.Run("UploadDownload", s.uploadDownload)
	t.Run("LargeFile", s.largeFile)
	t.Run("UnknownID", s.unknownID)
	t.Run("UnsupportedKind", s.unsupportedKind)
	t.Run("TooLarge", s.tooLarge)
	t.Run("TooLargeStream", s.tooLargeStream)
	t.Run("TooSmall", s.tooSmall)
	t.Run("TooLong", s.tooLong)
	t.Run("WrongFormat", s.wrongFormat)
	t.Run("Expiry", s.expiry)
	t.Run("UploadImage", s.uploadImage)
	t.Run("Concurrent", s.concurrent)
}

// uploadDownload uploads a file of every kind the platform has, then
// downloads each: byte for byte what was sent (an Official Account video:
// a link and no bytes, as the platform answers).
func (s *suite) uploadDownload(t tb) {
	e := s.env(t)
	kinds := material.KindsFor(s.p, material.APITemporary)
	media := map[material.Kind]material.Media{}
	sent := map[material.Kind][]byte{}
	for i, k := range kinds {
		src, data := sourceOf(k, i+1)
		m, err := e.Service.Upload(t.Context(), k, src)
		if err != nil {
			t.Fatalf("Upload(%s, %s): %v", k, src.Name(), err)
		}
		checkTemporaryMedia(t, fmt.Sprintf("Upload(%s)", k), m, k)
		for other, om := range media {
			if om.ID == m.ID {
				t.Fatalf("Upload(%s) returned the media id %q of the %s uploaded before", k, m.ID, other)
			}
		}
		media[k], sent[k] = m, data
	}
	for _, k := range kinds {
		t.Run(string(k), func(t tb) {
			c, err := e.Service.Download(t.Context(), media[k].ID)
			if err != nil {
				t.Fatalf("Download(%s %q): %v", k, media[k].ID, err)
			}
			if s.p == material.OfficialAccount && k == material.KindVideo {
				if c == nil || c.URL == "" {
					t.Fatalf("Download(video): Content.URL is empty; the Official Account answers a video with a link")
				}
				if body := readContent(t, "Download(video)", c); len(body) != 0 {
					t.Errorf("Download(video): the body holds %d bytes; with a link it must be empty", len(body))
				}
				return
			}
			got := readContent(t, fmt.Sprintf("Download(%s)", k), c)
			sameBytes(t, fmt.Sprintf("Download(%s)", k), got, sent[k])
		})
	}
}

// checkTemporaryMedia checks what Upload returns.
func checkTemporaryMedia(t tb, what string, m material.Media, k material.Kind) {
	t.Helper()
	if m.ID == "" {
		t.Errorf("%s: empty media id", what)
	}
	if m.Kind != k {
		t.Errorf("%s: Media.Kind = %q, want %q", what, m.Kind, k)
	}
	if m.CreatedAt.IsZero() {
		t.Errorf("%s: Media.CreatedAt is zero", what)
	}
	if got := m.ExpiresAt.Sub(m.CreatedAt); got != material.TemporaryLifetime {
		t.Errorf("%s: Media.ExpiresAt is %v after CreatedAt, want %v", what, got, material.TemporaryLifetime)
	}
}

// largeFile round-trips a file of about 1 MB, of an odd size, so that
// streaming and chunking bugs show.
func (s *suite) largeFile(t tb) {
	e := s.env(t)
	k, name := material.KindImage, "large.png"
	if s.p == material.WeCom {
		k, name = material.KindFile, "large.bin"
	}
	_, head := sample(k, 0)
	data := make([]byte, 1<<20+7)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	copy(data, head)
	m, err := e.Service.Upload(t.Context(), k, material.FromBytes(name, data))
	if err != nil {
		t.Fatalf("Upload(%s, %d bytes): %v", k, len(data), err)
	}
	c, err := e.Service.Download(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	sameBytes(t, "Download", readContent(t, "Download", c), data)
}

// unknownID asks for media that was never uploaded.
func (s *suite) unknownID(t tb) {
	e := s.env(t)
	const id = "materialtest-no-such-media-id"
	c, err := e.Service.Download(t.Context(), id)
	wantErr(t, "Download(unknown id)", err, material.ErrNotFound)
	if err != nil && c != nil {
		t.Errorf("Download(unknown id): a Content came with the error")
	}
	_, err = e.Service.DownloadHDVoice(t.Context(), id)
	wantErr(t, "DownloadHDVoice(unknown id)", err, material.ErrNotFound)
}

// unsupportedKind uploads kinds the platform lacks: refused before sending.
func (s *suite) unsupportedKind(t tb) {
	e := s.env(t)
	have := material.KindsFor(s.p, material.APITemporary)
	for _, k := range append(material.Kinds(), "sticker") {
		if slices.Contains(have, k) {
			continue
		}
		t.Run(string(k), func(t tb) {
			src, r := countingSource("x."+string(k), []byte("some bytes"), 100, 100)
			_, err := e.Service.Upload(t.Context(), k, src)
			wantErr(t, fmt.Sprintf("Upload(%s)", k), err, material.ErrUnsupported)
			checkNothingRead(t, fmt.Sprintf("Upload(%s)", k), r)
		})
	}
}

// tooLarge uploads, for every kind, a file one byte over the limit: refused
// before sending, so the file is not read.
func (s *suite) tooLarge(t tb) {
	e := s.env(t)
	for _, k := range material.KindsFor(s.p, material.APITemporary) {
		t.Run(string(k), func(t tb) {
			rule, _ := material.RuleFor(s.p, material.APITemporary, k)
			name, head := sample(k, 0)
			src, r := countingSource(name, head, rule.MaxSize+1, rule.MaxSize+1)
			_, err := e.Service.Upload(t.Context(), k, src)
			wantErr(t, fmt.Sprintf("Upload(%s, %d bytes)", k, rule.MaxSize+1), err, material.ErrTooLarge)
			checkNothingRead(t, fmt.Sprintf("Upload(%s)", k), r)
		})
	}
}

// tooLargeStream uploads a stream of unknown size, twice the smallest
// limit: refused without being read to the end.
func (s *suite) tooLargeStream(t tb) {
	e := s.env(t)
	var rule material.Rule
	for _, k := range material.KindsFor(s.p, material.APITemporary) {
		if r, _ := material.RuleFor(s.p, material.APITemporary, k); rule.MaxSize == 0 || r.MaxSize < rule.MaxSize {
			rule = r
		}
	}
	name, head := sample(rule.Kind, 0)
	src, r := countingSource(name, head, 2*rule.MaxSize, -1)
	_, err := e.Service.Upload(t.Context(), rule.Kind, src)
	wantErr(t, fmt.Sprintf("Upload(%s, stream of unknown size)", rule.Kind), err, material.ErrTooLarge)
	if n, limit := r.read.Load(), rule.MaxSize+64<<10; n > limit {
		t.Errorf("%d bytes of the stream were read; want it refused after at most %d", n, limit)
	}
}

// tooSmall uploads an empty file and, where the platform has a minimum
// size, one byte under it.
func (s *suite) tooSmall(t tb) {
	e := s.env(t)
	_, err := e.Service.Upload(t.Context(), material.KindImage, material.FromBytes("empty.png", nil))
	wantErr(t, "Upload(empty image)", err, material.ErrEmpty)
	for _, k := range material.KindsFor(s.p, material.APITemporary) {
		rule, _ := material.RuleFor(s.p, material.APITemporary, k)
		if rule.MinSize <= 1 {
			continue
		}
		name, data := sample(k, 0)
		_, err := e.Service.Upload(t.Context(), k, material.FromBytes(name, data[:rule.MinSize-1]))
		wantErr(t, fmt.Sprintf("Upload(%s, %d bytes)", k, rule.MinSize-1), err, material.ErrTooSmall)
	}
}

// tooLong uploads an AMR voice of 61 s, which both platforms refuse
// (45007, or the client's own measurement before sending), and one of
// exactly 60 s, which they take.
func (s *suite) tooLong(t tb) {
	e := s.env(t)
	amr := func(frames int) []byte { // 4.75 kbit/s frames of 20 ms
		b := []byte("#!AMR\n")
		for range frames {
			b = append(b, 0x04)
			b = append(b, make([]byte, 12)...)
		}
		return b
	}
	_, err := e.Service.Upload(t.Context(), material.KindVoice, material.FromBytes("long.amr", amr(3050)))
	wantErr(t, "Upload(voice of 61 s)", err, material.ErrTooLong)
	if _, err := e.Service.Upload(t.Context(), material.KindVoice, material.FromBytes("minute.amr", amr(3000))); err != nil {
		t.Fatalf("Upload(voice of 60 s): %v", err)
	}
}

// wrongFormat uploads files of a format the platform refuses for the kind,
// and an MP3 voice, which only the Official Account takes.
func (s *suite) wrongFormat(t tb) {
	e := s.env(t)
	_, amr := sample(material.KindVoice, 0)
	_, err := e.Service.Upload(t.Context(), material.KindImage, material.FromBytes("voice.amr", amr))
	wantErr(t, "Upload(image, voice.amr)", err, material.ErrInvalidFormat)
	_, err = e.Service.Upload(t.Context(), material.KindImage, material.FromBytes("disguised.png", amr))
	wantErr(t, "Upload(image, AMR bytes named .png)", err, material.ErrInvalidFormat)

	mp3 := sampleMP3(0)
	rule, _ := material.RuleFor(s.p, material.APITemporary, material.KindVoice)
	m, err := e.Service.Upload(t.Context(), material.KindVoice, material.FromBytes("voice.mp3", mp3))
	if !slices.Contains(rule.Formats, material.FormatMP3) {
		wantErr(t, fmt.Sprintf("Upload(voice, MP3) on %s", s.p), err, material.ErrInvalidFormat)
		return
	}
	if err != nil {
		t.Fatalf("Upload(voice, MP3) on %s: %v", s.p, err)
	}
	c, err := e.Service.Download(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Download(MP3 voice): %v", err)
	}
	sameBytes(t, "Download(MP3 voice)", readContent(t, "Download(MP3 voice)", c), mp3)
}

// expiry checks that temporary media lives three days.
func (s *suite) expiry(t tb) {
	e := s.env(t)
	src, data := sourceOf(material.KindImage, 0)
	m, err := e.Service.Upload(t.Context(), material.KindImage, src)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	advance(t, e, material.TemporaryLifetime-time.Hour)
	c, err := e.Service.Download(t.Context(), m.ID)
	if err != nil {
		t.Fatalf("Download an hour before expiry: %v", err)
	}
	sameBytes(t, "Download an hour before expiry", readContent(t, "Download", c), data)
	advance(t, e, 2*time.Hour)
	_, err = e.Service.Download(t.Context(), m.ID)
	wantErr(t, "Download an hour after expiry", err, material.ErrNotFound)
}

// uploadImage checks images for rich text: a link, the limits, and (on
// the Official Account) no change to the library.
func (s *suite) uploadImage(t tb) {
	e := s.env(t)
	lib, _ := e.Service.(material.Library)
	var before material.Counts
	if lib != nil && s.p == material.OfficialAccount {
		var err error
		if before, err = lib.Count(t.Context()); err != nil {
			t.Fatalf("Count: %v", err)
		}
	}
	for _, k := range []material.Kind{material.KindImage, material.KindThumb} { // a PNG and a JPEG
		src, _ := sourceOf(k, 0)
		link, err := e.Service.UploadImage(t.Context(), src)
		if err != nil {
			t.Fatalf("UploadImage(%s): %v", src.Name(), err)
		}
		if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("UploadImage(%s) = %q, want an absolute http(s) URL", src.Name(), link)
		}
	}
	_, amr := sample(material.KindVoice, 0)
	_, err := e.Service.UploadImage(t.Context(), material.FromBytes("voice.amr", amr))
	wantErr(t, "UploadImage(voice.amr)", err, material.ErrInvalidFormat)

	rule, _ := material.RuleFor(s.p, material.APIImage, material.KindImage)
	name, head := sample(material.KindImage, 0)
	src, r := countingSource(name, head, rule.MaxSize+1, rule.MaxSize+1)
	_, err = e.Service.UploadImage(t.Context(), src)
	wantErr(t, fmt.Sprintf("UploadImage(%d bytes)", rule.MaxSize+1), err, material.ErrTooLarge)
	checkNothingRead(t, "UploadImage(too large)", r)

	if lib != nil && s.p == material.OfficialAccount {
		after, err := lib.Count(t.Context())
		if err != nil {
			t.Fatalf("Count: %v", err)
		}
		if after != before {
			t.Errorf("UploadImage changed the library's counts from %+v to %+v", before, after)
		}
	}
}

// concurrent uploads and downloads from several goroutines at once.
func (s *suite) concurrent(t tb) {
	e := s.env(t)
	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, data := sourceOf(material.KindImage, 100+i)
			problem := func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, fmt.Sprintf("goroutine %d: ", i)+fmt.Sprintf(format, args...))
			}
			m, err := e.Service.Upload(t.Context(), material.KindImage, src)
			if err != nil {
				problem("Upload: %v", err)
				return
			}
			c, err := e.Service.Download(t.Context(), m.ID)
			if err != nil || c == nil {
				problem("Download: %v (Content %v)", err, c)
				return
			}
			var got bytes.Buffer
			_, err = got.ReadFrom(c)
			c.Close()
			if err != nil || !bytes.Equal(got.Bytes(), data) {
				problem("Download %q: %d bytes (err %v), want the %d uploaded", m.ID, got.Len(), err, len(data))
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		t.Error(e)
	}
}
