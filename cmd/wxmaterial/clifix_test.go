package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestDeleteErrorLinesPrefixed: each failure of a delete of several ids is
// a line of its own with the command's prefix.
func TestDeleteErrorLinesPrefixed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := s.run(t, "delete", "nosuch-a", "nosuch-b")
	r.fails(t, exitFailure, "nosuch-b")
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "nosuch-") {
			got = append(got, l)
		}
	}
	if len(got) != 2 {
		t.Fatalf("want one error line per id, got:\n%s", r.stderr)
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "wxmaterial delete: ") {
			t.Errorf("error line without the prefix: %q\nstderr:\n%s", l, r.stderr)
		}
	}
}

// TestTextOutputTabSeparated: the line-per-item outputs of upload, list,
// download and delete separate their columns with one tab and never end a
// line in a separator or a space, so that cut -f reads them.
func TestTextOutputTabSeparated(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	voiceName, amr := sample(t, material.KindVoice)
	imageName, png := sample(t, material.KindImage)
	voice := writeFile(t, voiceName, amr)
	image := writeFile(t, imageName, png)

	check := func(what, out string, fields int) [][]string {
		t.Helper()
		var rows [][]string
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.HasSuffix(line, "\t") || strings.HasSuffix(line, " ") || strings.Contains(line, "  ") {
				t.Errorf("%s: line %q ends in a separator or aligns with spaces", what, line)
			}
			f := strings.Split(line, "\t")
			if fields > 0 && len(f) != fields {
				t.Errorf("%s: line %q has %d tab-separated fields, want %d", what, line, len(f), fields)
			}
			rows = append(rows, f)
		}
		return rows
	}

	// A permanent voice has no URL: three fields, no trailing tab.
	up := check("upload --permanent voice", s.run(t, "-q", "upload", "--permanent", voice).ok(t), 3)
	if diff := cmp.Diff([]string{voice, "voice"}, up[0][:2]); diff != "" || up[0][2] == "" {
		t.Errorf("upload --permanent voice: %q (-want +got):\n%s", up[0], diff)
	}
	// A permanent image has one: four fields.
	img := check("upload --permanent image", s.run(t, "-q", "upload", "--permanent", image).ok(t), 4)
	if !strings.HasPrefix(img[0][3], "http") {
		t.Errorf("upload --permanent image: no URL in the fourth field: %q", img[0])
	}
	// Temporary media: the expiry in the fourth field.
	tmp := check("upload", s.run(t, "-q", "upload", image).ok(t), 4)
	if !strings.HasPrefix(tmp[0][3], "expires ") {
		t.Errorf("upload: no expiry in the fourth field: %q", tmp[0])
	}
	// Articles' images: file, kind, URL.
	check("upload --image-url", s.run(t, "-q", "upload", "--image-url", image).ok(t), 3)

	list := check("list", s.run(t, "-q", "list", "--kind", "voice").ok(t), 4)
	if diff := cmp.Diff([]string{"KIND", "MEDIA ID", "UPDATED", "NAME"}, list[0]); diff != "" {
		t.Errorf("list's header (-want +got):\n%s", diff)
	}
	found := false
	for _, r := range list[1:] {
		found = found || r[1] == up[0][2]
	}
	if !found {
		t.Errorf("list --kind voice has no row with the uploaded id %s in its second field: %q", up[0][2], list)
	}
	check("download", s.run(t, "-q", "download", "-o", t.TempDir(), tmp[0][2]).ok(t), 3)
	del := check("delete", s.run(t, "-q", "delete", up[0][2], img[0][2]).ok(t), 2)
	if diff := cmp.Diff([][]string{{"deleted", up[0][2]}, {"deleted", img[0][2]}}, del); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
}

// TestCopyNewsNamesOnlyThePlatformsInvolved: copy --kind news is refused
// before anything is sent, with a reason that names only the platforms of
// the copy.
func TestCopyNewsNamesOnlyThePlatformsInvolved(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tc := range []struct {
		name      string
		args      []string
		want, not string
	}{
		{name: "Official Account library to itself", args: []string{"copy", "--kind", "news", "--from-library", "--to-library", "some-news-id"},
			want: "news cannot be copied: the Official Account's add_news went offline upstream on 2022-02-28", not: "WeCom"},
		{name: "Official Account to its library", args: []string{"copy", "--kind", "news", "--to-library", "some-news-id"},
			want: "add_news went offline", not: "WeCom"},
		{name: "Official Account to WeCom", args: []string{"copy", "--kind", "news", "--from-library", "--to-platform", "work", "some-news-id"},
			want: "news cannot be copied: WeCom has no news", not: "add_news"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, flags := s.oa("", "")
			args := append(flags, tc.args...)
			if strings.Contains(strings.Join(tc.args, " "), "--to-platform work") {
				wenv, wflags := s.work()
				for _, v := range wenv {
					env = append(env, "TO_"+v)
				}
				args = append(args, "--to-base-url", wflags[1])
			}
			r := cli(t, env, args...)
			r.fails(t, exitUsage, tc.want)
			if strings.Contains(r.stderr, tc.not) {
				t.Errorf("the message names %s, which the copy does not involve:\n%s", tc.not, r.stderr)
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("a refused copy sent %d requests: %+v", n, s.Requests())
	}
}

// TestUploadUnknownKindListsThePlatformsKinds: an unknown --kind is a usage
// error listing only the kinds the chosen platform takes on that upload.
func TestUploadUnknownKindListsThePlatformsKinds(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	oaEnv, oaFlags := s.oa("", "")
	wcEnv, wcFlags := s.work()
	for _, tc := range []struct {
		name  string
		env   []string
		flags []string
		args  []string
		want  string
	}{
		{name: "OA temporary", env: oaEnv, flags: oaFlags, args: []string{"upload", "--kind", "bogus", "x.png"},
			want: `kind "bogus": unknown kind (want one of image, voice, video, thumb: the kinds Official Account temporary media take)`},
		{name: "OA permanent", env: oaEnv, flags: oaFlags, args: []string{"upload", "--permanent", "--kind", "bogus", "x.png"},
			want: `(want one of image, voice, video, thumb: the kinds Official Account permanent media take)`},
		{name: "OA article images", env: oaEnv, flags: oaFlags, args: []string{"upload", "--image-url", "--kind", "bogus", "x.png"},
			want: `(want one of image: `},
		{name: "WeCom temporary", env: wcEnv, flags: wcFlags, args: []string{"upload", "--kind", "bogus", "x.png"},
			want: `(want one of image, voice, video, file: the kinds WeCom temporary media take)`},
		{name: "copy from WeCom", env: wcEnv, flags: wcFlags, args: []string{"copy", "--kind", "bogus", "--to-library", "some-id"},
			want: `(want one of image, voice, video, file: the kinds of WeCom temporary media)`},
		{name: "copy from an OA library", env: oaEnv, flags: oaFlags, args: []string{"copy", "--kind", "bogus", "--from-library", "some-id"},
			want: `(want one of image, voice, video, thumb: the kinds of Official Account permanent media)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli(t, tc.env, append(tc.flags, tc.args...)...).fails(t, exitUsage, tc.want)
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("an unknown kind sent %d requests", n)
	}
}

// TestBadNameFlag: a --name that names no file (blank, ".", "..") or is a
// path is a usage error before anything is sent, on copy and upload-url.
func TestBadNameFlag(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	oaEnv, oaFlags := s.oa("", "")
	wcEnv, wcFlags := s.work()
	for _, tc := range []struct {
		name string
		want string
	}{
		{name: "..", want: `--name "..": the file name ".." names no file`},
		{name: ".", want: `--name ".": the file name "." names no file`},
		{name: "", want: "--name is empty"},
		{name: "   ", want: "--name is empty"},
		{name: "dir/a.png", want: `--name "dir/a.png": give a file name, not a path`},
		{name: `dir\a.png`, want: "give a file name, not a path"},
	} {
		t.Run("copy "+tc.name, func(t *testing.T) {
			args := append(append([]string(nil), wcFlags...), "copy", "--name", tc.name, "--to-platform", "oa", "some-media-id")
			env := append(append([]string(nil), wcEnv...), "TO_"+oaEnv[0], "TO_"+oaEnv[1])
			cli(t, env, append(args, "--to-base-url", oaFlags[1])...).fails(t, exitUsage, tc.want)
		})
		t.Run("upload-url "+tc.name, func(t *testing.T) {
			cli(t, wcEnv, append(append([]string(nil), wcFlags...), "upload-url", "--url", "http://127.0.0.1:1/a.mp4", "--md5", strings.Repeat("0", 32), "--name", tc.name)...).fails(t, exitUsage, tc.want)
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("a bad --name sent %d requests: %+v", n, s.Requests())
	}
}

// TestOutputFolderMustExist: a path whose folder does not exist (download
// -o, backup DIR, restore --map) is a usage error naming the folder before
// anything is sent; download -o DIR/ creates DIR in a folder that exists.
func TestOutputFolderMustExist(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	var up []uploadResult
	s.run(t, "upload", "--json", writeFile(t, name, png)).decode(t, &up)
	s.ResetRequests()

	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	nodir := filepath.Join(root, "nodir")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "download into a missing folder", args: []string{"download", "-o", filepath.Join(nodir, "x.jpg"), up[0].MediaID}, want: "folder " + nodir + " does not exist"},
		{name: "download to a missing folder's folder", args: []string{"download", "-o", filepath.Join(nodir, "sub") + "/", up[0].MediaID}, want: "folder " + nodir + " does not exist"},
		{name: "download into a file", args: []string{"download", "-o", filepath.Join(file, "x.jpg"), up[0].MediaID}, want: file + " is not a folder"},
		{name: "backup", args: []string{"backup", filepath.Join(nodir, "backup")}, want: "folder " + nodir + " does not exist"},
		{name: "restore --map", args: []string{"restore", "--map", filepath.Join(nodir, "map.json"), root}, want: "--map " + filepath.Join(nodir, "map.json") + ": folder " + nodir + " does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.run(t, tc.args...)
			r.fails(t, exitUsage, tc.want)
			if strings.Contains(r.stderr, ".part") || strings.Contains(r.stderr, "downloading") {
				t.Errorf("stderr tells of a download or a temporary file:\n%s", r.stderr)
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("a missing folder sent %d requests: %+v", n, s.Requests())
	}
	if _, err := os.Stat(nodir); err == nil {
		t.Fatalf("%s was created", nodir)
	}

	// A folder written with a trailing slash is created, in a folder that
	// exists, as the file's folder.
	newdir := filepath.Join(root, "newdir")
	var d downloadResult
	s.run(t, "download", "--json", "-o", newdir+"/", up[0].MediaID).decode(t, &d)
	if filepath.Dir(d.Path) != newdir {
		t.Fatalf("download -o %s/ saved %s", newdir, d.Path)
	}
}

// TestVerboseLogsEveryAttempt: with -v every request sent is logged with
// its reply, an errcode reply and both sends of a replay after a rejected
// token included; no token or secret is logged.
func TestVerboseLogsEveryAttempt(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	var up []uploadResult
	s.run(t, "upload", "--json", writeFile(t, name, png)).decode(t, &up)

	count := func(stderr, msg, attr string) int {
		n := 0
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, `msg="wxmaterial `+msg+`"`) && strings.Contains(l, "path=/oa/cgi-bin/media/get ") && strings.Contains(l, attr) {
				n++
			}
		}
		return n
	}
	check := func(stderr string) {
		t.Helper()
		if leak := contains(stderr, "access_token", emulator.DemoAppSecret, "TOKEN"); leak != "" {
			t.Errorf("the log holds %q:\n%s", leak, stderr)
		}
	}

	// An errcode reply: its request and its response, with the errcode.
	r := s.run(t, "-v", "download", "--permanent=false", "-o", t.TempDir(), "nosuch")
	r.fails(t, exitFailure, "40007")
	check(r.stderr)
	if count(r.stderr, "request", "") != 1 || count(r.stderr, "response", "errcode=40007") != 1 {
		t.Errorf("download nosuch: want the media/get request and its errcode response logged:\n%s", r.stderr)
	}

	// A rejected token: the rejected reply and the replay are logged too.
	s.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Times: 1, Action: emulator.Errcode(40001, "invalid credential")})
	r = s.run(t, "-v", "download", "-o", t.TempDir(), up[0].MediaID)
	r.ok(t)
	check(r.stderr)
	if count(r.stderr, "request", "") != 2 || count(r.stderr, "request", "replay=true") != 1 ||
		count(r.stderr, "response", "errcode=40001") != 1 || count(r.stderr, "response", "status=200") != 2 {
		t.Errorf("download after a rejected token: want two requests (one a replay) and two responses (one errcode 40001) logged:\n%s", r.stderr)
	}
}

// contains returns the first of needles in haystack, or "".
func contains(haystack string, needles ...string) string {
	for _, n := range needles {
		if n != "" && strings.Contains(haystack, n) {
			return n
		}
	}
	return ""
}

// TestDemoAppIDSelectsEmbedded: as the README says, a demo appid without
// --base-url selects the embedded emulator even with its secret and
// HTTPS_PROXY set; with --base-url the calls go to that address.
func TestDemoAppIDSelectsEmbedded(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	env := []string{"WECHAT_APPID=" + emulator.DemoAppID, "WECHAT_SECRET=" + emulator.DemoAppSecret, "HTTPS_PROXY=" + s.url}
	r := cli(t, env, "-v", "--data-dir", t.TempDir(), "count")
	r.ok(t)
	if !strings.Contains(r.stderr, "using the embedded emulator") {
		t.Errorf("no note of the embedded emulator:\n%s", r.stderr)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("the run went through HTTPS_PROXY: %d requests", n)
	}
	cli(t, env, "--base-url", s.url+emulator.OfficialAccountPrefix, "count").ok(t)
	if s.calls("/cgi-bin/material/get_materialcount") != 1 {
		t.Fatalf("with --base-url the count did not reach it: %+v", s.Requests())
	}
}
