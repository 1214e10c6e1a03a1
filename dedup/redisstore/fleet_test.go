//go:build unix

package redisstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/fleettest"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

// A fleet test re-runs this test binary as child processes: TestMain finds
// the child's configuration, JSON, in envChild and runs runChild instead of
// the tests.
const envChild = "WXMATERIAL_TEST_DEDUP_CHILD"

// childConfig configures a child of a fleet test.
type childConfig struct {
	Redis    string            // the Redis URL
	Prefix   string            // of the store's keys
	Root     string            // the emulator's root URL
	Platform material.Platform // of the account the child uploads for
	File     string            // the file it uploads
	LockTTL  time.Duration     // dedup.WithLockTTL
}

// childStoreTimeout is the children's store timeout.
const childStoreTimeout = 500 * time.Millisecond

// runChild is a process of the fleet: it wraps a client of the test account
// with a dedup.Service over Redis, says "ready", then answers each line of
// stdin: "upload" uploads the file as an image and says "ok <media id>".
// While an upload waits for another process's lock, it says "waiting"
// (once per process).
func runChild(config string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		return fail(err)
	}
	opt, err := redis.ParseURL(cfg.Redis)
	if err != nil {
		return fail(err)
	}
	opt.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	say := fleettest.Say()
	seen := make(chan struct{}, 1)
	rdb.AddHook(&commandHook{name: "pttl", seen: seen}) // WaitUnlock polls the lock's TTL
	go func() {
		<-seen
		say("waiting")
	}()
	store, err := redisstore.New(rdb, redisstore.WithPrefix(cfg.Prefix), redisstore.WithTimeout(childStoreTimeout))
	if err != nil {
		return fail(err)
	}
	client, err := newClient(cfg.Root, cfg.Platform, &http.Client{})
	if err != nil {
		return fail(err)
	}
	svc, err := dedup.New(client, dedup.WithStore(store), dedup.WithLockTTL(cfg.LockTTL))
	if err != nil {
		return fail(err)
	}
	src, err := material.FromFile(cfg.File)
	if err != nil {
		return fail(err)
	}
	say("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if m, err := svc.Upload(ctx, material.KindImage, src); err != nil {
			say("err %v", err)
		} else {
			say("ok %s", m.ID)
		}
		cancel()
	}
	return 0
}

// line is a line a child said.
type line struct {
	child int
	text  string
}

// fleet is the children of a test; lines merges what they say.
type fleet struct {
	procs []*fleettest.Proc
	lines chan line
}

// startFleet starts n children uploading cfg.File and waits until each is
// ready.
func startFleet(t *testing.T, n int, cfg childConfig) *fleet {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fl := &fleet{procs: fleettest.Start(t, n, envChild+"="+string(b)), lines: make(chan line, 16*n)}
	for i, p := range fl.procs {
		go func() {
			for text := range p.Lines {
				fl.lines <- line{i, text}
			}
			fl.lines <- line{i, "exited"}
		}()
	}
	for range n {
		if l := fl.next(t); l.text != "ready" {
			t.Fatalf("child %d said %q, want ready", l.child, l.text)
		}
	}
	return fl
}

// next returns the next line a child said.
func (fl *fleet) next(t *testing.T) line {
	t.Helper()
	l := receive(t, fl.lines, "a line from a child")
	if l.text == "exited" {
		t.Fatalf("child %d exited; stderr:\n%s", l.child, fl.procs[l.child].Stderr)
	}
	return l
}

// all tells every child to upload.
func (fl *fleet) all(t *testing.T) {
	t.Helper()
	for _, p := range fl.procs {
		p.Send(t, "upload")
	}
}

// eachPlatform runs test on each platform, in parallel, with an emulator
// behind a gate.
func eachPlatform(t *testing.T, test func(t *testing.T, pl material.Platform, g *gate, p *platform)) {
	for _, pl := range platforms {
		t.Run(string(pl), func(t *testing.T) {
			t.Parallel()
			g := newGate()
			test(t, pl, g, newPlatform(t, g.wrap))
		})
	}
}

// TestFleetProcessesUploadOnce: six processes, each with its own Service,
// Store and Redis client, upload the same bytes at once: one upload
// reaches the platform, the others wait for its lock and take its media
// id. The first upload is held at the platform until every other process
// says it waits, so the processes do overlap.
func TestFleetProcessesUploadOnce(t *testing.T) {
	t.Parallel()
	eachPlatform(t, func(t *testing.T, pl material.Platform, g *gate, p *platform) {
		const n = 6
		fl := startFleet(t, n, childConfig{Redis: redistest.Shared(t).URL(0), Prefix: redistest.Prefix(t), Root: p.url, Platform: pl,
			File: sampleFile(t, 4096), LockTTL: dedup.DefaultLockTTL})
		fl.all(t)
		receive(t, g.arrived, "an upload at the platform")
		waiting := map[int]bool{}
		for len(waiting) < n-1 {
			l := fl.next(t)
			if l.text != "waiting" {
				t.Fatalf("child %d said %q before the upload was let through; want waiting", l.child, l.text)
			}
			waiting[l.child] = true
		}
		g.release()
		ids := map[string]int{}
		for range n {
			l := fl.next(t)
			id, ok := strings.CutPrefix(l.text, "ok ")
			if !ok {
				t.Fatalf("child %d said %q, want ok and a media id", l.child, l.text)
			}
			ids[id]++
		}
		if len(ids) != 1 {
			t.Errorf("the processes got %d media ids, want one: %v", len(ids), ids)
		}
		if got := p.uploads(t, pl); got != 1 {
			t.Errorf("%d uploads reached the platform, want 1", got)
		}
		if extra := len(g.arrived); extra != 0 {
			t.Errorf("%d more uploads came to the platform", extra)
		}

		// Later, every process answers from Redis.
		fl.all(t)
		for range n {
			if l := fl.next(t); !strings.HasPrefix(l.text, "ok ") || ids[strings.TrimPrefix(l.text, "ok ")] == 0 {
				t.Errorf("child %d said %q, want the same media id", l.child, l.text)
			}
		}
		if got := p.uploads(t, pl); got != 1 {
			t.Errorf("%d uploads after a second round, want 1", got)
		}
	})
}

// TestFleetHolderKilled: a process killed while it uploads under the lock
// keeps the others waiting until the lock lapses, no longer; its upload
// never reached the platform, and the next process uploads. The killed
// holder's lock is long (a minute); once it is dead the test shortens it,
// which is what time passing would do.
func TestFleetHolderKilled(t *testing.T) {
	t.Parallel()
	g := newGate()
	p := newPlatform(t, g.wrap)
	srv := redistest.Shared(t)
	path := sampleFile(t, 4096)
	fl := startFleet(t, 1, childConfig{Redis: srv.URL(0), Prefix: redistest.Prefix(t), Root: p.url, Platform: material.WeCom, File: path, LockTTL: time.Minute})
	fl.all(t)
	receive(t, g.arrived, "the holder's upload at the platform")
	holder := fl.procs[0].Cmd
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Process.Wait()

	s, rdb := newStore(t, srv)
	svc := newService(t, p.client(t, material.WeCom), s)
	src := fromFile(t, path)
	keys, err := rdb.Keys(t.Context(), redistest.Prefix(t)+"*:lock").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("lock keys %v, %v; want the dead holder's", keys, err)
	}
	if ttl := rdb.PTTL(t.Context(), keys[0]).Val(); ttl < 30*time.Second {
		t.Fatalf("the dead holder's lock has TTL %v; want it held", ttl)
	}

	// While the dead holder's lock lasts, the upload waits and sends
	// nothing; it ends with the caller's context. (Cancelled, not given a
	// deadline: a caller with a deadline waits only half of it, then
	// uploads without the lock.)
	ctx, cancel := context.WithCancel(t.Context())
	stop := time.AfterFunc(300*time.Millisecond, cancel)
	_, err = svc.Upload(ctx, material.KindImage, src)
	stop.Stop()
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload while a dead process holds the lock = %v; want the caller's cancellation", err)
	}
	if got := p.uploads(t, material.WeCom); got != 0 {
		t.Fatalf("%d uploads while the lock was held, want 0", got)
	}

	rdb.PExpire(t.Context(), keys[0], 100*time.Millisecond)
	g.release()
	if _, err := svc.Upload(t.Context(), material.KindImage, src); err != nil {
		t.Fatalf("Upload after the lock lapsed: %v", err)
	}
	if got := p.uploads(t, material.WeCom); got != 1 {
		t.Errorf("%d uploads, want 1", got)
	}
	if n := rdb.Exists(t.Context(), keys[0]).Val(); n != 0 {
		t.Error("the new holder left the lock")
	}
}

// TestServicesInOneProcessUploadOnce: eight Services in one process, each
// with its own Store and Redis client (as eight processes would have, so
// that no in-process single flight joins them), upload the same content
// at once: one upload, held at the platform until the seven others wait
// for its lock.
func TestServicesInOneProcessUploadOnce(t *testing.T) {
	t.Parallel()
	eachPlatform(t, func(t *testing.T, pl material.Platform, g *gate, p *platform) {
		testServicesUploadOnce(t, pl, g, p, onServer(redistest.Shared(t)), sampleFile(t, 4096))
	})
}

// testServicesUploadOnce: eight Services of pl over stores of newStore
// upload the file at path at once: one upload reaches p, held at g until
// the seven others wait for its lock; all get its media id, and so does a
// later Service.
func testServicesUploadOnce(t *testing.T, pl material.Platform, g *gate, p *platform, newStore stores, path string) {
	const n = 8
	waiting := make(chan struct{}, n)
	services := make([]*dedup.Service, n)
	for i := range services {
		s, rdb := newStore(t)
		rdb.AddHook(&commandHook{name: "pttl", seen: waiting})
		services[i] = newService(t, p.client(t, pl), s)
	}
	type result struct {
		m   material.Media
		err error
	}
	results := make(chan result, n)
	for _, svc := range services {
		go func() {
			m, err := svc.Upload(t.Context(), material.KindImage, fromFile(t, path))
			results <- result{m, err}
		}()
	}
	receive(t, g.arrived, "an upload at the platform")
	for range n - 1 {
		receive(t, waiting, "a Service waiting for the lock")
	}
	g.release()
	var first string
	for range n {
		r := receive(t, results, "an upload's result")
		if r.err != nil {
			t.Fatal(r.err)
		}
		if first == "" {
			first = r.m.ID
		}
		if r.m.ID != first || r.m.Kind != material.KindImage || r.m.ExpiresAt.IsZero() {
			t.Errorf("a Service got %+v, want media id %s with its expiry", r.m, first)
		}
	}
	if got := p.uploads(t, pl); got != 1 {
		t.Errorf("%d uploads reached the platform, want 1", got)
	}
	var total dedup.Stats
	for _, svc := range services {
		st := svc.Stats()
		total.Uploads += st.Uploads
		total.Reused += st.Reused
	}
	if total.Uploads != 1 || total.Reused != n-1 {
		t.Errorf("the Services counted %d uploads and %d reused, want 1 and %d", total.Uploads, total.Reused, n-1)
	}

	// A Service that comes later takes the id from Redis.
	s, _ := newStore(t)
	late := newService(t, p.client(t, pl), s)
	if m, err := late.Upload(t.Context(), material.KindImage, fromFile(t, path)); err != nil || m.ID != first {
		t.Errorf("a later Service got %v, %v; want %s", m.ID, err, first)
	}
	if got := p.uploads(t, pl); got != 1 {
		t.Errorf("%d uploads after a later Service's, want 1", got)
	}
}

// TestRejectedIDForgottenAcrossTheFleet: a media id the platform rejects
// (40007) is forgotten in Redis by the Service that meets the rejection, so
// another Service uploads the content anew; an id another process saved
// since is kept.
func TestRejectedIDForgottenAcrossTheFleet(t *testing.T) {
	t.Parallel()
	testRejectedIDForgotten(t, onServer(redistest.Shared(t)), sampleFile(t, 4096))
}

// testRejectedIDForgotten: Services A and B of WeCom over stores of
// newStore share the media id of the file at path; B forgets it when the
// platform rejects it, and A forgetting the old id keeps the new one.
func testRejectedIDForgotten(t *testing.T, newStore stores, path string) {
	p := newPlatform(t, nil)
	sa, rdb := newStore(t)
	sb, _ := newStore(t)
	a := newService(t, p.client(t, material.WeCom), sa)
	b := newService(t, p.client(t, material.WeCom), sb)
	ctx := t.Context()

	m, err := a.Upload(ctx, material.KindImage, fromFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	lost := material.Media{}
	calls := 0
	got, err := b.Use(ctx, material.KindImage, fromFile(t, path), func(ctx context.Context, m material.Media) error {
		calls++
		if calls == 1 {
			lost = m
			return fmt.Errorf("send: %w", material.ErrNotFound) // the platform lost it
		}
		return nil
	})
	if err != nil || lost.ID != m.ID || got.ID == m.ID || calls != 2 {
		t.Fatalf("Use = %+v, %v after %d calls; want a new id after the remembered %s was rejected", got, err, calls, m.ID)
	}
	if up := p.uploads(t, material.WeCom); up != 2 {
		t.Errorf("%d uploads, want 2", up)
	}
	// A's next upload takes the new id from Redis.
	if again, err := a.Upload(ctx, material.KindImage, fromFile(t, path)); err != nil || again.ID != got.ID {
		t.Errorf("A's upload after the rejection = %v, %v; want %s", again.ID, err, got.ID)
	}
	// A forgetting the old id keeps the new one.
	if forgot, err := a.Forget(ctx, material.KindImage, fromFile(t, path), m.ID); err != nil || forgot {
		t.Errorf("Forget of the old id = %v, %v; want false", forgot, err)
	}
	keys, err := keysMatching(ctx, rdb, redistest.Prefix(t)+"*:entry")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.Contains(rdb.Get(ctx, keys[0]).Val(), got.ID) {
		t.Errorf("Redis holds %v; want the new id's entry", keys)
	}
}

// TestRedisDownUploadsStillWork: with Redis stopped or hung, uploads go on
// without it (each one reaching the platform), warn, and never outlast the
// caller's context; once Redis is back, the Service uses it again.
func TestRedisDownUploadsStillWork(t *testing.T) {
	t.Parallel()
	p := newPlatform(t, nil)
	srv := redistest.Start(t) // its own: the test stops it
	logger, logs := fleettest.NewLogger()
	s, _ := newStore(t, srv, redisstore.WithTimeout(100*time.Millisecond))
	svc := newService(t, p.client(t, material.OfficialAccount), s, dedup.WithLogger(logger))
	slowStore, _ := newStore(t, srv, redisstore.WithTimeout(time.Minute))
	slow := newService(t, p.client(t, material.OfficialAccount), slowStore)
	path := sampleFile(t, 4096)
	ctx := t.Context()
	upload := func(svc *dedup.Service) string {
		t.Helper()
		m, err := svc.Upload(ctx, material.KindImage, fromFile(t, path))
		if err != nil {
			t.Fatalf("Upload with Redis down: %v", err)
		}
		return m.ID
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	a, b := upload(svc), upload(svc)
	if a == b || p.uploads(t, material.OfficialAccount) != 2 {
		t.Errorf("Redis stopped: ids %s and %s, %d uploads; want two uploads", a, b, p.uploads(t, material.OfficialAccount))
	}
	if n := logs.Count("the store failed"); n != 1 {
		t.Errorf("%d warnings about the store, want 1 (once a minute):\n%s", n, logs)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	// Hung: each call costs the store's timeout (100 ms), then the upload
	// goes on without it...
	upload(svc)
	if got := p.uploads(t, material.OfficialAccount); got != 3 {
		t.Errorf("Redis hung: %d uploads, want 3", got)
	}
	// ...and a store whose timeout is longer than the caller's deadline
	// gives up with the caller.
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := slow.Upload(dctx, material.KindImage, fromFile(t, path))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Upload with Redis hung and a 300 ms deadline = %v; want the caller's deadline", err)
	}

	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	c, d := upload(svc), upload(svc)
	if c != d {
		t.Errorf("Redis back: ids %s and %s, want one", c, d)
	}
}
