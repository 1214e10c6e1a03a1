package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/wxmaterial/wxmaterial/material"
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
	stdout   io.Writer // out, for the commands
	out      *watchWriter
	stderr   io.Writer
	getenv   func(string) string
	terminal bool // stderr is a terminal: draw progress bars

	g globals

	// connect opens the backend the command talks to; tests replace it.
	connect func(ctx context.Context, a *app) (*backend, error)

	emb *embeddedEmulator // started by the first backend that needs it

	logMu sync.Mutex // held while a logger writes a line
}

// newApp returns an app on the given streams and environment.
func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	out := &watchWriter{w: stdout}
	a := &app{stdin: stdin, stdout: out, out: out, stderr: stderr, getenv: getenv, connect: openBackend}
	if f, ok := stderr.(*os.File); ok {
		a.terminal = term.IsTerminal(int(f.Fd()))
	}
	return a
}

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after the name; flags it leaves out are added as [--flag VALUE]
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands lists the subcommands in the order usage shows them.
var commands []*command

func init() {
	commands = []*command{
		{"upload", "[--kind KIND] [--once] [--permanent [--title TITLE] [--introduction TEXT] | --image-url] FILE...", "upload temporary media, permanent media (--permanent) or article images (--image-url)", runUpload},
		{"download", "[-o PATH] [--force] [--permanent | --hd-voice] ID", "download media by id into the current folder, -o PATH or stdout (-o -)", runDownload},
		{"list", "[--kind KIND]", "list the Official Account permanent library", runList},
		{"count", "", "count the Official Account permanent library by kind", runCount},
		{"delete", "ID...", "delete permanent media", runDelete},
		{"copy", "[--kind KIND] [--from-library] [--to-library [--title TITLE] [--introduction TEXT]] [--name NAME] [--to-platform oa|work] [--to-appid APPID | --to-corpid ID --to-agentid N] [--to-secret SECRET] [--to-base-url URL] [--to-plain-token] ID",
			"copy an item to another account or platform (the target: --to-... flags or TO_... variables), or into or out of the library", runCopy},
		{"upload-url", "--url URL [--name NAME] [--kind video|file] [--md5 HEX | --file PATH] [--no-wait]  or  upload-url --job ID", "have WeCom fetch a file from a URL (a job) and wait for it", runUploadURL},
		{"backup", "DIR", "back up the whole Official Account permanent library to DIR; re-running resumes and keeps what the library lost", runBackup},
		{"restore", "[--map FILE] [--present-only] DIR", "upload a backup into an account (what it lacks) and write the map of old ids to new ones", runRestore},
		{"emulator", "serve [--addr HOST:PORT] [--accounts FILE] [--clock fake|TIME] [--tls [--ca-cert FILE]] [--no-control]", "serve the emulator of both platforms for other programs' tests", runEmulator},
		{"version", "", "print the version of this build (also --version)", runVersion},
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
	a.g.json = jsonRequested(args) // errors before the flags are parsed are JSON too
	fs := flag.NewFlagSet("wxmaterial", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	version := fs.Bool("version", false, "print the version of this build")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout)
			return exitOK
		}
		return a.report("", flagError(err))
	}
	if err := a.g.check(); err != nil {
		return a.report("", err)
	}
	rest := fs.Args()
	if *version {
		if len(rest) > 0 {
			return a.report("", usagef("--version takes no command, got %q", rest[0]))
		}
		return a.report("version", runVersion(ctx, a, nil))
	}
	if len(rest) == 0 {
		if a.g.json {
			return a.report("", usagef("no command given"))
		}
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
		return a.report("", usagef("unknown command %q", name))
	}
	err := cmd.run(ctx, a, rest)
	if serr := a.stopEmbedded(); serr != nil {
		err = errors.Join(err, serr)
	}
	code := a.report(cmd.name, err)
	a.noteEmbeddedURLs()
	return code
}

// jsonRequested reports whether args ask for --json before a "--".
func jsonRequested(args []string) bool {
	for _, arg := range args {
		switch arg {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
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

// errorReport is an error as --json prints it on stderr.
type errorReport struct {
	Command        string `json:"command,omitempty"`
	Message        string `json:"message"`
	Errcode        int    `json:"errcode,omitempty"`         // the platform's errcode, or a WeCom job's
	HTTPStatus     int    `json:"http_status,omitempty"`     // of a platform reply that failed on its status
	OutcomeUnknown bool   `json:"outcome_unknown,omitempty"` // a write that may or may not have happened
	Usage          string `json:"usage,omitempty"`           // how to see the usage, for usage errors
	ExitCode       int    `json:"exit_code"`
}

// report prints err, if any, on stderr (a JSON object with --json) and
// returns the exit code it means. name is the command, or "" before one
// was found.
func (a *app) report(name string, err error) int {
	var ue *usageError
	r := errorReport{Command: name, ExitCode: exitFailure}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		r.Message, r.ExitCode = ue.msg, exitUsage
		r.Usage = "wxmaterial help"
		if name != "" {
			r.Usage = "wxmaterial " + name + " -h"
		}
	case errors.Is(err, context.Canceled):
		r.Message = "interrupted"
	default:
		r.Message = err.Error()
		var api *material.APIError
		var job *material.JobError
		switch {
		case errors.As(err, &api):
			r.Errcode, r.HTTPStatus = api.Code, api.HTTPStatus
		case errors.As(err, &job):
			r.Errcode = job.Code
		}
		r.OutcomeUnknown = errors.Is(err, material.ErrOutcomeUnknown)
	}
	if r.HTTPStatus == http.StatusOK {
		r.HTTPStatus = 0 // an errcode answered with 200, as the platforms do
	}
	if a.g.json {
		b, merr := marshalJSON(r, "")
		if merr == nil {
			a.stderr.Write(b)
			return r.ExitCode
		}
	}
	prefix := "wxmaterial"
	if name != "" {
		prefix += " " + name
	}
	// Several errors joined (delete's, one per id) are one per line, each
	// with the prefix, so that every line says where it comes from. A
	// message may quote a manifest's or a server's text: see safeText.
	for _, line := range strings.Split(r.Message, "\n") {
		fmt.Fprintf(a.stderr, "%s: %s\n", prefix, safeText(line, ""))
	}
	if r.Usage != "" {
		fmt.Fprintf(a.stderr, "Run '%s' for usage.\n", r.Usage)
	}
	return r.ExitCode
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
	fs.Bool("version", false, "print the version of this build and exit")
	printFlags(w, fs, func(string) bool { return true })
	fmt.Fprint(w, `
Environment: WECHAT_APPID, WECHAT_SECRET (Official Account); WECOM_CORPID, WECOM_AGENTID, WECOM_SECRET (WeCom);
the same with TO_ in front (TO_WECHAT_APPID, ...) for the target of copy.
With no credentials, the embedded emulator runs with demo accounts (state in --data-dir); it says so when
its state is created, and with -v.
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
			return nil, flagError(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, a.g.check()
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), a.g.check()
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
	own := func(name string) bool { return !isGlobalFlag(name) }
	if c := lookup(name); c != nil {
		fmt.Fprintf(a.stdout, "Usage: wxmaterial %s\n\n%s.\n", synopsis(c, fs, own), upperFirst(c.summary))
	}
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if own(f.Name) {
			n++
		}
	})
	if n > 0 {
		fmt.Fprint(a.stdout, "\nFlags:\n")
		printFlags(a.stdout, fs, own)
	}
	fmt.Fprint(a.stdout, "\nThe global flags (--platform, the credentials, --plain-token, --base-url, --data-dir, --json, -v, -q) are accepted too: see 'wxmaterial help'.\n")
}

// synopsis returns the usage line of c after "wxmaterial": its name, its
// written synopsis, and [--flag VALUE] for each of its flags (those own
// says are its own) that the synopsis does not mention.
func synopsis(c *command, fs *flag.FlagSet, own func(string) bool) string {
	mentioned := map[string]bool{}
	for _, tok := range strings.FieldsFunc(c.args, func(r rune) bool { return strings.ContainsRune(" []()|", r) }) {
		if strings.HasPrefix(tok, "-") {
			mentioned[strings.TrimLeft(tok, "-")] = true
		}
	}
	parts := []string{c.name}
	fs.VisitAll(func(f *flag.Flag) {
		if own(f.Name) && !mentioned[f.Name] {
			p := dashed(f.Name)
			if v := valueName(f); v != "" {
				p += " " + v
			}
			parts = append(parts, "["+p+"]")
		}
	})
	if c.args != "" {
		parts = append(parts, c.args)
	}
	return strings.Join(parts, " ")
}

// dashed writes a flag name as the help and the docs do: -o, -v and -q with
// one dash, the longer names with two.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// valueName is the placeholder of a flag's value in upper case, as the
// usage lines write it ("--kind KIND"), or "" for a boolean flag.
func valueName(f *flag.Flag) string {
	v, _ := flag.UnquoteUsage(f)
	return strings.ToUpper(v)
}

// printFlags prints the flags of fs that keep selects, in the style of
// flag.PrintDefaults but with the dashes of dashed.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(string) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f.Name) {
			return
		}
		_, usage := flag.UnquoteUsage(f)
		line := "  " + dashed(f.Name)
		if v := valueName(f); v != "" {
			line += " " + v
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
	})
}

// flagError turns an error of package flag into a usage error that writes
// flag names as the help does.
func flagError(err error) error {
	msg := err.Error()
	for _, f := range []struct{ prefix, format string }{
		{"flag provided but not defined: -", "unknown flag %s"},
		{"flag needs an argument: -", "flag %s needs a value"},
	} {
		if name, ok := strings.CutPrefix(msg, f.prefix); ok {
			return usagef(f.format, dashed(name))
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			name, why, _ := strings.Cut(rest[i+len(" for flag -"):], ": ")
			return usagef("invalid value %s for flag %s: %s", rest[:i], dashed(name), why)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if i := strings.Index(rest, " for -"); i >= 0 {
			name, why, _ := strings.Cut(rest[i+len(" for -"):], ": ")
			return usagef("invalid boolean value %s for flag %s: %s", rest[:i], dashed(name), why)
		}
	}
	return &usageError{msg}
}

// upperFirst returns s with its first letter in upper case.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// infof writes a status line to stderr, unless -q or --json.
func (a *app) infof(format string, args ...any) {
	if !a.g.quiet && !a.g.json {
		// The arguments may hold a manifest's or a server's text: see safeText.
		fmt.Fprintf(a.stderr, "wxmaterial: %s\n", safeText(fmt.Sprintf(format, args...), ""))
	}
}

// notef writes a note to stderr, unless -q: a line of text, or with --json
// a JSON object {"note": ...} on one line.
func (a *app) notef(format string, args ...any) {
	if !a.g.quiet {
		a.stderrLine("note", fmt.Sprintf(format, args...))
	}
}

// warnf writes a warning to stderr, even with -q: a line of text, or with
// --json a JSON object {"warning": ...} on one line.
func (a *app) warnf(format string, args ...any) {
	a.stderrLine("warning", fmt.Sprintf(format, args...))
}

// stderrLine writes msg to stderr as "wxmaterial: <what>: msg", or with
// --json as {"<what>": msg}.
func (a *app) stderrLine(what, msg string) {
	if a.g.json {
		if b, err := marshalJSON(map[string]string{what: msg}, ""); err == nil {
			a.stderr.Write(b)
			return
		}
	}
	fmt.Fprintf(a.stderr, "wxmaterial: %s: %s\n", what, safeText(msg, ""))
}
