package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEmulatorServe starts the standalone emulator on a free port, runs a
// command against it with the credentials it printed, and stops it with
// SIGINT, then SIGTERM.
func TestEmulatorServe(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(fmt.Sprint(sig), func(t *testing.T) {
			cmd := exec.Command(binary, "emulator", "serve", "--addr", "127.0.0.1:0", "--json")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var info serveInfo
			if err := json.NewDecoder(stdout).Decode(&info); err != nil {
				t.Fatalf("reading what serve printed: %v (stderr: %s)", err, stderr.String())
			}
			if !strings.HasPrefix(info.OfficialAccount.BaseURL, "http://127.0.0.1:") || info.WeCom.AgentID == 0 {
				t.Fatalf("serve printed %+v", info)
			}

			env := []string{"WECHAT_APPID=" + info.OfficialAccount.AppID, "WECHAT_SECRET=" + info.OfficialAccount.Secret}
			out := cli(t, env, "--base-url", info.OfficialAccount.BaseURL, "count").ok(t)
			if !strings.Contains(out, "image\t4") {
				t.Fatalf("count against the served emulator:\n%s", out)
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("serve ended with %v after %v; stderr:\n%s", err, sig, stderr.String())
			}
			if !strings.Contains(stderr.String(), "emulator stopped") {
				t.Fatalf("stderr:\n%s", stderr.String())
			}
		})
	}
}

// TestREADMEServeTranscript: what the README shows 'emulator serve'
// printing is what it prints (on another port): stdout, then the note on
// stderr that it runs.
func TestREADMEServeTranscript(t *testing.T) {
	t.Parallel()
	transcript := readmeBlock(t, "<!-- serve: transcript -->")
	args, ok := strings.CutPrefix(transcript[0], "$ wxmaterial ")
	if !ok {
		t.Fatalf("the transcript starts with %q, not a wxmaterial command", transcript[0])
	}
	const readmeAddr = "127.0.0.1:8080"
	fields := strings.Fields(args)
	if i := slices.Index(fields, readmeAddr); i < 0 {
		t.Fatalf("the transcript's command %q does not listen on %s", args, readmeAddr)
	} else {
		fields[i] = "127.0.0.1:0"
	}
	cmd := exec.Command(binary, fields...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Read up to the line that says it runs, which comes after stdout's.
	var got []string
	out := bufio.NewScanner(stdout)
	for out.Scan() {
		got = append(got, out.Text())
		if strings.HasPrefix(out.Text(), "  State is ") {
			break
		}
	}
	errs := bufio.NewScanner(stderr)
	if errs.Scan() {
		got = append(got, errs.Text())
	}
	if len(got) == 0 {
		t.Fatalf("serve printed nothing: %v %v", out.Err(), errs.Err())
	}
	addr, ok := strings.CutPrefix(got[0], "wxmaterial emulator serving http://")
	if !ok {
		t.Fatalf("serve printed %q first", got[0])
	}
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], addr, readmeAddr)
	}
	if diff := cmp.Diff(transcript[1:], got); diff != "" {
		t.Errorf("the README's transcript of 'wxmaterial %s' differs from what it prints (-README +printed):\n%s", args, diff)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve ended with %v", err)
	}
}
