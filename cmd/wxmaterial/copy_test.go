package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// libraryID returns the id of the demo library's item of kind named name,
// on the embedded emulator with state in state.
func libraryID(t *testing.T, state string, kind material.Kind, name string) string {
	t.Helper()
	var items []listedItem
	cli(t, nil, append(embedded(state), "list", "--kind", string(kind), "--json")...).decode(t, &items)
	for _, it := range items {
		if it.Name == name {
			return it.MediaID
		}
	}
	t.Fatalf("the demo library has no %s %q: %+v", kind, name, items)
	return ""
}

// downloaded downloads id with flags (and then more) and env and returns
// its bytes.
func downloaded(t *testing.T, env, flags []string, id string, more ...string) []byte {
	t.Helper()
	var d downloadResult
	cli(t, env, append(append(flags, "download", id, "-o", t.TempDir()+"/", "--json"), more...)...).decode(t, &d)
	b, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCopyLibraryToSecondAccount: from a fresh clone with no credentials,
// the demo library's items copy into the second demo account's library
// byte for byte, their kind judged from the item, a video with its title;
// a temporary upload copies into the library of its own account.
func TestCopyLibraryToSecondAccount(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	first, second := embedded(state), append(embedded(state), "--appid", emulator.DemoAppID2)
	for _, tc := range []struct {
		kind material.Kind
		name string
	}{
		{material.KindImage, "forest.png"},
		{material.KindImage, "sea.jpg"},
		{material.KindVoice, "hello.amr"},
		{material.KindVideo, "clip.mp4"},
	} {
		id := libraryID(t, state, tc.kind, tc.name)
		var r copyResult
		cli(t, nil, append(first, "copy", "--to-appid", emulator.DemoAppID2, "--from-library", "--to-library", id, "--json")...).decode(t, &r)
		want := copyResult{
			From: copyEnd{Platform: material.OfficialAccount, Account: emulator.DemoAppID, Library: true, Kind: tc.kind, MediaID: id},
			To:   copyEnd{Platform: material.OfficialAccount, Account: emulator.DemoAppID2, Library: true, Kind: tc.kind, MediaID: r.To.MediaID},
		}
		if r.From != want.From || r.To != want.To || r.To.MediaID == "" || r.To.MediaID == id || r.ExpiresAt != nil {
			t.Errorf("copy of %s printed %+v, want %+v", tc.name, r, want)
		}
		if (tc.kind == material.KindImage) != (r.URL != "") {
			t.Errorf("copy of %s: URL %q; want one for images only", tc.name, r.URL)
		}
		orig, copied := downloaded(t, nil, first, id), downloaded(t, nil, second, r.To.MediaID)
		if !bytes.Equal(orig, copied) || len(orig) == 0 {
			t.Errorf("the copy of %s holds %d bytes, the original %d: not the same", tc.name, len(copied), len(orig))
		}
	}
	var counts map[string]int
	cli(t, nil, append(second, "count", "--json")...).decode(t, &counts)
	if counts["image_count"] != 2 || counts["voice_count"] != 1 || counts["video_count"] != 1 {
		t.Errorf("the second account counts %v, want the 4 copies", counts)
	}
	var videos []listedItem
	cli(t, nil, append(second, "list", "--kind", "video", "--json")...).decode(t, &videos)
	if len(videos) != 1 || !strings.HasSuffix(videos[0].Name, ".mp4") || strings.Contains(videos[0].Name, videos[0].MediaID) {
		t.Errorf("the copied video is listed as %+v, want it named after its title", videos)
	}

	// Temporary media into the library of the same account (no target).
	name, amr := sample(t, material.KindVoice)
	var up []uploadResult
	cli(t, nil, append(first, "upload", "--json", writeFile(t, name, amr))...).decode(t, &up)
	r := cli(t, nil, append(first, "copy", "--to-library", up[0].MediaID)...)
	out := r.ok(t)
	if !strings.Contains(out, "copied voice "+up[0].MediaID+" of "+emulator.DemoAppID+" temporary media\n  to "+emulator.DemoAppID+" library: voice ") {
		t.Errorf("copy --to-library printed:\n%s", out)
	}
	newID := strings.Fields(strings.Split(out, "\n")[1])[4]
	if got := downloaded(t, nil, first, newID, "--permanent"); !bytes.Equal(got, amr) {
		t.Errorf("the library copy of a temporary voice holds %d bytes, want the %d uploaded", len(got), len(amr))
	}
}

// TestCopyTemporaryToWeCom: an Official Account's temporary media copies to
// a WeCom agent with the target's credentials in TO_... variables, byte
// for byte, in one download and one upload, and no secret is printed, not
// even with -v.
func TestCopyTemporaryToWeCom(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	oaEnv, oaFlags := s.oa("", "")
	workEnv, workFlags := s.work()
	toEnv := make([]string, len(workEnv))
	for i, v := range workEnv {
		toEnv[i] = envTargetPrefix + v
	}
	env := append(oaEnv, toEnv...)
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindVideo, material.KindThumb} {
		name, data := sample(t, k)
		var up []uploadResult
		cli(t, oaEnv, append(oaFlags, "upload", "--kind", string(k), "--json", writeFile(t, name, data))...).decode(t, &up)
		s.ResetRequests()

		args := append(oaFlags, "-v", "--json", "copy", "--to-base-url", s.url+emulator.WeComPrefix, up[0].MediaID)
		if k == material.KindThumb {
			args = append(args, "--kind", "thumb") // judged from its bytes, it would be an image
		}
		r := cli(t, env, args...)
		var res copyResult
		r.decode(t, &res)
		wantTo := k
		if k == material.KindThumb {
			wantTo = material.KindImage
		}
		if res.From.Kind != k || res.To.Kind != wantTo || res.To.Platform != material.WeCom || res.To.Account != fmt.Sprintf("%s/%d", emulator.DemoCorpID, emulator.DemoAgentID) || res.ExpiresAt == nil {
			t.Errorf("copy of a %s printed %+v", k, res)
		}
		for _, secret := range []string{emulator.DemoAppSecret, emulator.DemoAgentSecret} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("copy of a %s printed a secret:\n%s\n%s", k, r.stdout, r.stderr)
			}
		}
		if err := s.Settle(t.Context()); err != nil {
			t.Fatal(err)
		}
		var oaDownloads, workUploads int
		for _, q := range s.Requests() {
			switch {
			case q.Platform == emulator.OfficialAccount && q.Path == "/cgi-bin/media/get":
				oaDownloads++
			case q.Platform == emulator.WeCom && q.Path == "/cgi-bin/media/upload":
				workUploads++
			}
		}
		if oaDownloads != 1 || workUploads != 1 {
			t.Errorf("copy of a %s: %d downloads from the Official Account and %d uploads to WeCom, want 1 and 1", k, oaDownloads, workUploads)
		}
		if got := downloaded(t, workEnv, workFlags, res.To.MediaID); !bytes.Equal(got, data) {
			t.Errorf("the WeCom copy of a %s holds %d bytes, want the %d uploaded", k, len(got), len(data))
		}
	}
}

// TestCopyKindTheTargetLacks: a kind the target lacks is a usage error
// when given (exit 2, nothing requested), a failure when judged from the
// item (exit 1, the item requested, nothing sent to the target).
func TestCopyKindTheTargetLacks(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	oaEnv, oaFlags := s.oa("", "")
	workEnv, workFlags := s.work()
	toOA := []string{"--to-appid", emulator.DemoAppID2, "--to-secret", emulator.DemoAppSecret2, "--to-base-url", s.url + emulator.OfficialAccountPrefix}
	doc := bytes.Repeat([]byte("a price list; "), 50)
	var up []uploadResult
	cli(t, workEnv, append(workFlags, "upload", "--json", writeFile(t, "prices.txt", doc))...).decode(t, &up)
	fileID := up[0].MediaID
	var news []listedItem
	cli(t, oaEnv, append(oaFlags, "list", "--kind", "news", "--json")...).decode(t, &news)
	s.ResetRequests()

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
		sent []string // the endpoints requested
	}{
		{name: "file given, to the Official Account", env: workEnv, args: append(append(workFlags, "copy", "--kind", "file", fileID), toOA...),
			code: exitUsage, want: "the target, Official Account temporary media, takes no file (kinds there: image, voice, video, thumb); nothing was sent"},
		{name: "file judged, to the Official Account", env: workEnv, args: append(append(workFlags, "copy", fileID), toOA...),
			code: exitFailure, want: fileID + " is a file (judged from the item): the target, Official Account temporary media, takes no file", sent: []string{"/cgi-bin/gettoken", "/cgi-bin/media/get"}},
		{name: "file given, to a library", env: workEnv, args: append(append(workFlags, "copy", "--kind", "file", "--to-library", fileID), toOA...),
			code: exitUsage, want: "takes no file"},
		{name: "thumb given, from WeCom", env: workEnv, args: append(append(workFlags, "copy", "--kind", "thumb", fileID), toOA...),
			code: exitUsage, want: "the source, WeCom temporary media, has no thumb"},
		{name: "news given", env: oaEnv, args: append(oaFlags, "copy", "--kind", "news", "--from-library", "--to-platform", "work", news[0].MediaID),
			code: exitUsage, want: "news cannot be copied"},
		{name: "news judged", env: append(oaEnv, "TO_WECOM_CORPID=ww1", "TO_WECOM_AGENTID=1", "TO_WECOM_SECRET=s"), args: append(oaFlags, "copy", "--from-library", "--to-base-url", s.url+emulator.WeComPrefix, news[0].MediaID),
			code: exitFailure, want: "is a news item (judged from the item): news cannot be copied", sent: []string{"/cgi-bin/stable_token", "/cgi-bin/material/get_material"}},
		{name: "a library on WeCom", env: oaEnv, args: append(oaFlags, "copy", "--to-platform", "work", "--to-library", "x"),
			code: exitUsage, want: "--to-library adds to the Official Account permanent library; the target, WeCom, has none"},
		{name: "a library of WeCom", env: workEnv, args: append(append(workFlags, "copy", "--from-library", fileID), toOA...),
			code: exitUsage, want: "--from-library reads the Official Account permanent library; the source, WeCom, has none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli(t, tc.env, tc.args...).fails(t, tc.code, tc.want)
			if err := s.Settle(t.Context()); err != nil {
				t.Fatal(err)
			}
			var sent []string
			for _, q := range s.Requests() {
				sent = append(sent, q.Path)
			}
			s.ResetRequests()
			if strings.Join(sent, " ") != strings.Join(tc.sent, " ") {
				t.Errorf("requests %v, want %v", sent, tc.sent)
			}
		})
	}
}

// TestCopyUsageErrors: bad flags, arguments and target credentials exit 2
// and send nothing; with --json the error is JSON.
func TestCopyUsageErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := strings.Repeat("M", 64)
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{args: []string{"copy", "--to-platform", "work"}, want: "give exactly one media id, got 0"},
		{args: []string{"copy", "--to-platform", "work", id, id}, want: "give exactly one media id, got 2"},
		{args: []string{"copy", "--to-platform", "work", "--kind", "sticker", id}, want: `kind "sticker": unknown kind`},
		{args: []string{"copy", "--to-platform", "work", "--title", "T", id}, want: "add --to-library"},
		{args: []string{"copy", "--to-appid", emulator.DemoAppID2, "--to-library", "--kind", "image", "--title", "T", id}, want: "describe videos, not image"},
		{args: []string{"copy", "--to-appid", emulator.DemoAppID2, "--to-library", "--kind", "video", "--introduction", "I", id}, want: "--introduction needs --title"},
		{args: []string{"copy", "--to-platform", "qq", id}, want: `unknown platform "qq"`},
		{args: []string{"copy", "--to-platform", "work", "--to-agentid", "x", "--to-corpid", "ww1", "--to-secret", "s", id}, want: `to-agentid "x" is not a positive number`},
		{args: []string{"copy", "--to-appid", "wx1", id}, want: "incomplete Official Account credentials: missing --to-secret or $TO_WECHAT_SECRET"},
		{env: []string{"TO_WECOM_CORPID=ww1"}, args: []string{"copy", id}, want: "missing --to-agentid or $TO_WECOM_AGENTID, --to-secret or $TO_WECOM_SECRET"},
		{args: []string{"copy", "--to-platform", "work", "--to-appid", "wx1", id}, want: "--to-appid is an Official Account credential, not for --to-platform work"},
		{args: []string{"copy", "--to-platform", "work", "--to-plain-token", id}, want: "--to-plain-token is for the Official Account only"},
		{args: []string{"copy", "--to-base-url", "http://127.0.0.1:1/oa", id}, want: "--to-base-url needs credentials: give --to-appid or $TO_WECHAT_APPID, --to-secret or $TO_WECHAT_SECRET"},
		{args: []string{"copy", id}, want: "no target: name one"},
		{args: []string{"copy", "--bogus", id}, want: "unknown flag --bogus"},
	} {
		env, flags := s.oa("", "")
		env = append(env, tc.env...)
		cli(t, env, append(flags, tc.args...)...).fails(t, exitUsage, tc.want)
		// And as JSON.
		r := cli(t, env, append(append(flags, "--json"), tc.args...)...)
		var e errorReport
		if err := json.Unmarshal([]byte(r.stderr), &e); err != nil || r.code != exitUsage || e.ExitCode != exitUsage || !strings.Contains(e.Message, tc.want) || e.Usage != "wxmaterial copy -h" {
			t.Errorf("%v with --json: exit %d, stderr %s; want a JSON usage error containing %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests: %+v", n, s.Requests())
	}
}
