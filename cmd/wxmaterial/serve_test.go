package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
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
