package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Exit codes.
const (
	exitOK      = 0 // the command did what was asked
	exitFailure = 1 // it could not: the platform refused, a file is bad, the network failed
	exitUsage   = 2 // the command line was wrong
)

// app is one run of the tool: its streams, environment and global flags.
type app struct {
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	getenv   func(string) string
	terminal bool // stderr is a terminal: draw progress bars

	g globals

	// connect opens the backend the command talks to; tests replace it.
	connect func(ctx context.Context, a *app) (*backend, error)
}

// newApp returns an app on the given streams and environment.
func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, connect: openBackend}
	if f, ok := stderr.(*os.File); ok {
		a.terminal = term.IsTerminal(int(f.Fd()))
	}
	return a
}

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after the name
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands lists the subcommands in the order usage shows them.
var commands []*command

func init() {
	commands = []*command{
		{"upload", "[flags] FILE...", "upload temporary media, permanent media (--permanent) or article images (--image-url)", runUpload},
		{"download", "[flags] ID", "download media by id into the current folder, -o PATH or stdout (-o -)", runDownload},
		{"list", "[--kind KIND]", "list the Official Account permanent library", runList},
		{"count", "", "count the Official Account permanent library by kind", runCount},
		{"delete", "ID...", "delete permanent media", runDelete},
		{"upload-url", "--url URL --name NAME --kind video|file [--md5 HEX]", "have WeCom fetch a file from a URL (a job) and wait for it", runUploadURL},
		{"backup", "[flags] DIR", "back up the whole Official Account permanent library to DIR; re-running resumes", runBackup},
		{"restore", "[flags] DIR", "upload a backup into an account and write the map of old ids to new ones", runRestore},
		{"emulator", "serve [--addr HOST:PORT] [--accounts FILE] [--clock fake|TIME] [--tls [--ca-cert FILE]] [--no-control]", "serve the emulator of both platforms for other programs' tests", runEmulator},
	}
}

// usageError is a wrong command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run runs the command line args and returns the exit code.
func (a *app) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("wxmaterial", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "wxmaterial: %v\nRun 'wxmaterial help' for usage.\n", err)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) == 0 {
			a.usage(a.stdout)
			return exitOK
		}
		name, rest = rest[0], []string{"-h"}
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(a.stderr, "wxmaterial: unknown command %q\nRun 'wxmaterial help' for usage.\n", name)
		return exitUsage
	}
	return a.report(cmd.name, cmd.run(ctx, a, rest))
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// report prints err, if any, and returns the exit code it means.
func (a *app) report(name string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "wxmaterial %s: %v\nRun 'wxmaterial %s -h' for usage.\n", name, ue, name)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(a.stderr, "wxmaterial %s: interrupted\n", name)
		return exitFailure
	default:
		fmt.Fprintf(a.stderr, "wxmaterial %s: %v\n", name, err)
		return exitFailure
	}
}

// usage prints the tool's usage to w.
func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, "Usage: wxmaterial [global flags] <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nGlobal flags (also accepted after the command name):\n")
	fs := flag.NewFlagSet("wxmaterial", flag.ContinueOnError)
	var g globals
	g.register(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Environment: WECHAT_APPID, WECHAT_SECRET (Official Account); WECOM_CORPID, WECOM_AGENTID, WECOM_SECRET (WeCom).
With no credentials, the embedded emulator runs with a demo account (state in --data-dir).
Exit codes: 0 success, 1 failure, 2 usage.
Run 'wxmaterial help <command>' for a command's flags.
`)
}

// flags returns the flag set of a subcommand, with the global flags on it
// too (their current values as defaults, so nothing given before the
// command name is lost).
func (a *app) flags(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet("wxmaterial "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	return fs
}

// parse parses a subcommand's args, flags and arguments in any order (a
// "--" ends the flags), and returns the arguments. -h prints the command's
// usage to stdout and returns flag.ErrHelp; a bad flag is a usage error.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				a.commandUsage(fs)
				return nil, flag.ErrHelp
			}
			// Media ids may begin with "-": one that fs took for an
			// unknown flag is an argument.
			if i := mediaIDAt(args, err); i >= 0 {
				before, err := a.parse(fs, args[:i])
				if err != nil {
					return nil, err
				}
				pos = append(append(pos, before...), args[i])
				args = args[i+1:]
				continue
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// mediaIDAt returns the index in args of the "unknown flag" a flag.Parse
// error names when it looks like a media id (long, of the id alphabet),
// or -1.
func mediaIDAt(args []string, err error) int {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok || len(name) < 20 {
		return -1
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return -1
		}
	}
	for i, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "-"+name || arg == "--"+name {
			return i
		}
	}
	return -1
}

// commandUsage prints a subcommand's usage and flags to stdout.
func (a *app) commandUsage(fs *flag.FlagSet) {
	name := strings.TrimPrefix(fs.Name(), "wxmaterial ")
	if c := lookup(name); c != nil {
		fmt.Fprintf(a.stdout, "Usage: wxmaterial %s %s\n\n%s.\n\nFlags:\n", c.name, c.args, upperFirst(c.summary))
	}
	own := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	fs.VisitAll(func(f *flag.Flag) {
		if !isGlobalFlag(f.Name) {
			own.Var(f.Value, f.Name, f.Usage)
		}
	})
	own.SetOutput(a.stdout)
	own.PrintDefaults()
	fmt.Fprint(a.stdout, "\nThe global flags (--platform, credentials, --base-url, --data-dir, --json, -v) are accepted too: see 'wxmaterial help'.\n")
}

// upperFirst returns s with its first letter in upper case.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// infof writes a status line to stderr.
func (a *app) infof(format string, args ...any) {
	fmt.Fprintf(a.stderr, "wxmaterial: "+format+"\n", args...)
}
