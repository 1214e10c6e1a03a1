package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// TestResolve checks how flags and the environment choose the platform,
// the credentials and the embedded emulator.
func TestResolve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flags globals
		env   map[string]string
		want  account
		usage string // a usage error containing this, if set
	}{
		{name: "nothing: embedded OA", want: account{platform: material.OfficialAccount, embedded: true}},
		{name: "platform work, nothing: embedded WeCom", flags: globals{platform: "work"}, want: account{platform: material.WeCom, embedded: true}},
		{name: "OA from the environment", env: map[string]string{envAppID: "wx1", envSecret: "s"},
			want: account{platform: material.OfficialAccount, appID: "wx1", secret: "s"}},
		{name: "flags win", flags: globals{appID: "wx2", secret: "t", plain: true}, env: map[string]string{envAppID: "wx1", envSecret: "s"},
			want: account{platform: material.OfficialAccount, appID: "wx2", secret: "t", plain: true}},
		{name: "a demo appid: the embedded emulator", flags: globals{appID: emulator.DemoAppID2},
			want: account{platform: material.OfficialAccount, appID: emulator.DemoAppID2, secret: emulator.DemoAppSecret2, embedded: true}},
		{name: "a demo appid from the environment", env: map[string]string{envAppID: emulator.DemoAppID},
			want: account{platform: material.OfficialAccount, appID: emulator.DemoAppID, secret: emulator.DemoAppSecret, embedded: true}},
		{name: "a demo appid with --base-url: a served emulator", flags: globals{appID: emulator.DemoAppID2, baseURL: "http://h/oa"}, usage: "missing --secret"},
		{name: "only WeCom variables: WeCom", env: map[string]string{envCorpID: "ww", envAgentID: "1000002", envWeComKey: "k"},
			want: account{platform: material.WeCom, corpID: "ww", agentID: 1000002, secret: "k"}},
		{name: "WeCom flags", flags: globals{corpID: "ww", agentID: "7", secret: "k", baseURL: "http://h/work/"},
			want: account{platform: material.WeCom, corpID: "ww", agentID: 7, secret: "k", baseURL: "http://h/work"}},
		{name: "incomplete OA", env: map[string]string{envAppID: "wx1"}, usage: "missing --secret"},
		{name: "incomplete WeCom", flags: globals{corpID: "ww"}, usage: "missing --agentid or $WECOM_AGENTID, --secret or $WECOM_SECRET"},
		{name: "bad agentid", flags: globals{corpID: "ww", agentID: "-3", secret: "k"}, usage: "not a positive number"},
		{name: "base URL without credentials", flags: globals{baseURL: "http://h/oa"}, usage: "--base-url needs credentials"},
		{name: "WeCom flags on OA", flags: globals{platform: "oa", corpID: "ww"}, usage: "WeCom credentials"},
		{name: "stable token on WeCom", flags: globals{platform: "work", stable: true}, usage: "Official Account only"},
		{name: "plain token on WeCom", flags: globals{platform: "work", plain: true}, usage: "Official Account only"},
		{name: "unknown platform", flags: globals{platform: "weibo"}, usage: "unknown platform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(nil, nil, nil, func(k string) string { return tc.env[k] })
			a.g = tc.flags
			got, err := a.resolve()
			var ue *usageError
			switch {
			case tc.usage != "":
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.usage) {
					t.Fatalf("error %v, want a usage error containing %q", err, tc.usage)
				}
			case err != nil:
				t.Fatal(err)
			case !cmp.Equal(got, tc.want, cmp.AllowUnexported(account{})):
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestParseInterspersed: flags may follow arguments; "--" ends them.
func TestParseInterspersed(t *testing.T) {
	t.Parallel()
	a := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
	fs := a.flags("upload")
	kind := fs.String("kind", "", "")
	got, err := a.parse(fs, []string{"a.png", "--kind", "image", "b.png", "--json", "--", "--c.png"})
	if err != nil || *kind != "image" || !a.g.json || !cmp.Equal(got, []string{"a.png", "b.png", "--c.png"}) {
		t.Fatalf("parse: %q, kind %q, json %v, %v", got, *kind, a.g.json, err)
	}
	// Media ids may begin with "-".
	fs = a.flags("download")
	out := fs.String("o", "", "")
	const id = "-M6aST5Fr1iKoWubYwh7x5VgP2G14GbYvpd42m5yiYnIoH_jpddhya2HUex7nnnr"
	got, err = a.parse(fs, []string{id, "-o", "dir/", "-xY_3-abcdefghijklmnopqrstu"})
	if err != nil || *out != "dir/" || !cmp.Equal(got, []string{id, "-xY_3-abcdefghijklmnopqrstu"}) {
		t.Fatalf("parse of ids beginning with -: %q, -o %q, %v", got, *out, err)
	}
	if _, err := a.parse(a.flags("list"), []string{"--nope"}); !errors.As(err, new(*usageError)) {
		t.Fatalf("unknown flag: %v", err)
	}
	if _, err := a.parse(a.flags("list"), []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

// TestNames: server names are cleaned into the folder, and backup names
// stay short and valid UTF-8.
func TestNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"../../etc/passwd": "passwd.jpg",
		"a/b\\c.png":       "c.png",
		"..":               "ID.jpg",
		"":                 "ID.jpg",
		"照片.png":           "照片.png",
		"noext":            "noext.jpg",
	} {
		if got := safeName(in, "ID", "image/jpeg"); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("长", 100) + ".png"
	got := backupFileName(material.KindImage, "ID", long, ".png")
	if base := filepath.Base(got); len(base) > maxNameBytes || !strings.HasSuffix(base, ".png") || !utf8.ValidString(base) || !strings.HasPrefix(got, "image/ID_") {
		t.Fatalf("backupFileName = %q (%d bytes)", got, len(filepath.Base(got)))
	}
	// Ids that clean to the same name, or are cut to the same start, get
	// files of their own; a real id is used as it is.
	names := map[string]string{}
	for _, id := range []string{"ID1", "sub/ID1", "sub\\ID1", "ID1\x00", "\u202eID1", strings.Repeat("x", 300) + "a", strings.Repeat("x", 300) + "b"} {
		f := backupFileName(material.KindImage, id, "a.jpg", ".jpg")
		if other, ok := names[f]; ok {
			t.Errorf("backupFileName: %q and %q share %q", other, id, f)
		}
		names[f] = id
		if len(filepath.Base(f)) > maxNameBytes || !utf8.ValidString(f) {
			t.Errorf("backupFileName(%q) = %q", id, f)
		}
	}
	if got := backupFileName(material.KindImage, "3OPdKx-bJTpz_cjpVcjYJHZAjru8", "a.jpg", ".jpg"); got != "image/3OPdKx-bJTpz_cjpVcjYJHZAjru8_a.jpg" {
		t.Errorf("backupFileName of a real id = %q", got)
	}
	dir := t.TempDir()
	if d, f, chosen := target(dir, "x.png"); d != dir || f != "x.png" || chosen {
		t.Fatalf("target(existing folder) = %q, %q, %v", d, f, chosen)
	}
	if d, f, chosen := target(filepath.Join(dir, "new")+"/", "x.png"); d != filepath.Join(dir, "new") || f != "x.png" || chosen {
		t.Fatalf("target(folder/) = %q, %q, %v", d, f, chosen)
	}
	if d, f, chosen := target(filepath.Join(dir, "mine.png"), "x.png"); d != dir || f != "mine.png" || !chosen {
		t.Fatalf("target(file) = %q, %q, %v", d, f, chosen)
	}
	if e := (entry{File: "../outside.png"}); e.verify(dir) == nil {
		t.Fatal("a manifest path outside the backup folder was accepted")
	}
}

// fakeApp returns an app whose commands talk to a materialtest.Fake.
func fakeApp(f *materialtest.Fake) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	a := newApp(nil, &out, &errb, func(string) string { return "" })
	a.connect = func(context.Context, *app) (*backend, error) {
		return &backend{platform: f.Platform(), account: "fake", svc: f.Service()}, nil
	}
	return a, &out, &errb
}

// TestCommandsOnFake runs the command logic in-process, under the race
// detector, against the in-memory Fake.
func TestCommandsOnFake(t *testing.T) {
	t.Parallel()
	f := materialtest.NewFake(material.OfficialAccount)
	name, png := sample(t, material.KindImage)
	file := writeFile(t, name, png)
	ctx := context.Background()

	a, out, errb := fakeApp(f)
	if code := a.run(ctx, []string{"upload", "--permanent", "--json", file}); code != 0 {
		t.Fatalf("upload: exit %d: %s", code, errb)
	}
	var up []uploadResult
	if err := json.Unmarshal(out.Bytes(), &up); err != nil || len(up) != 1 {
		t.Fatalf("upload printed %s (%v)", out, err)
	}
	if b, ok := f.Bytes(up[0].MediaID); !ok || !bytes.Equal(b, png) {
		t.Fatal("the Fake does not hold the uploaded bytes")
	}

	a, out, _ = fakeApp(f)
	if code := a.run(ctx, []string{"count"}); code != 0 || out.String() != "image\t1\nvoice\t0\nvideo\t0\nnews\t0\n" {
		t.Fatalf("count: exit %d, %q", code, out)
	}

	// A busy platform on delete: exit 1, the error named.
	f.FailNext("Delete", 1, &material.APIError{Platform: material.OfficialAccount, Op: "cgi-bin/material/del_material", Code: -1, Message: "system error"})
	a, _, errb = fakeApp(f)
	if code := a.run(ctx, []string{"delete", up[0].MediaID}); code != exitFailure || !strings.Contains(errb.String(), "errcode -1") {
		t.Fatalf("delete on a busy platform: exit %d: %s", code, errb)
	}

	// WeCom: no library.
	a, _, errb = fakeApp(materialtest.NewFake(material.WeCom))
	if code := a.run(ctx, []string{"list"}); code != exitUsage || !strings.Contains(errb.String(), "has none") {
		t.Fatalf("list on WeCom: exit %d: %s", code, errb)
	}

	// Backup and restore through the interfaces; the Fake's video links
	// lead nowhere, so the library holds images and news here.
	f.SeedNews(material.Article{Title: "Old news", ThumbMediaID: up[0].MediaID})
	dir := t.TempDir()
	a, _, errb = fakeApp(f)
	if code := a.run(ctx, []string{"backup", dir}); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errb)
	}
	g := materialtest.NewFake(material.OfficialAccount)
	var res restoreResult
	a, out, errb = fakeApp(g)
	if code := a.run(ctx, []string{"restore", "--allow-same-account", "--json", dir}); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errb)
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Restored) != 1 || len(res.Skipped) != 1 || res.Skipped[0].Titles[0] != "Old news" {
		t.Fatalf("restore printed %s (%v)", out, err)
	}
	if b, ok := g.Bytes(res.Restored[up[0].MediaID]); !ok || !bytes.Equal(b, png) {
		t.Fatal("the restored image differs")
	}
	if _, err := os.Stat(res.Map); err != nil {
		t.Fatal(err)
	}
}
