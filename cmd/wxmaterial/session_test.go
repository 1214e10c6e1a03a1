package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the fenced block that follows the marker line in
// README.md.
func readmeBlock(t *testing.T, marker string) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), marker+"\n")
	if !ok {
		t.Fatalf("README.md has no %s", marker)
	}
	fence, rest, _ := strings.Cut(rest, "\n")
	if !strings.HasPrefix(fence, "```") {
		t.Fatalf("README.md: %s is not followed by a fenced block", marker)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("README.md: the block after %s does not end", marker)
	}
	return strings.Split(block, "\n")
}

// TestREADMESession runs the README's sessions as a reader pastes them
// (with the command built by the tests in place of their go build line):
// backup → delete → backup → restore, and copies between accounts and
// platforms. It checks that each transcript shows the same commands and
// ends with what the last one prints, and what the session says on
// stderr.
func TestREADMESession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string // "" for the first session's markers
		says []string
	}{
		{says: []string{"is no longer in the library: kept in the backup", "using the embedded emulator"}},
		{name: "copy", says: []string{"copying image", "news cannot be copied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			marker := "<!-- session: "
			if tc.name != "" {
				marker += tc.name + " "
			}
			runSession(t, readmeBlock(t, marker+"commands -->"), readmeBlock(t, marker+"transcript -->"), tc.says)
		})
	}
}

// runSession runs commands in a new folder and checks them against
// transcript, and that stderr says each of says.
func runSession(t *testing.T, commands, transcript, says []string) {
	t.Helper()
	var shown []string
	last := -1
	for i, line := range transcript {
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			shown = append(shown, cmd)
			last = i
		}
	}
	if strings.Join(shown, "\n") != strings.Join(commands, "\n") {
		t.Fatalf("the transcript's commands:\n%s\ndiffer from the commands to paste:\n%s", strings.Join(shown, "\n"), strings.Join(commands, "\n"))
	}
	const build = "go build -o wxmaterial ./cmd/wxmaterial"
	if commands[0] != build {
		t.Fatalf("the session starts with %q, not %q", commands[0], build)
	}

	dir := t.TempDir()
	if err := os.Symlink(binary, filepath.Join(dir, "wxmaterial")); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("sh", "-e", "-c", strings.Join(commands[1:], "\n"))
	sh.Dir = dir
	sh.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	if err := sh.Run(); err != nil {
		t.Fatalf("the session failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	want := strings.Join(transcript[last+1:], "\n") + "\n"
	if got := stdout.String(); !strings.HasSuffix(got, want) {
		t.Fatalf("the session ends with:\n%s\nthe transcript with:\n%s", got, want)
	}
	for _, say := range says {
		if !strings.Contains(stderr.String(), say) {
			t.Fatalf("the session does not say %q:\n%s", say, stderr.String())
		}
	}
}

// TestDemoFoldersIgnored: the folders the quick start and the session
// create in a clone are git-ignored.
func TestDemoFoldersIgnored(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git to ask")
	}
	for _, p := range []string{"demo-backup/manifest.json", "demo-state/state.json", "copy-state/state.json", "wxmaterial"} {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", p)
		cmd.Dir = filepath.Join("..", "..")
		if err := cmd.Run(); err != nil {
			t.Errorf("%s is not git-ignored at the repository's root: %v", p, err)
		}
	}
}
