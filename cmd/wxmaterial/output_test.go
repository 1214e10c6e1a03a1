package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestDownloadToStdoutWithJSON: with -o -, stdout holds the file and
// nothing else; --json prints the summary on stderr.
func TestDownloadToStdoutWithJSON(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	var up []uploadResult
	s.run(t, "upload", "--json", writeFile(t, name, png)).decode(t, &up)
	r := s.run(t, "--json", "download", up[0].MediaID, "-o", "-")
	if r.ok(t) != string(png) {
		t.Fatalf("stdout holds %d bytes, not only the file's %d", len(r.stdout), len(png))
	}
	var d downloadResult
	if err := json.Unmarshal([]byte(r.stderr), &d); err != nil {
		t.Fatalf("stderr is not the JSON summary: %v\n%s", err, r.stderr)
	}
	if d.Path != "-" || d.Size != int64(len(png)) || d.SHA256 != sha(png) {
		t.Fatalf("summary %+v", d)
	}
}

// TestJSONErrors: with --json, an error is one JSON object on stderr with
// the message, the errcode and the exit code; stdout holds nothing.
func TestJSONErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, png := sample(t, material.KindImage)
	file := writeFile(t, name, png)
	s.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Action: emulator.DropResponse(0)})
	for _, tc := range []struct {
		args []string
		want errorReport
		msg  string // in the message
	}{
		{args: []string{"--json", "download", "no-such-media-id"}, want: errorReport{Command: "download", Errcode: 40007, ExitCode: exitFailure}, msg: "errcode 40007"},
		{args: []string{"--json", "upload"}, want: errorReport{Command: "upload", Usage: "wxmaterial upload -h", ExitCode: exitUsage}, msg: "no file given"},
		{args: []string{"--bogus", "--json", "count"}, want: errorReport{Usage: "wxmaterial help", ExitCode: exitUsage}, msg: "unknown flag --bogus"},
		{args: []string{"frobnicate", "--json"}, want: errorReport{Usage: "wxmaterial help", ExitCode: exitUsage}, msg: `unknown command "frobnicate"`},
		{args: []string{"upload", "--permanent", file, "--json"}, want: errorReport{Command: "upload", OutcomeUnknown: true, ExitCode: exitFailure}, msg: "outcome"},
	} {
		r := s.run(t, tc.args...)
		var got errorReport
		dec := json.NewDecoder(strings.NewReader(r.stderr))
		if err := dec.Decode(&got); err != nil || dec.More() {
			t.Fatalf("%v: stderr is not one JSON object (%v):\n%s", tc.args, err, r.stderr)
		}
		if !strings.Contains(got.Message, tc.msg) || r.code != got.ExitCode {
			t.Fatalf("%v: exit code %d, error %+v; want the message to contain %q", tc.args, r.code, got, tc.msg)
		}
		got.Message = ""
		if got != tc.want {
			t.Fatalf("%v: error %+v, want %+v", tc.args, got, tc.want)
		}
		if r.stdout != "" && got.ExitCode == exitUsage {
			t.Fatalf("%v: a usage error printed on stdout:\n%s", tc.args, r.stdout)
		}
	}
}

// TestVersion: version and --version print what the build recorded, as
// 'go version -m' reads it from the binary.
func TestVersion(t *testing.T) {
	t.Parallel()
	text := cli(t, nil, "version").ok(t)
	if again := cli(t, nil, "--version").ok(t); again != text {
		t.Fatalf("version printed %q, --version %q", text, again)
	}
	var v versionResult
	cli(t, nil, "version", "--json").decode(t, &v)

	out, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	first := true
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case first && len(f) == 2:
			info["go"] = f[1]
		case len(f) >= 3 && f[0] == "mod":
			info["version"] = f[2]
		case len(f) >= 2 && f[0] == "build":
			if k, val, ok := strings.Cut(f[1], "="); ok {
				info[k] = val
			}
		}
		first = false
	}
	want := versionResult{Version: info["version"], Revision: info["vcs.revision"], Time: info["vcs.time"], Modified: info["vcs.modified"] == "true",
		Go: info["go"], Platform: info["GOOS"] + "/" + info["GOARCH"]}
	if v != want {
		t.Fatalf("version --json = %+v\ngo version -m says %+v", v, want)
	}
	if text != want.String()+"\n" || !strings.HasPrefix(text, "wxmaterial "+want.Version) || !strings.Contains(text, want.Go) {
		t.Fatalf("version printed %q", text)
	}
}

// TestEmbeddedBanner: the embedded emulator says it is used when its state
// folder is created and with -v, not on every command; -q silences status
// lines and notes.
func TestEmbeddedBanner(t *testing.T) {
	t.Parallel()
	const banner = "no credentials given: using the embedded emulator"
	state := filepath.Join(t.TempDir(), "state")
	r := cli(t, nil, append(embedded(state), "count")...)
	r.ok(t)
	if !strings.Contains(r.stderr, banner) || !strings.Contains(r.stderr, "state created in "+state) {
		t.Fatalf("first run on a new state folder:\n%s", r.stderr)
	}
	if r = cli(t, nil, append(embedded(state), "count")...); r.ok(t) == "" || r.stderr != "" {
		t.Fatalf("second run printed on stderr:\n%s", r.stderr)
	}
	if r = cli(t, nil, append(embedded(state), "count", "-v")...); !strings.Contains(r.stderr, banner) {
		t.Fatalf("-v does not say the embedded emulator is used:\n%s", r.stderr)
	}

	quiet := t.TempDir()
	if r = cli(t, nil, append(embedded(quiet), "-q", "count")...); r.ok(t) == "" || r.stderr != "" {
		t.Fatalf("-q on a new state folder printed:\n%s", r.stderr)
	}
	// A backup prints status lines and a note about its links: not with -q.
	dir := filepath.Join(t.TempDir(), "b")
	if r = cli(t, nil, append(embedded(quiet), "backup", dir, "-q")...); !strings.Contains(r.ok(t), "backup of") || r.stderr != "" {
		t.Fatalf("backup -q printed on stderr:\n%s", r.stderr)
	}
	if r = cli(t, nil, append(embedded(quiet), "backup", dir)...); !strings.Contains(r.stderr, "backing up 8 items") {
		t.Fatalf("backup without -q:\n%s", r.stderr)
	}
}

// flagLine is a flag as help lists it: "  --name VALUE" or "  -o PATH".
var flagLine = regexp.MustCompile(`^  (-{1,2})([a-z][a-z0-9-]*)( |$)`)

// TestHelpMatchesFlags: each command's usage line names exactly its flags,
// and the help and the docs write flags one way: --name, and -o, -v, -q.
func TestHelpMatchesFlags(t *testing.T) {
	t.Parallel()
	all := map[string]bool{}
	check := func(help string) map[string]bool {
		t.Helper()
		listed := map[string]bool{}
		for _, line := range strings.Split(help, "\n") {
			if m := flagLine.FindStringSubmatch(line); m != nil {
				if want := dashed(m[2]); m[1]+m[2] != want {
					t.Errorf("help lists %s%s, want %s:\n%s", m[1], m[2], want, line)
				}
				listed[m[2]] = true
				all[m[2]] = true
			} else if strings.HasPrefix(strings.TrimSpace(line), "-") && !strings.HasPrefix(line, "    \t") {
				t.Errorf("a flag line help does not write as '  --name': %q", line)
			}
		}
		return listed
	}
	global := check(cli(t, nil, "help").ok(t))
	for _, name := range []string{"platform", "appid", "secret", "plain-token", "json", "v", "q", "version"} {
		if !global[name] {
			t.Errorf("wxmaterial help does not list %s", dashed(name))
		}
	}
	for _, c := range commands {
		help := cli(t, nil, "help", c.name).ok(t)
		usage, _, _ := strings.Cut(strings.TrimPrefix(help, "Usage: wxmaterial "), "\n")
		if !strings.HasPrefix(help, "Usage: wxmaterial "+c.name) {
			t.Fatalf("help %s:\n%s", c.name, help)
		}
		own := check(help)
		inUsage := map[string]bool{}
		for _, tok := range strings.FieldsFunc(usage, func(r rune) bool { return strings.ContainsRune(" []()|", r) }) {
			if name, ok := strings.CutPrefix(tok, "-"); ok {
				if dashed(strings.TrimPrefix(name, "-")) != tok {
					t.Errorf("%s: the usage line writes %s", c.name, tok)
				}
				inUsage[strings.TrimPrefix(name, "-")] = true
			}
		}
		for name := range own {
			if !inUsage[name] {
				t.Errorf("%s: the usage line %q leaves out %s", c.name, usage, dashed(name))
			}
		}
		for name := range inUsage {
			if !own[name] {
				t.Errorf("%s: the usage line %q names %s, which the command lacks", c.name, usage, dashed(name))
			}
		}
	}
	// The docs write the same flags the same way.
	for _, doc := range []string{"README.md", "main.go", "../../README.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for name := range all {
			if len(name) > 1 && regexp.MustCompile(`(^|[^-\w])-`+regexp.QuoteMeta(name)+`\b`).Match(b) {
				t.Errorf("%s writes -%s; the help writes %s", doc, name, dashed(name))
			}
		}
	}
}

// TestSizeMessages: a file over a limit is refused with a message that
// gives both in bytes, and a size that does not look like the limit.
func TestSizeMessages(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, jpg := sample(t, material.KindThumb)
	_, amr := sample(t, material.KindVoice)
	pad := func(b []byte, size int) []byte {
		return append(append([]byte(nil), b...), make([]byte, size-len(b))...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upload", "--image-url", writeFile(t, "a.jpg", pad(jpg, 1<<20))}, "1 MB (1048576 bytes) is over the 1048575-byte (under 1 MB) limit"},
		{[]string{"upload", writeFile(t, "v.amr", pad(amr, 2103206))}, "2.01 MB (2103206 bytes) is over the 2 MB (2097152 bytes) limit"},
		{[]string{"upload", "--kind", "thumb", writeFile(t, "t.jpg", pad(jpg, 64<<10+1))}, "64.001 KB (65537 bytes) is over the 64 KB (65536 bytes) limit"},
	} {
		s.run(t, tc.args...).fails(t, exitFailure, tc.want)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("refused files sent %d requests", n)
	}
}

// TestUploadURLJob: waiting for a submitted job prints no empty columns;
// the platform names neither the file nor its kind then.
func TestUploadURLJob(t *testing.T) {
	t.Parallel()
	name, mp4 := sample(t, material.KindVideo)
	files := serveFile(t, name, mp4)
	s := newServer(t)
	env, flags := s.work()
	var sub uploadURLResult
	cli(t, env, append(flags, "upload-url", "--url", files.URL+"/"+name, "--no-wait", "--json")...).decode(t, &sub)
	if sub.JobID == "" || sub.State != "processing" || sub.Name != name {
		t.Fatalf("submitted: %+v", sub)
	}
	line := cli(t, env, append(flags, "upload-url", "--job", sub.JobID)...).ok(t)
	fields := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
	if len(fields) != 3 || fields[0] != sub.JobID || fields[1] == "" || !strings.HasPrefix(fields[2], "expires 2") {
		t.Fatalf("upload-url --job printed %q", line)
	}
	r := cli(t, env, append(flags, "upload-url", "--job", sub.JobID, "--json")...)
	var got map[string]any
	r.decode(t, &got)
	if _, ok := got["name"]; ok || got["media_id"] != fields[1] {
		t.Fatalf("upload-url --job --json printed %s", r.stdout)
	}
}

// TestNoHTMLEscaping: HTML in news stays as it is, in list --json, in the
// news download saves and in a backup's manifest.
func TestNoHTMLEscaping(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	check := func(what string, b []byte) {
		t.Helper()
		if bytes.Contains(b, []byte(`\u003c`)) || bytes.Contains(b, []byte(`\u0026`)) || !bytes.Contains(b, []byte("<p>")) {
			t.Fatalf("%s escapes HTML or lacks it:\n%s", what, b)
		}
	}
	r := s.run(t, "list", "--kind", "news", "--json")
	check("list --json", []byte(r.ok(t)))
	var news []listedItem
	r.decode(t, &news)
	dir := t.TempDir()
	var d downloadResult
	s.run(t, "download", news[0].MediaID, "-o", dir, "--json").decode(t, &d)
	b, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	check("the news download saved", b)
	check("download -o -", []byte(s.run(t, "download", news[0].MediaID, "-o", "-").ok(t)))
	backup := filepath.Join(t.TempDir(), "backup")
	s.run(t, "backup", backup).ok(t)
	if b, err = os.ReadFile(filepath.Join(backup, manifestName)); err != nil {
		t.Fatal(err)
	}
	check("the manifest", b)
}

// TestEmbeddedLinks: links the embedded emulator hands out point at a port
// that closes when the command ends; the command says so where they
// appear, and serving the same state on that address opens them again.
func TestEmbeddedLinks(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	cli(t, nil, append(embedded(state), "count")...).ok(t) // the banner
	name, png := sample(t, material.KindImage)
	r := cli(t, nil, append(embedded(state), "upload", "--permanent", writeFile(t, name, png))...)
	link := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/\S+`).FindStringSubmatch(r.ok(t))
	if link == nil {
		t.Fatalf("upload --permanent printed no link:\n%s", r.stdout)
	}
	hint := "wxmaterial emulator serve --data-dir " + state + " --addr " + link[1]
	if !strings.Contains(r.stderr, "the links printed above point at the embedded emulator on "+link[1]+", which stopped") || !strings.Contains(r.stderr, hint) {
		t.Fatalf("no note about the link:\n%s", r.stderr)
	}
	if r := cli(t, nil, append(embedded(state), "count")...); strings.Contains(r.stderr, "note") {
		t.Fatalf("a note without links:\n%s", r.stderr)
	}
	// A backup's manifest says it of its links.
	dir := filepath.Join(t.TempDir(), "backup")
	cli(t, nil, append(embedded(state), "backup", dir)...).ok(t)
	if m := readTestManifest(t, dir); !strings.Contains(m.Links, "which stopped when the backup ended") || !strings.Contains(m.Links, "wxmaterial emulator serve --data-dir "+state+" --addr 127.0.0.1:") {
		t.Fatalf("manifest links note %q", m.Links)
	}

	// The hint works.
	serve := exec.Command(binary, strings.Fields(strings.TrimPrefix(hint, "wxmaterial "))...)
	serve.Args = append(serve.Args, "--json")
	serve.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	serve.Stderr = &stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	var info serveInfo
	if err := json.NewDecoder(out).Decode(&info); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	if info.OfficialAccount2.AppID != emulator.DemoAppID2 || info.OfficialAccount2.Secret != emulator.DemoAppSecret2 || info.OfficialAccount2.BaseURL != info.OfficialAccount.BaseURL {
		t.Fatalf("serve printed %+v: not the second demo account", info.OfficialAccount2)
	}
	resp, err := http.Get(link[0])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, png) {
		t.Fatalf("the link served %s, %d bytes", resp.Status, len(got))
	}
}

// TestStableTokenByDefault: Official Account tokens come from
// cgi-bin/stable_token unless --plain-token asks, whose help states the
// risk.
func TestStableTokenByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.run(t, "count").ok(t)
	if got := s.TokenFetches(emulator.DemoAppID); got != (emulator.TokenStats{Stable: 1}) {
		t.Fatalf("count fetched %+v tokens, want one stable token", got)
	}
	s.run(t, "count", "--plain-token").ok(t)
	if got := s.TokenFetches(emulator.DemoAppID); got != (emulator.TokenStats{Stable: 1, Plain: 1}) {
		t.Fatalf("count --plain-token fetched %+v tokens in all, want one plain token more", got)
	}
	help := cli(t, nil, "help").ok(t)
	if !regexp.MustCompile(`--plain-token\n\s+\S[^\n]*RISK: every fetch replaces the account's token`).MatchString(help) {
		t.Fatalf("the help of --plain-token does not state the risk:\n%s", help)
	}
}

// TestLongServerFileName: a file name from the server too long for the
// file system falls back to the media id.
func TestLongServerFileName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", 110) + ".png" // 334 bytes
	s := newServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/cgi-bin/media/get") {
				w = &dispositionWriter{ResponseWriter: w, value: `attachment; filename="` + long + `"`}
			}
			h.ServeHTTP(w, r)
		})
	})
	name, png := sample(t, material.KindImage)
	var up []uploadResult
	s.run(t, "upload", "--json", writeFile(t, name, png)).decode(t, &up)
	dir := t.TempDir()
	var d downloadResult
	r := s.run(t, "download", up[0].MediaID, "-o", dir+"/", "--json")
	r.decode(t, &d)
	got, err := os.ReadFile(d.Path)
	if d.Path != filepath.Join(dir, up[0].MediaID+".png") || err != nil || !bytes.Equal(got, png) {
		t.Fatalf("saved as %q (%v)", d.Path, err)
	}
	if !strings.Contains(r.stderr, "the file name the platform gave (334 bytes) is too long for the file system") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
}
