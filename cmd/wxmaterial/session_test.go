package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readmeBlock returns the fenced block that follows the marker line in
// README.md.
func readmeBlock(t *testing.T, marker string) []string {
	t.Helper()
	return markdownBlock(t, "README.md", marker)
}

// markdownBlock returns the fenced block that follows the line marker (a
// marker comment, or a heading: the first block after it) in the Markdown
// file path.
func markdownBlock(t *testing.T, path, marker string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), marker+"\n")
	if !ok {
		t.Fatalf("%s has no %s", path, marker)
	}
	if strings.HasPrefix(marker, "#") {
		_, rest, ok = strings.Cut(rest, "\n```")
		if !ok {
			t.Fatalf("%s: no fenced block after %s", path, marker)
		}
		rest = "```" + rest
	}
	fence, rest, _ := strings.Cut(rest, "\n")
	if !strings.HasPrefix(fence, "```") {
		t.Fatalf("%s: %s is not followed by a fenced block", path, marker)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("%s: the block after %s does not end", path, marker)
	}
	return strings.Split(block, "\n")
}

// quickStarts returns the quick-start commands of the two READMEs, with
// the built command in place of 'go run ./cmd/wxmaterial', in the order a
// reader meets them.
func quickStarts(t *testing.T) []string {
	t.Helper()
	const run = "go run ./cmd/wxmaterial "
	var cmds []string
	for _, path := range []string{filepath.Join("..", "..", "README.md"), "README.md"} {
		block := markdownBlock(t, path, "## Quick start")
		if len(block) != 1 || !strings.HasPrefix(block[0], run) {
			t.Fatalf("%s: the quick start is %q, not one %q command", path, block, run)
		}
		cmds = append(cmds, "./wxmaterial "+strings.TrimPrefix(block[0], run))
	}
	return cmds
}

// sessionFolders returns the folders the READMEs' sessions and quick starts
// write in a clone: those of --data-dir, backup and restore.
func sessionFolders(t *testing.T, commands []string) []string {
	t.Helper()
	var dirs []string
	for _, line := range commands {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "--data-dir" || f[i] == "backup" || f[i] == "restore" {
				if d := strings.TrimPrefix(f[i+1], "./"); !slices.Contains(dirs, d) {
					dirs = append(dirs, d)
				}
			}
		}
	}
	return dirs
}

// TestREADMESession runs the README's sessions as a reader pastes them
// (with the command built by the tests in place of their go build line),
// after the quick starts, as a reader meets them: backup → delete → backup
// → restore, and copies between accounts and platforms. It checks that each
// transcript shows the same commands and ends with what the last one
// prints, and what the session says on stderr.
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
			runSession(t, quickStarts(t), readmeBlock(t, marker+"commands -->"), readmeBlock(t, marker+"transcript -->"), tc.says)
		})
	}
}

// runSession runs first, then commands in a new folder (with one home and
// cache folder) and checks commands against transcript, and that their
// stderr says each of says.
func runSession(t *testing.T, first, commands, transcript, says []string) {
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
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir()}
	pre := exec.Command("sh", "-e", "-c", strings.Join(first, "\n"))
	pre.Dir, pre.Env = dir, env
	if out, err := pre.CombinedOutput(); err != nil {
		t.Fatalf("the quick start failed: %v\n%s", err, out)
	}
	sh := exec.Command("sh", "-e", "-c", strings.Join(commands[1:], "\n"))
	sh.Dir, sh.Env = dir, env
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

// TestDemoFoldersIgnored: the folders the quick starts and the sessions
// create in a clone are git-ignored, and no session writes to another's
// or the quick start's: each prints what its transcript shows whatever ran
// before.
func TestDemoFoldersIgnored(t *testing.T) {
	t.Parallel()
	quick := sessionFolders(t, quickStarts(t))
	used := map[string]string{}
	for _, d := range quick {
		used[d] = "the quick start"
	}
	var all []string
	for _, name := range []string{"", "copy "} {
		dirs := sessionFolders(t, readmeBlock(t, "<!-- session: "+name+"commands -->"))
		if len(dirs) == 0 {
			t.Fatalf("the %ssession writes no folder", name)
		}
		for _, d := range dirs {
			if by, ok := used[d]; ok {
				t.Errorf("the %ssession writes %s, as %s does", name, d, by)
			}
			used[d] = "the " + name + "session"
		}
		all = append(all, dirs...)
	}
	all = append(all, quick...)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git to ask")
	}
	for _, p := range append(all, "wxmaterial") {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", p+"/x")
		if p == "wxmaterial" {
			cmd.Args[len(cmd.Args)-1] = p
		}
		cmd.Dir = filepath.Join("..", "..")
		if err := cmd.Run(); err != nil {
			t.Errorf("%s is not git-ignored at the repository's root: %v", p, err)
		}
	}
}
