package dedup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// start is the Fakes' clock at the beginning of a test.
var start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// newFake returns a Fake of platform p on a clock starting at start, and a
// wrapper of it on the same clock.
func newFake(t testing.TB, p material.Platform, opts ...dedup.Option) (*materialtest.Fake, *dedup.Service) {
	t.Helper()
	f := materialtest.NewFake(p, materialtest.WithClock(func() time.Time { return start }))
	s, err := dedup.New(f, append([]dedup.Option{dedup.WithClock(f.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f, s
}

// count returns how many calls of method f recorded.
func count(f *materialtest.Fake, method string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method && c.Err == nil {
			n++
		}
	}
	return n
}

func upload(t testing.TB, s material.Service, k material.Kind, src material.Source) material.Media {
	t.Helper()
	m, err := s.Upload(t.Context(), k, src)
	if err != nil {
		t.Fatalf("Upload(%s, %s): %v", k, src.Name(), err)
	}
	return m
}

func TestUploadOnce(t *testing.T) {
	f, s := newFake(t, material.OfficialAccount)
	name, img := materialtest.SampleBytes(material.KindImage)
	first := upload(t, s, material.KindImage, material.FromBytes(name, img))
	again := upload(t, s, material.KindImage, material.FromBytes("another-name.png", bytes.Clone(img)))
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the second upload of the same bytes (-first +second):\n%s", diff)
	}
	if n := count(f, "Upload"); n != 1 {
		t.Errorf("%d uploads reached the platform, want 1", n)
	}
	if got, _ := f.Bytes(first.ID); !bytes.Equal(got, img) {
		t.Errorf("the remembered id holds %d bytes, want %d", len(got), len(img))
	}

	_, thumb := materialtest.SampleBytes(material.KindThumb)
	asThumb := upload(t, s, material.KindThumb, material.FromBytes("t.jpg", thumb))
	asImage := upload(t, s, material.KindImage, material.FromBytes("t.jpg", thumb))
	other := upload(t, s, material.KindImage, material.FromBytes(name, append(bytes.Clone(img), 0)))
	if asThumb.ID == asImage.ID || other.ID == first.ID {
		t.Errorf("another kind or other bytes got a remembered id: thumb %q, image %q, other %q, first %q", asThumb.ID, asImage.ID, other.ID, first.ID)
	}
	want := dedup.Stats{Uploads: 4, Reused: 1}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestWeComKeysTheName(t *testing.T) {
	f, s := newFake(t, material.WeCom)
	_, data := materialtest.SampleBytes(material.KindFile)
	a := upload(t, s, material.KindFile, material.FromBytes("prices-march.pdf", data))
	b := upload(t, s, material.KindFile, material.FromBytes("prices-march.pdf", data))
	c := upload(t, s, material.KindFile, material.FromBytes("prices-april.pdf", data))
	if a.ID != b.ID || a.ID == c.ID || count(f, "Upload") != 2 {
		t.Errorf("ids %q %q %q with %d uploads; want the first two equal and the third, named otherwise, uploaded", a.ID, b.ID, c.ID, count(f, "Upload"))
	}
	got, err := s.Download(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Close()
	if got.Name != "prices-april.pdf" {
		t.Errorf("the download is named %q, want the name uploaded", got.Name)
	}
}

func TestMargin(t *testing.T) {
	tests := []struct {
		name    string
		margin  time.Duration
		elapsed time.Duration
		reused  bool
	}{
		{name: "fresh", elapsed: time.Minute, reused: true},
		{name: "just over the default margin left", elapsed: material.TemporaryLifetime - time.Hour - time.Second, reused: true},
		{name: "the default margin left", elapsed: material.TemporaryLifetime - time.Hour, reused: false},
		{name: "a longer margin", margin: 24 * time.Hour, elapsed: 48*time.Hour + time.Second, reused: false},
		{name: "no margin", margin: -1, elapsed: material.TemporaryLifetime - time.Second, reused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []dedup.Option
			switch {
			case tt.margin > 0:
				opts = append(opts, dedup.WithMargin(tt.margin))
			case tt.margin < 0:
				opts = append(opts, dedup.WithMargin(0))
			}
			f, s := newFake(t, material.OfficialAccount, opts...)
			src := materialtest.Sample(material.KindVoice)
			first := upload(t, s, material.KindVoice, src)
			f.Advance(tt.elapsed)
			again := upload(t, s, material.KindVoice, src)
			if reused := again.ID == first.ID; reused != tt.reused {
				t.Errorf("after %v the id was reused: %v, want %v", tt.elapsed, reused, tt.reused)
			}
			if !tt.reused {
				if again.ExpiresAt.Sub(f.Now()) < material.TemporaryLifetime-time.Second {
					t.Errorf("the new id expires at %v, want three days from now (%v)", again.ExpiresAt, f.Now())
				}
				if third := upload(t, s, material.KindVoice, src); third.ID != again.ID {
					t.Errorf("the id uploaded anew was not remembered")
				}
			}
		})
	}
}

// stream is a plain io.Reader: a one-shot Source.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

// counted is a replayable reader (io.ReaderAt and io.Seeker) of size bytes
// that counts what is read.
type counted struct {
	head []byte
	size int64
	read atomic.Int64
}

func (c *counted) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), c.size-off))
	clear(p[:n])
	if off < int64(len(c.head)) {
		copy(p[:n], c.head[off:])
	}
	c.read.Add(int64(n))
	return n, nil
}

func (c *counted) Read([]byte) (int, error) { return 0, errors.New("use ReadAt") }

func (c *counted) Seek(int64, int) (int64, error) { return 0, nil }

func TestPassedThrough(t *testing.T) {
	f, s := newFake(t, material.OfficialAccount)
	name, img := materialtest.SampleBytes(material.KindImage)
	for range 2 {
		src := material.FromReader(name, stream{bytes.NewReader(img)}, int64(len(img)))
		upload(t, s, material.KindImage, src)
	}
	if n := count(f, "Upload"); n != 2 {
		t.Errorf("one-shot sources made %d uploads, want 2", n)
	}

	rule, err := material.RuleFor(material.OfficialAccount, material.APITemporary, material.KindImage)
	if err != nil {
		t.Fatal(err)
	}
	big := &counted{head: img, size: rule.MaxSize + 1}
	src := material.FromReader(name, big, big.size)
	if !src.Replayable() {
		t.Fatal("the oversize source is not replayable")
	}
	if _, err := s.Upload(t.Context(), material.KindImage, src); !errors.Is(err, material.ErrTooLarge) {
		t.Errorf("Upload(oversize) = %v, want the wrapped Service's ErrTooLarge", err)
	}
	if n := big.read.Load(); n > material.SniffLen {
		t.Errorf("%d bytes of the oversize source were read, want at most %d: it must not be hashed", n, material.SniffLen)
	}
	if _, err := s.Upload(t.Context(), material.KindFile, materialtest.Sample(material.KindFile)); !errors.Is(err, material.ErrUnsupported) {
		t.Errorf("Upload(file) on the Official Account = %v, want ErrUnsupported", err)
	}
	want := dedup.Stats{Passed: 4}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestUploadImage(t *testing.T) {
	f, s := newFake(t, material.WeCom)
	src := materialtest.Sample(material.KindImage)
	a, err := s.UploadImage(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.UploadImage(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || count(f, "UploadImage") != 1 {
		t.Errorf("URLs %q and %q with %d uploads, want one upload", a, b, count(f, "UploadImage"))
	}
	f.Advance(dedup.DefaultImageLifetime)
	if c, err := s.UploadImage(t.Context(), src); err != nil || c == a {
		t.Errorf("after the image lifetime UploadImage = %q, %v; want a new URL", c, err)
	}

	f2, off := newFake(t, material.WeCom, dedup.WithImageLifetime(0))
	for range 2 {
		if _, err := off.UploadImage(t.Context(), src); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(f2, "UploadImage"); n != 2 {
		t.Errorf("WithImageLifetime(0) made %d uploads, want 2", n)
	}
}

// notFound is the platform's answer to an unknown media id.
func notFound(p material.Platform) error {
	return &material.APIError{Platform: p, Op: "cgi-bin/message/send", Code: 40007, Message: "invalid media_id"}
}

func TestUseForgetsARejectedID(t *testing.T) {
	f, s := newFake(t, material.OfficialAccount)
	src := materialtest.Sample(material.KindImage)
	stale := upload(t, s, material.KindImage, src)
	var used []string
	use := func(_ context.Context, m material.Media) error {
		used = append(used, m.ID)
		if m.ID == stale.ID {
			return fmt.Errorf("send: %w", notFound(material.OfficialAccount))
		}
		return nil
	}
	m, err := s.Use(t.Context(), material.KindImage, src, use)
	if err != nil {
		t.Fatalf("Use: %v", err)
	}
	if m.ID == stale.ID || len(used) != 2 || used[0] != stale.ID || used[1] != m.ID {
		t.Errorf("Use returned %q after calls with %v; want the stale id, then a new one", m.ID, used)
	}
	if again := upload(t, s, material.KindImage, src); again.ID != m.ID {
		t.Errorf("the next upload got %q, want the new id %q remembered", again.ID, m.ID)
	}
	want := dedup.Stats{Uploads: 2, Reused: 2, Forgotten: 1}
	if diff := cmp.Diff(want, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if n := count(f, "Upload"); n != 2 {
		t.Errorf("%d uploads, want 2", n)
	}

	t.Run("once only", func(t *testing.T) {
		calls := 0
		_, err := s.Use(t.Context(), material.KindImage, src, func(context.Context, material.Media) error {
			calls++
			return notFound(material.OfficialAccount)
		})
		if !errors.Is(err, material.ErrNotFound) || calls != 2 {
			t.Errorf("Use with a function that always fails = %v after %d calls; want ErrNotFound after 2", err, calls)
		}
	})
	t.Run("a fresh upload is not redone", func(t *testing.T) {
		calls := 0
		_, err := s.Use(t.Context(), material.KindVoice, materialtest.Sample(material.KindVoice), func(context.Context, material.Media) error {
			calls++
			return notFound(material.OfficialAccount)
		})
		if !errors.Is(err, material.ErrNotFound) || calls != 1 {
			t.Errorf("Use = %v after %d calls; want ErrNotFound after 1", err, calls)
		}
	})
	t.Run("other errors are returned", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := s.Use(t.Context(), material.KindImage, src, func(context.Context, material.Media) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("Use = %v, want boom", err)
		}
	})
}

func TestDownloadForgets(t *testing.T) {
	f, s := newFake(t, material.WeCom)
	src := materialtest.Sample(material.KindImage)
	first := upload(t, s, material.KindImage, src)
	f.FailNext("Download", 1, &material.APIError{Platform: material.WeCom, Op: "cgi-bin/media/get", Code: 40007})
	if _, err := s.Download(t.Context(), first.ID); !errors.Is(err, material.ErrNotFound) {
		t.Fatalf("Download = %v, want the injected ErrNotFound", err)
	}
	second := upload(t, s, material.KindImage, src)
	if second.ID == first.ID || count(f, "Upload") != 2 || s.Stats().Forgotten != 1 {
		t.Errorf("after the platform lost %q the next upload gave %q (%d uploads, %+v); want a new upload", first.ID, second.ID, count(f, "Upload"), s.Stats())
	}

	t.Run("an expired id is not a rejection", func(t *testing.T) {
		f.Advance(material.TemporaryLifetime)
		if _, err := s.Download(t.Context(), second.ID); !errors.Is(err, material.ErrNotFound) {
			t.Fatalf("Download of an expired id = %v", err)
		}
		if s.Stats().Forgotten != 1 {
			t.Errorf("an expiry counted as a rejection: %+v", s.Stats())
		}
	})
}

func TestForget(t *testing.T) {
	f, s := newFake(t, material.OfficialAccount)
	src := materialtest.Sample(material.KindImage)
	m := upload(t, s, material.KindImage, src)
	if ok, err := s.Forget(t.Context(), material.KindImage, src, "another-id"); err != nil || ok {
		t.Errorf("Forget(another id) = %v, %v; want false", ok, err)
	}
	if ok, err := s.Forget(t.Context(), material.KindImage, src, m.ID); err != nil || !ok {
		t.Errorf("Forget = %v, %v; want true", ok, err)
	}
	if again := upload(t, s, material.KindImage, src); again.ID == m.ID || count(f, "Upload") != 2 {
		t.Errorf("after Forget the upload gave %q again", again.ID)
	}
	oneShot := material.FromReader("x.png", stream{strings.NewReader("x")}, 1)
	if ok, err := s.Forget(t.Context(), material.KindImage, oneShot, m.ID); err != nil || ok {
		t.Errorf("Forget(one-shot) = %v, %v; want false, nil", ok, err)
	}
}

// gate blocks the Fake's uploads until opened.
func gate(f *materialtest.Fake, method string) (open func()) {
	ch := make(chan struct{})
	f.Prepend(method, func(materialtest.Call) error { <-ch; return nil })
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func TestConcurrentUploadsMakeOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := materialtest.NewFake(material.OfficialAccount)
		s, err := dedup.New(f)
		if err != nil {
			t.Fatal(err)
		}
		open := gate(f, "Upload")
		src := materialtest.Sample(material.KindImage)
		const n = 8
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m, err := s.Upload(t.Context(), material.KindImage, src)
				if err != nil {
					t.Error(err)
				}
				ids[i] = m.ID
			})
		}
		synctest.Wait() // all in: one at the platform, the others waiting for it
		open()
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] || id == "" {
				t.Fatalf("ids = %v, want one id", ids)
			}
		}
		if got := count(f, "Upload"); got != 1 {
			t.Errorf("%d uploads, want 1", got)
		}
		if got := s.Stats(); got.Uploads != 1 || got.Reused != n-1 {
			t.Errorf("Stats = %+v, want 1 upload and %d reused", got, n-1)
		}
	})
}

func TestSharedStoreMakesOneUpload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := materialtest.NewFake(material.WeCom)
		store := dedup.NewMemoryStore()
		var svcs []*dedup.Service
		for range 3 { // three processes of a fleet
			s, err := dedup.New(f, dedup.WithStore(store))
			if err != nil {
				t.Fatal(err)
			}
			svcs = append(svcs, s)
		}
		open := gate(f, "Upload")
		src := materialtest.Sample(material.KindVideo)
		ids := make([]string, len(svcs))
		var wg sync.WaitGroup
		for i, s := range svcs {
			wg.Go(func() {
				m, err := s.Upload(t.Context(), material.KindVideo, src)
				if err != nil {
					t.Error(err)
				}
				ids[i] = m.ID
			})
		}
		synctest.Wait()
		open()
		wg.Wait()
		if ids[0] == "" || ids[0] != ids[1] || ids[1] != ids[2] || count(f, "Upload") != 1 {
			t.Errorf("ids %v with %d uploads, want one upload for the fleet", ids, count(f, "Upload"))
		}
	})
}

func TestDeadHolderLapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := materialtest.NewFake(material.OfficialAccount, materialtest.WithAccount("wx-a"))
		store := dedup.NewMemoryStore()
		s, err := dedup.New(f, dedup.WithStore(store), dedup.WithLockTTL(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		name, img := materialtest.SampleBytes(material.KindImage)
		sum := sha256.Sum256(img)
		key := "officialaccount:wx-a:image:" + hex.EncodeToString(sum[:]) // as the package documents
		// Another process took the lock of the content and died.
		if l, err := store.TryLock(t.Context(), key, 90*time.Second); l == nil || err != nil {
			t.Fatalf("TryLock = %v, %v", l, err)
		}
		began := time.Now()
		m := upload(t, s, material.KindImage, material.FromBytes(name, img))
		if waited := time.Since(began); waited != 90*time.Second {
			t.Errorf("the upload waited %v, want the 90s until the dead holder's lock lapsed", waited)
		}
		e, ok, err := store.Load(t.Context(), key)
		if err != nil || !ok || e.Value != m.ID || !e.ExpiresAt.Equal(m.ExpiresAt) {
			t.Errorf("the Store holds %+v (%v, %v) under %s, want the media %+v", e, ok, err, key, m)
		}
	})
}

func TestLockNeverFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := materialtest.NewFake(material.OfficialAccount)
		s, err := dedup.New(f, dedup.WithStore(&lockAll{Store: dedup.NewMemoryStore()}))
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		upload(t, s, material.KindImage, materialtest.Sample(material.KindImage))
		if waited := time.Since(began); waited != 3*time.Minute {
			t.Errorf("the upload waited %v, want three waits of a minute, then an upload without the lock", waited)
		}
		if count(f, "Upload") != 1 {
			t.Errorf("%d uploads, want 1", count(f, "Upload"))
		}
	})
}

// lockAll is a Store whose locks are always held by others: TryLock never
// succeeds, WaitUnlock returns after a minute.
type lockAll struct{ dedup.Store }

func (lockAll) TryLock(context.Context, string, time.Duration) (dedup.Lock, error) { return nil, nil }

func (lockAll) WaitUnlock(ctx context.Context, _ string) error {
	select {
	case <-time.After(time.Minute):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestLeaderCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := materialtest.NewFake(material.OfficialAccount)
		s, err := dedup.New(f)
		if err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		var first atomic.Bool
		f.Prepend("Upload", func(materialtest.Call) error {
			if first.CompareAndSwap(false, true) {
				<-release
				return context.Canceled // the leader's request ended with its context
			}
			return nil
		})
		src := materialtest.Sample(material.KindImage)
		ctx, cancel := context.WithCancel(t.Context())
		leader := make(chan error, 1)
		go func() {
			_, err := s.Upload(ctx, material.KindImage, src)
			leader <- err
		}()
		synctest.Wait()
		follower := make(chan error, 1)
		go func() {
			_, err := s.Upload(t.Context(), material.KindImage, src)
			follower <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-leader; !errors.Is(err, context.Canceled) {
			t.Errorf("the leader's Upload = %v, want context.Canceled", err)
		}
		close(release)
		if err := <-follower; err != nil {
			t.Errorf("the follower's Upload = %v, want it to upload itself", err)
		}
		if count(f, "Upload") != 1 {
			t.Errorf("%d successful uploads, want 1", count(f, "Upload"))
		}
	})
}

// broken is a Store that always fails, and counts the calls it gets.
type broken struct{ calls atomic.Int64 }

var errDown = errors.New("store down")

func (b *broken) Load(context.Context, string) (dedup.Entry, bool, error) {
	b.calls.Add(1)
	return dedup.Entry{}, false, errDown
}
func (b *broken) Save(context.Context, string, dedup.Entry, time.Duration) error {
	b.calls.Add(1)
	return errDown
}
func (b *broken) CompareAndDelete(context.Context, string, string) (bool, error) {
	b.calls.Add(1)
	return false, errDown
}
func (b *broken) TryLock(context.Context, string, time.Duration) (dedup.Lock, error) {
	b.calls.Add(1)
	return nil, errDown
}
func (b *broken) WaitUnlock(context.Context, string) error {
	b.calls.Add(1)
	return errDown
}

func TestStoreDown(t *testing.T) {
	var logs bytes.Buffer
	f := materialtest.NewFake(material.OfficialAccount)
	st := &broken{}
	s, err := dedup.New(f, dedup.WithStore(st), dedup.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	src := materialtest.Sample(material.KindImage)
	for range 3 {
		upload(t, s, material.KindImage, src)
	}
	if n := count(f, "Upload"); n != 3 {
		t.Errorf("%d uploads, want 3: without its Store the wrapper uploads every time", n)
	}
	// A Store that hangs until its timeout costs an upload one timeout:
	// after a failed call, the upload makes no more.
	if n := st.calls.Load(); n != 3 {
		t.Errorf("three uploads made %d calls to the failing Store, want 3 (one Load each)", n)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings logged, want 1 a minute:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), errDown.Error()) {
		t.Errorf("the warning does not name the failure:\n%s", logs.String())
	}
}

// anonymous is a Service that does not tell its platform and account.
type anonymous struct{ material.Service }

func TestNew(t *testing.T) {
	f := materialtest.NewFake(material.WeCom, materialtest.WithAccount("ww-corp"))
	s, err := dedup.New(f)
	if err != nil || s.Platform() != material.WeCom || s.Account() != "ww-corp" || s.Unwrap() != material.Service(f) {
		t.Errorf("New(Fake) = %v, %v: want the Fake's platform and account", s, err)
	}
	if _, err := dedup.New(anonymous{f}); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("New(a Service without identity) = %v, want ErrInvalidInput", err)
	}
	if s, err := dedup.New(anonymous{f}, dedup.WithAccount(material.WeCom, "ww-corp")); err != nil || s.Account() != "ww-corp" {
		t.Errorf("New(..., WithAccount) = %v, %v", s, err)
	}
	for _, opt := range []dedup.Option{
		dedup.WithAccount("sms", "x"), dedup.WithAccount(material.WeCom, ""), dedup.WithMargin(-time.Second),
		dedup.WithMargin(material.TemporaryLifetime), dedup.WithLockTTL(0), dedup.WithImageLifetime(-1),
		dedup.WithStore(nil), dedup.WithClock(nil), dedup.WithLogger(nil),
	} {
		if _, err := dedup.New(f, opt); !errors.Is(err, material.ErrInvalidInput) {
			t.Errorf("New with a bad option = %v, want ErrInvalidInput", err)
		}
	}
	if _, err := dedup.New(nil); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("New(nil) = %v, want ErrInvalidInput", err)
	}
}

// noForget is a MemoryStore whose CompareAndDelete fails.
type noForget struct{ *dedup.MemoryStore }

func (noForget) CompareAndDelete(context.Context, string, string) (bool, error) {
	return false, errDown
}

func TestUseWhenForgetFails(t *testing.T) {
	f := materialtest.NewFake(material.OfficialAccount)
	s, err := dedup.New(f, dedup.WithStore(noForget{dedup.NewMemoryStore()}))
	if err != nil {
		t.Fatal(err)
	}
	src := materialtest.Sample(material.KindImage)
	stale := upload(t, s, material.KindImage, src)
	m, err := s.Use(t.Context(), material.KindImage, src, func(_ context.Context, m material.Media) error {
		if m.ID == stale.ID {
			return notFound(material.OfficialAccount)
		}
		return nil
	})
	if err != nil || m.ID == stale.ID || count(f, "Upload") != 2 {
		t.Errorf("Use = %q, %v after %d uploads; want the stale id passed over and a new upload", m.ID, err, count(f, "Upload"))
	}
}

// hanging is a Store that answers its first call (a Load: nothing there)
// and hangs on every other until its context ends or its own timeout of
// 8 s (a Store bounds its calls itself), counting the calls it gets.
type hanging struct{ calls atomic.Int64 }

func (h *hanging) wait(ctx context.Context) error {
	if h.calls.Add(1) == 1 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	<-ctx.Done()
	return ctx.Err()
}
func (h *hanging) Load(ctx context.Context, _ string) (dedup.Entry, bool, error) {
	return dedup.Entry{}, false, h.wait(ctx)
}
func (h *hanging) Save(ctx context.Context, _ string, _ dedup.Entry, _ time.Duration) error {
	return h.wait(ctx)
}
func (h *hanging) CompareAndDelete(ctx context.Context, _, _ string) (bool, error) {
	return false, h.wait(ctx)
}
func (h *hanging) TryLock(ctx context.Context, _ string, _ time.Duration) (dedup.Lock, error) {
	return nil, h.wait(ctx)
}
func (h *hanging) WaitUnlock(ctx context.Context, _ string) error { return h.wait(ctx) }

// TestStoreHangsWithADeadline: a Store that starts to hang during an
// upload whose caller has a deadline costs the upload one wait (half the
// time left), is reported as the Store failing (not as another's lock,
// which it never showed), and gets no more calls: the upload goes on and
// saves nothing.
func TestStoreHangsWithADeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := fleettest.NewLogger()
		f := materialtest.NewFake(material.OfficialAccount)
		st := &hanging{}
		s, err := dedup.New(f, dedup.WithStore(st), dedup.WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		began := time.Now()
		if _, err := s.Upload(ctx, material.KindImage, materialtest.Sample(material.KindImage)); err != nil {
			t.Fatalf("Upload = %v, want an upload without the Store", err)
		}
		if waited := time.Since(began); waited > 5*time.Second {
			t.Errorf("the upload took %v, want at most half of its 10 s", waited)
		}
		if n := count(f, "Upload"); n != 1 {
			t.Errorf("%d uploads, want 1", n)
		}
		if n := st.calls.Load(); n != 2 {
			t.Errorf("%d calls to the Store, want 2 (a Load answered, a Load that hung): after it failed, no lock and no save", n)
		}
		if logs.Count("held the lock") != 0 {
			t.Errorf("a hanging Store is reported as another's lock:\n%s", logs.String())
		}
		if logs.Count("level=WARN") != 1 || logs.Count("no answer within") != 1 {
			t.Errorf("want one warning that the Store did not answer:\n%s", logs.String())
		}
	})
}
