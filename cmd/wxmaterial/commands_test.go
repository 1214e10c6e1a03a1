package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// sample returns a small valid file of kind k: its name and bytes.
func sample(t *testing.T, k material.Kind) (string, []byte) {
	t.Helper()
	src := materialtest.Sample(k)
	r, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return src.Name(), b
}

// sha returns the hex SHA-256 of b.
func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestEmbeddedStateAcrossRuns: with no credentials every command runs on
// the embedded emulator, and what one run adds the next one sees.
func TestEmbeddedStateAcrossRuns(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	name, png := sample(t, material.KindImage)
	file := writeFile(t, name, png)

	r := cli(t, nil, append(embedded(state), "count")...)
	if out := r.ok(t); !strings.Contains(out, "image\t4\n") {
		t.Fatalf("count of the demo library:\n%s", out)
	}
	if !strings.Contains(r.stderr, "embedded emulator") || !strings.Contains(r.stderr, state) {
		t.Fatalf("the run does not say it uses the embedded emulator and where its state is:\n%s", r.stderr)
	}

	var up []uploadResult
	cli(t, nil, append(embedded(state), "--json", "upload", "--permanent", file)...).decode(t, &up)
	if len(up) != 1 || up[0].MediaID == "" || up[0].Kind != material.KindImage {
		t.Fatalf("upload --permanent answered %+v", up)
	}
	id := up[0].MediaID

	var items []listedItem
	cli(t, nil, append(embedded(state), "list", "--kind", "image", "--json")...).decode(t, &items)
	found := false
	for _, it := range items {
		found = found || (it.MediaID == id && it.Name == name)
	}
	if len(items) != 5 || !found {
		t.Fatalf("list after the upload has %d images, the new one %v: %+v", len(items), found, items)
	}

	out := t.TempDir()
	var d downloadResult
	cli(t, nil, append(embedded(state), "download", id, "-o", out+"/", "--json")...).decode(t, &d)
	got, err := os.ReadFile(d.Path)
	if err != nil || !bytes.Equal(got, png) || filepath.Dir(d.Path) != out {
		t.Fatalf("download wrote %q (%v), %d bytes equal to the upload: %v", d.Path, err, len(got), bytes.Equal(got, png))
	}

	cli(t, nil, append(embedded(state), "delete", id)...).ok(t)
	var c material.Counts
	cli(t, nil, append(embedded(state), "count", "--json")...).decode(t, &c)
	if c != (material.Counts{Image: 4, Voice: 1, Video: 1, News: 2}) {
		t.Fatalf("count after delete: %+v", c)
	}
}

// TestTemporaryRoundTrip uploads temporary media of every Official Account
// kind, several files at once, and downloads each back byte for byte; a
// video comes through its link.
func TestTemporaryRoundTrip(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var files []string
	data := map[string][]byte{}
	for _, k := range []material.Kind{material.KindImage, material.KindVoice, material.KindVideo} {
		name, b := sample(t, k)
		p := writeFile(t, name, b)
		files = append(files, p)
		data[p] = b
	}
	var up []uploadResult
	s.run(t, append([]string{"upload", "--json"}, files...)...).decode(t, &up)
	if len(up) != 3 {
		t.Fatalf("uploaded %d files, want 3: %+v", len(up), up)
	}
	for _, u := range up {
		if u.ExpiresAt == nil || u.MediaID == "" {
			t.Fatalf("temporary upload without id or expiry: %+v", u)
		}
		dir := t.TempDir()
		var d downloadResult
		s.run(t, "download", u.MediaID, "-o", dir, "--json").decode(t, &d)
		got, err := os.ReadFile(d.Path)
		if err != nil || !bytes.Equal(got, data[u.File]) || d.SHA256 != sha(data[u.File]) {
			t.Fatalf("%s %s: downloaded %q (%v), not the bytes uploaded", u.Kind, u.MediaID, d.Path, err)
		}
	}
	// To stdout.
	r := s.run(t, "download", up[0].MediaID, "-o", "-")
	if r.ok(t) != string(data[up[0].File]) {
		t.Fatal("download -o - did not write the bytes to stdout")
	}
	// An article image answers a URL and adds nothing to the library.
	before := s.LibraryCounts(emulator.DemoAppID)
	var img []uploadResult
	s.run(t, "upload", "--image-url", "--json", files[0]).decode(t, &img)
	if len(img) != 1 || !strings.HasPrefix(img[0].URL, "http") || s.LibraryCounts(emulator.DemoAppID) != before {
		t.Fatalf("upload --image-url: %+v", img)
	}
}

// TestPermanentVideo adds a video with a title and introduction and gets
// it back through its link.
func TestPermanentVideo(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	name, mp4 := sample(t, material.KindVideo)
	var up []uploadResult
	s.run(t, "upload", "--permanent", "--title", "标题 Title", "--introduction", "intro", "--json", writeFile(t, name, mp4)).decode(t, &up)
	m, ok := s.Media(up[0].MediaID)
	if !ok || m.Title != "标题 Title" || m.Introduction != "intro" || m.Family != "permanent" {
		t.Fatalf("the emulator holds %+v", m)
	}
	dir := t.TempDir()
	var d downloadResult
	s.run(t, "download", "--permanent", up[0].MediaID, "-o", dir, "--json").decode(t, &d)
	if d.SHA256 != sha(mp4) {
		t.Fatalf("permanent video downloaded as %+v", d)
	}
	// News downloads as its articles.
	var news []listedItem
	s.run(t, "list", "--kind", "news", "--json").decode(t, &news)
	if len(news) != 2 {
		t.Fatalf("demo library lists %d news items", len(news))
	}
	s.run(t, "download", news[0].MediaID, "-o", dir, "--json").decode(t, &d)
	b, _ := os.ReadFile(d.Path)
	if !strings.Contains(string(b), news[0].News[0].Title) {
		t.Fatalf("news downloaded as %s", b)
	}
}

// TestDownloadSafety: a server-supplied name cannot escape the target
// folder, an error reply never becomes a file, and a transfer cut off
// half-way leaves nothing behind.
func TestDownloadSafety(t *testing.T) {
	t.Parallel()
	evil := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/cgi-bin/media/get") {
				w = &dispositionWriter{ResponseWriter: w, value: `attachment; filename="../../evil.png"`}
			}
			h.ServeHTTP(w, r)
		})
	}
	s := newServer(t, evil)
	name, png := sample(t, material.KindImage)
	var up []uploadResult
	s.run(t, "upload", "--json", writeFile(t, name, png)).decode(t, &up)

	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "b")
	if err := os.Mkdir(filepath.Dir(dir), 0o755); err != nil { // -o creates b, not the folders above it
		t.Fatal(err)
	}
	var d downloadResult
	s.run(t, "download", up[0].MediaID, "-o", dir+"/", "--json").decode(t, &d)
	if d.Path != filepath.Join(dir, "evil.png") {
		t.Fatalf("server name ../../evil.png saved as %q, want %q", d.Path, filepath.Join(dir, "evil.png"))
	}
	if _, err := os.Stat(filepath.Join(parent, "evil.png")); err == nil {
		t.Fatal("a file was written outside the target folder")
	}

	empty := t.TempDir()
	s.run(t, "download", "no-such-id", "-o", empty+"/").fails(t, 1, "40007")
	// Cut off: the emulator's faults need the connection itself, so a
	// server without the name-changing wrapper.
	s2 := newServer(t)
	s2.run(t, "upload", "--json", writeFile(t, name, png)).decode(t, &up)
	s2.Inject(emulator.Fault{Path: "/cgi-bin/media/get", Times: -1, Action: emulator.TruncateBody(10)})
	s2.run(t, "download", up[0].MediaID, "-o", empty+"/").fails(t, 1, "")
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("failed downloads left %v in the folder", entries)
	}
}

// dispositionWriter replaces the Content-Disposition of a file reply (the
// emulator spells the header "Content-disposition", as the platforms do).
type dispositionWriter struct {
	http.ResponseWriter
	value   string
	written bool
}

func (d *dispositionWriter) WriteHeader(code int) {
	if !d.written {
		d.written = true
		for k := range d.Header() {
			if strings.EqualFold(k, "Content-Disposition") {
				d.Header()[k] = []string{d.value}
			}
		}
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *dispositionWriter) Write(b []byte) (int, error) {
	if !d.written {
		d.WriteHeader(http.StatusOK)
	}
	return d.ResponseWriter.Write(b)
}

// TestSecretsNeverPrinted runs with -v, a good and a bad secret, and finds
// neither in the output.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const bad = "wrong-secret-0123456789abcdef0123"
	env, flags := s.oa(emulator.DemoAppID, bad)
	r := cli(t, env, append(flags, "-v", "count")...)
	r.fails(t, 1, "")
	good := s.run(t, "-v", "count")
	good.ok(t)
	for _, out := range []string{r.stdout, r.stderr, good.stdout, good.stderr} {
		if strings.Contains(out, bad) || strings.Contains(out, emulator.DemoAppSecret) || strings.Contains(out, "access_token=") {
			t.Fatalf("a secret or token was printed:\n%s", out)
		}
	}
}
