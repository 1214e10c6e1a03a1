// Command wxmaterial manages the media ("素材") of a WeChat Official Account
// (公众号) or a WeCom (企业微信) app from the command line: upload, download,
// list, count and delete media, run WeCom upload-by-URL jobs, back up a whole
// Official Account permanent library to a folder and restore it into the
// same or another account, and serve the emulator for other programs' tests.
//
// Usage:
//
//	wxmaterial [global flags] <command> [flags] [arguments]
//
// The commands:
//
//	upload FILE...        upload temporary media (--permanent: the library; --image-url: an image for articles)
//	download ID           download media by id (-o PATH, a folder or a file; "-" for stdout, which then holds only the file)
//	list                  list the permanent library (--kind image|voice|video|news)
//	count                 count the permanent library by kind
//	delete ID...          delete permanent media
//	upload-url            submit a WeCom upload-by-URL job and wait for it (--url, --name, --kind, --md5; --job ID)
//	backup DIR            back up the whole permanent library to DIR (resumable; keeps what the library lost)
//	restore DIR           add to an account what it lacks of a backup, mapping old ids to new ones
//	emulator serve        serve the emulator of both platforms (--addr)
//	version               print the version of this build (also --version)
//
// Global flags (also accepted after the command name):
//
//	--platform oa|work    the platform (default: oa, or work when only WeCom credentials are given)
//	--appid, --secret     Official Account credentials (or WECHAT_APPID, WECHAT_SECRET)
//	--corpid, --agentid   WeCom credentials, with --secret (or WECOM_CORPID, WECOM_AGENTID, WECOM_SECRET)
//	--plain-token         fetch Official Account tokens with cgi-bin/token, not the default cgi-bin/stable_token
//	                      (risky: each fetch replaces the token the account's other servers use)
//	--base-url URL        send API calls to URL instead of the platform's host (e.g. an emulator)
//	--data-dir DIR        where the embedded emulator keeps its state
//	--json                print results as JSON on stdout, and errors as JSON on stderr
//	-v                    log each HTTP call to stderr (never a token, secret or query string)
//	-q                    no status lines, notes or progress bars: results, warnings and errors only
//
// With no credentials at all, wxmaterial starts the embedded emulator on a
// loopback port, with two demo Official Accounts (the first with a small
// demo library, the second, appid wxfedcba9876543210, empty) and a demo
// WeCom agent: every command works offline. A demo appid (--appid or
// WECHAT_APPID) without --base-url selects that demo account of the
// embedded emulator, with or without a secret and whatever HTTPS_PROXY
// says: to reach a served emulator, give --base-url or an appid of your own. The emulator keeps its state
// under the user's cache folder (wxmaterial/emulator), or in --data-dir, so
// what one run uploads the next can list, download or back up. It says it
// is in use when it creates its state, and with -v. The links it hands out
// (image URLs, video links) point at its port, which closes when the
// command ends: the command says so, and how to serve them again.
//
// Secrets are read from flags or the environment and never printed.
//
// Exit codes: 0 success, 1 failure (the platform refused, a file is missing, too
// large or of the wrong format, a network error), 2 usage (an unknown command,
// flag or kind, missing arguments, a command the platform lacks). With --json
// an error is a JSON object on stderr: {"command", "message", "errcode",
// "http_status", "outcome_unknown", "usage", "exit_code"}, the empty ones
// left out; warnings and notes are objects too ({"warning": ...},
// {"note": ...}), one per line, and status lines are left out.
//
// Progress bars are drawn on stderr when it is a terminal; otherwise plain
// lines are written.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := newApp(os.Stdin, os.Stdout, os.Stderr, os.Getenv).run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
