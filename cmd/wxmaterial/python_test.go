package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// TestPythonDemo runs examples/python/emulator_demo.py (standard library
// only) against a built `wxmaterial emulator serve`: the emulator works
// from a language other than Go. On CI (CI set) python3 must be there:
// .ci/run installs it.
func TestPythonDemo(t *testing.T) {
	t.Parallel()
	python := needPython(t)
	caFile := filepath.Join(t.TempDir(), "emulator-ca.pem")
	s := startServe(t, "--clock", "fake", "--tls", "--ca-cert", caFile)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	script := filepath.Join("..", "..", "examples", "python", "emulator_demo.py")
	cmd := exec.CommandContext(ctx, python, script, "--url", s.info.URL, "--ca-cert", caFile)
	// No proxy of the developer's, no site packages: the standard library.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PYTHONNOUSERSITE=1"}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "emulator demo: all ") {
		t.Fatalf("%s %s: %v\n%s", python, script, err, out)
	}

	// What the script did is in the emulator's log: the fault it injected
	// and the call that went through the proxy.
	var log struct{ Requests []emulator.Request }
	s.control(t, "GET", "/_emulator/requests", "", &log)
	var faults, proxied int
	for _, r := range log.Requests {
		if r.Fault == "errcode -1" && r.Path == "/cgi-bin/media/get" {
			faults++
		}
		if r.Host == emulator.OfficialAccountHost && r.Path == "/cgi-bin/token" {
			proxied++
		}
	}
	if faults != 1 || proxied != 1 {
		t.Errorf("the log shows %d faulted media/get and %d proxied token calls, want 1 and 1:\n%s", faults, proxied, out)
	}
}

// TestPythonDemoNoEmulator: with nothing listening at --url, the demo says
// in one line to start the emulator and exits non-zero, without a
// traceback.
func TestPythonDemoNoEmulator(t *testing.T) {
	t.Parallel()
	python := needPython(t)
	// A port nothing listens on: one just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	for _, tc := range []struct{ url, want string }{
		{url: url, want: "no emulator answers at " + url},
		{url: strings.TrimPrefix(url, "http://"), want: "give the emulator's address with its scheme"},
	} {
		cmd := exec.CommandContext(t.Context(), python, filepath.Join("..", "..", "examples", "python", "emulator_demo.py"), "--url", tc.url)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PYTHONNOUSERSITE=1"}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("--url %s: %v, want a non-zero exit\n%s", tc.url, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], tc.want) || (tc.url == url && !strings.Contains(lines[0], "start `wxmaterial emulator serve` first")) {
			t.Errorf("--url %s printed:\n%s\nwant one line saying %q", tc.url, out, tc.want)
		}
	}
}

// needPython returns the path of python3, or skips the test when it is
// not installed (and fails it on CI, where .ci/run installs it).
func needPython(t *testing.T) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 is not installed, and CI is set: .ci/run must install it")
		}
		t.Skip("python3 is not installed (on CI this test fails instead)")
	}
	return python
}
