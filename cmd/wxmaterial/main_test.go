package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// binary is the wxmaterial command built once by TestMain.
var binary string

// TestMain builds the command once (with -race when the tests run with it)
// for the tests that run it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wxmaterial-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "wxmaterial")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building wxmaterial:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the built command with args and a clean environment (no
// credentials of the developer's, a home and cache folder of the test's)
// plus env.
func cli(t *testing.T, env []string, args ...string) result {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "cache")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run wxmaterial %v: %v", args, err)
	}
	return r
}

// ok fails the test unless the run exited 0, and returns its stdout.
func (r result) ok(t *testing.T) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails checks the exit code and that stderr says want.
func (r result) fails(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit code %d and stderr:\n%s\nwant exit code %d and a message containing %q (stdout:\n%s)", r.code, r.stderr, code, want, r.stdout)
	}
}

// decode parses the run's stdout as JSON into v.
func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.ok(t)), v); err != nil {
		t.Fatalf("stdout is not the JSON expected: %v\n%s", err, r.stdout)
	}
}

// server is an emulator served over HTTP in the test process, for runs
// with --base-url: the test can inject faults and read its request log.
type server struct {
	*emulator.Emulator
	url string
}

// newServer starts an emulator with the demo accounts and library.
func newServer(t *testing.T, wrap ...func(http.Handler) http.Handler) *server {
	t.Helper()
	em := emulator.New()
	if err := em.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = em
	for _, w := range wrap {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		em.Close()
	})
	return &server{em, srv.URL}
}

// Requests returns the request log once every request answered so far is
// in it: the command may exit before the emulator has logged its last call
// (see the emulator's rules for reading the log).
func (s *server) Requests() []emulator.Request {
	s.settle()
	return s.Emulator.Requests()
}

// ResetRequests empties the log once no request is in service, so that no
// call of an earlier run is logged after the reset.
func (s *server) ResetRequests() {
	s.settle()
	s.Emulator.ResetRequests()
}

func (s *server) settle() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		panic("the emulator kept a request in service for a minute: " + err.Error())
	}
}

// oa returns the flags and environment of a run against the server's
// Official Account appID (the demo one when appID is "").
func (s *server) oa(appID, secret string) (env []string, flags []string) {
	if appID == "" {
		appID, secret = emulator.DemoAppID, emulator.DemoAppSecret
	}
	return []string{"WECHAT_APPID=" + appID, "WECHAT_SECRET=" + secret}, []string{"--base-url", s.url + emulator.OfficialAccountPrefix}
}

// work returns the flags and environment of a run against the server's
// demo WeCom agent.
func (s *server) work() (env []string, flags []string) {
	return []string{"WECOM_CORPID=" + emulator.DemoCorpID, fmt.Sprintf("WECOM_AGENTID=%d", emulator.DemoAgentID), "WECOM_SECRET=" + emulator.DemoAgentSecret},
		[]string{"--base-url", s.url + emulator.WeComPrefix}
}

// run runs the command against the server as the demo Official Account.
func (s *server) run(t *testing.T, args ...string) result {
	t.Helper()
	env, flags := s.oa("", "")
	return cli(t, env, append(flags, args...)...)
}

// calls returns how many logged requests went to path.
func (s *server) calls(path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// writeFile writes data to name in a new temporary folder and returns its
// path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// embedded returns the flags of a run on the embedded emulator keeping its
// state in dir.
func embedded(dir string) []string { return []string{"--data-dir", dir} }

// serveFile serves data as name, with Range support, at any path of the
// returned server's URL, for upload-by-URL jobs to fetch.
func serveFile(t *testing.T, name string, data []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	return srv
}
