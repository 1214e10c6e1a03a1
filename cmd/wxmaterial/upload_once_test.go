//go:build unix

package main

import (
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/dedup"
	dedupredis "github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/work"
)

// uploads returns how many temporary uploads the server answered.
func (s *server) uploads(t *testing.T, p emulator.Platform) int {
	t.Helper()
	if err := s.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range s.Requests() {
		if r.Platform == p && r.Path == "/cgi-bin/media/upload" && r.Errcode == 0 {
			n++
		}
	}
	return n
}

// TestUploadOnceInARun: without Redis, --once remembers for the run: the
// same file given twice is uploaded once.
func TestUploadOnceInARun(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	file := writeFile(t, name, png)
	var up []uploadResult
	s.run(t, "upload", "--once", "--json", file, file).decode(t, &up)
	if len(up) != 2 || up[0].MediaID != up[1].MediaID || up[0].Reused || !up[1].Reused {
		t.Errorf("upload --once of one file twice printed %+v; want one media id, the second reused", up)
	}
	if n := s.uploads(t, emulator.OfficialAccount); n != 1 {
		t.Errorf("%d uploads, want 1", n)
	}
	r := s.run(t, "upload", "--once", file, file)
	out := r.ok(t)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || strings.Contains(lines[0], "(uploaded before)") || !strings.HasSuffix(lines[1], "(uploaded before)") {
		t.Errorf("upload --once printed:\n%s", out)
	}
	// Only the upload is announced, not the file handed its id again.
	if n := strings.Count(r.stderr, "wxmaterial: uploading "+file); n != 1 {
		t.Errorf("stderr says %d times that the file is being uploaded, want 1 (the second is not uploaded):\n%s", n, r.stderr)
	}
	s.run(t, "upload", "--once", "--permanent", file).fails(t, exitUsage, "--once remembers temporary media")
}

// TestUploadOnceWithRedis: with --redis, runs and the fleet's servers
// share what was uploaded: a file goes up once for all of them; with Redis
// down, a run uploads anyway and warns.
func TestUploadOnceWithRedis(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rs := redistest.Start(t)
	env, flags := s.work()
	doc := []byte(strings.Repeat("the price list; ", 64))
	file := writeFile(t, "prices.txt", doc)
	run := func(args ...string) uploadResult {
		t.Helper()
		var up []uploadResult
		cli(t, env, append(append(flags, "--redis", rs.URL(0), "--json", "upload", "--once"), args...)...).decode(t, &up)
		if len(up) != 1 {
			t.Fatalf("upload printed %+v", up)
		}
		return up[0]
	}
	first, again := run(file), run(file)
	if first.Reused || !again.Reused || again.MediaID != first.MediaID {
		t.Errorf("two runs of upload --once printed %+v and %+v; want the second to reuse the first's media id", first, again)
	}
	// A server of the fleet, with dedup/redisstore on the same Redis.
	wc, err := work.New(emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret, work.WithBaseURL(s.url+emulator.WeComPrefix))
	if err != nil {
		t.Fatal(err)
	}
	store, err := dedupredis.New(rs.Client(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := dedup.New(wc, dedup.WithStore(store))
	if err != nil {
		t.Fatal(err)
	}
	src, err := material.FromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := svc.Upload(t.Context(), material.KindFile, src); err != nil || m.ID != first.MediaID {
		t.Errorf("the server's upload = %v, %v; want the run's media id %s", m.ID, err, first.MediaID)
	}
	if n := s.uploads(t, emulator.WeCom); n != 1 {
		t.Errorf("%d uploads for two runs and a server, want 1", n)
	}

	if err := rs.Stop(); err != nil {
		t.Fatal(err)
	}
	r := cli(t, env, append(flags, "--redis", rs.URL(0), "upload", "--once", file)...)
	if out := r.ok(t); strings.Contains(out, "(uploaded before)") || !strings.Contains(r.stderr, "the store failed") {
		t.Errorf("upload --once with Redis down printed:\n%s\nstderr:\n%s", out, r.stderr)
	}
	if n := s.uploads(t, emulator.WeCom); n != 2 {
		t.Errorf("%d uploads after a run with Redis down, want 2", n)
	}
}
