// Command wxmaterial manages the media ("素材") of a WeChat Official Account
// (公众号) or a WeCom (企业微信) app from the command line: upload, download,
// list, count and delete media, run WeCom upload-by-URL jobs, back up a whole
// Official Account permanent library to a folder and restore it into another
// account, and serve the emulator for other programs' tests.
//
// Usage:
//
//	wxmaterial [global flags] <command> [flags] [arguments]
//
// The commands:
//
//	upload FILE...        upload temporary media (--permanent: the library; --image-url: an image for articles)
//	download ID           download media by id (-o PATH, a folder or a file; "-" for stdout)
//	list                  list the permanent library (--kind image|voice|video|news)
//	count                 count the permanent library by kind
//	delete ID...          delete permanent media
//	upload-url            submit a WeCom upload-by-URL job and wait for it (--url, --name, --kind, --md5)
//	backup DIR            back up the whole permanent library to DIR (resumable)
//	restore DIR           upload a backup into an account, mapping old ids to new ones
//	emulator serve        serve the emulator of both platforms (--addr)
//
// Global flags (also accepted after the command name):
//
//	--platform oa|work    the platform (default: oa, or work when only WeCom credentials are given)
//	--appid, --secret     Official Account credentials (or WECHAT_APPID, WECHAT_SECRET)
//	--corpid, --agentid   WeCom credentials, with --secret (or WECOM_CORPID, WECOM_AGENTID, WECOM_SECRET)
//	--stable-token        fetch Official Account tokens with cgi-bin/stable_token
//	--base-url URL        send API calls to URL instead of the platform's host (e.g. an emulator)
//	--data-dir DIR        where the embedded emulator keeps its state
//	--json                print results as JSON, for scripts
//	-v                    log each HTTP call to stderr (never a token, secret or query string)
//
// With no credentials at all, wxmaterial starts the embedded emulator on a
// loopback port, with a demo Official Account and WeCom agent and a small demo
// library, and says so on stderr: every command works offline. The emulator
// keeps its state under the user's cache folder (wxmaterial/emulator), or in
// --data-dir, so what one run uploads the next can list, download or back up.
//
// Secrets are read from flags or the environment and never printed.
//
// Exit codes: 0 success, 1 failure (the platform refused, a file is missing, too
// large or of the wrong format, a network error), 2 usage (an unknown command,
// flag or kind, missing arguments, a command the platform lacks).
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
