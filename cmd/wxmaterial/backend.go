package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// backend is what a command talks to: a client of one platform, and the
// embedded emulator behind it when there were no credentials.
type backend struct {
	platform material.Platform
	account  string           // the appid, or corpid/agentid: for messages and manifests
	svc      material.Service // the client; a material.Library on the Official Account, a material.URLUploader on WeCom
	fetch    *http.Client     // for links the platform hands out (video down_url), which need no token
	closers  []func() error
	// emulatorURL is the embedded emulator's address when the backend is
	// on it: the links it hands out stop working when the run ends.
	emulatorURL string
}

// Close stops what the backend started (not the embedded emulator, which
// the run stops when the command is done).
func (b *backend) Close() error {
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	return errors.Join(errs...)
}

// library returns the permanent library, or a usage error on WeCom.
func (b *backend) library(cmd string) (material.Library, error) {
	if lib, ok := b.svc.(material.Library); ok {
		return lib, nil
	}
	return nil, usagef("%s works on the Official Account permanent library; %s has none (use --platform oa)", cmd, b.platform)
}

// urlUploader returns the upload-by-URL capability, or a usage error on the
// Official Account.
func (b *backend) urlUploader(cmd string) (material.URLUploader, error) {
	if u, ok := b.svc.(material.URLUploader); ok {
		return u, nil
	}
	return nil, usagef("%s is a WeCom job; %s has no upload by URL (use --platform work)", cmd, b.platform)
}

// openBackend resolves the account of the command line and opens it.
func openBackend(ctx context.Context, a *app) (*backend, error) {
	acc, err := a.resolve()
	if err != nil {
		return nil, err
	}
	return a.open(ctx, acc)
}

// open builds the backend of acc. On the embedded emulator (started once
// per run, however many backends a command opens) an account without
// credentials is the first demo account of its platform.
func (a *app) open(ctx context.Context, acc account) (*backend, error) {
	b := &backend{platform: acc.platform, fetch: &http.Client{Transport: transport.DefaultTransport()}}
	if acc.embedded {
		why := "no credentials given"
		if acc.appID != "" {
			why = acc.appID + " is a demo account"
		}
		emb, err := a.embedded(why)
		if err != nil {
			return nil, err
		}
		b.emulatorURL = emb.url
		switch {
		case acc.platform == material.WeCom:
			acc.corpID, acc.agentID, acc.secret = emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret
			acc.baseURL = emb.url + emulator.WeComPrefix
		case acc.appID == "":
			acc.appID, acc.secret = emulator.DemoAppID, emulator.DemoAppSecret
			fallthrough
		default:
			acc.baseURL = emb.url + emulator.OfficialAccountPrefix
		}
	}
	b.account = acc.id()
	ts, closeTS, err := a.fleetTokens(acc)
	if err != nil {
		b.Close()
		return nil, err
	}
	if closeTS != nil {
		b.closers = append(b.closers, closeTS)
	}
	b.svc, err = newClient(acc, ts, a.verboseLog())
	if err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// dataDir returns the embedded emulator's state folder: --data-dir, or
// wxmaterial/emulator under the user's cache folder.
func (a *app) dataDir() (string, error) {
	if a.g.dataDir != "" {
		return a.g.dataDir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no folder for the embedded emulator's state (%v): give --data-dir", err)
	}
	return filepath.Join(cache, "wxmaterial", "emulator"), nil
}

// embeddedEmulator is the emulator a run serves on a loopback port when it
// has no credentials.
type embeddedEmulator struct {
	url  string // http://127.0.0.1:PORT
	dir  string // the state folder
	stop func() error
}

// embedded returns the run's embedded emulator, starting it the first
// time: it opens the state folder, adds and seeds the demo accounts, and
// serves them on a loopback port until the run ends. It says so on stderr,
// and why, when the state folder is new, and with -v.
func (a *app) embedded(why string) (*embeddedEmulator, error) {
	if a.emb != nil {
		return a.emb, nil
	}
	dir, err := a.dataDir()
	if err != nil {
		return nil, err
	}
	created := isNewFolder(dir)
	em, unlock, err := openEmulator(dir, a.log())
	if err != nil {
		return nil, err
	}
	if err := em.SeedDemo(); err != nil {
		em.Close()
		unlock()
		return nil, fmt.Errorf("embedded emulator: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		em.Close()
		unlock()
		return nil, fmt.Errorf("embedded emulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- em.Serve(ctx, l) }()
	if created || a.g.verbose {
		state := "state in " + dir
		if created {
			state = "state created in " + dir + "; this note shows again only with -v"
		}
		a.notef("%s: using the embedded emulator, with demo Official Accounts %s (a demo library) and %s (empty) and a demo WeCom agent (%s)",
			why, emulator.DemoAppID, emulator.DemoAppID2, state)
	}
	a.emb = &embeddedEmulator{url: "http://" + l.Addr().String(), dir: dir, stop: func() error {
		cancel()
		serveErr := <-done
		if errors.Is(serveErr, context.Canceled) || errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = nil
		}
		err := errors.Join(serveErr, em.Close())
		unlock()
		if err != nil {
			return fmt.Errorf("embedded emulator: %w", err)
		}
		return nil
	}}
	a.out.watch(a.emb.url)
	return a.emb, nil
}

// stopEmbedded stops the embedded emulator, if the run started it, and
// writes its state.
func (a *app) stopEmbedded() error {
	if a.emb == nil {
		return nil
	}
	return a.emb.stop()
}

// noteEmbeddedURLs says, when the run printed links served by the
// embedded emulator, that they stopped working when it stopped, and how to
// serve them again. (A backup's manifest says it in its links field.)
func (a *app) noteEmbeddedURLs() {
	if a.emb == nil || !a.out.seen {
		return
	}
	host := strings.TrimPrefix(a.emb.url, "http://")
	a.notef("the links printed above point at the embedded emulator on %s, which stopped when this command ended; to open them, serve the same state there: wxmaterial emulator serve --data-dir %s --addr %s",
		host, a.emb.dir, host)
}

// openEmulator opens an emulator keeping its state in dir, logging to log,
// after taking the folder's lock so that two runs never write the same
// state at once; extra options are added to the emulator's.
func openEmulator(dir string, log *slog.Logger, extra ...emulator.Option) (*emulator.Emulator, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("emulator state folder: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	em, err := emulator.Open(append([]emulator.Option{emulator.WithDir(dir), emulator.WithLogger(log)}, extra...)...)
	if err != nil {
		unlock()
		return nil, nil, fmt.Errorf("emulator state in %s: %w", dir, err)
	}
	return em, unlock, nil
}

// isNewFolder reports whether dir is missing or empty (its lock file
// aside): the embedded emulator has not kept state there yet.
func isNewFolder(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return isNotExist(err)
	}
	for _, e := range entries {
		if e.Name() != ".lock" {
			return false
		}
	}
	return true
}
