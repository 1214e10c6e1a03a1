package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

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
}

// Close stops what the backend started, the embedded emulator included.
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

// openBackend resolves the account and builds its client, starting the
// embedded emulator first when no credentials were given.
func openBackend(ctx context.Context, a *app) (*backend, error) {
	acc, err := a.resolve()
	if err != nil {
		return nil, err
	}
	b := &backend{platform: acc.platform, fetch: &http.Client{Transport: transport.DefaultTransport()}}
	if acc.embedded {
		base, stop, err := a.startEmbedded()
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, stop)
		if acc.platform == material.WeCom {
			acc.corpID, acc.agentID, acc.secret = emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret
			acc.baseURL = base + emulator.WorkPrefix
		} else {
			acc.appID, acc.secret = emulator.DemoAppID, emulator.DemoAppSecret
			acc.baseURL = base + emulator.OfficialAccountPrefix
		}
	}
	b.account = acc.id()
	ts, closeTS, err := a.fleetTokens(acc, a.logger())
	if err != nil {
		b.Close()
		return nil, err
	}
	if closeTS != nil {
		b.closers = append(b.closers, closeTS)
	}
	b.svc, err = newClient(acc, ts, a.logger())
	if err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// logger returns the logger of -v, or nil.
func (a *app) logger() *slog.Logger {
	if !a.g.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
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

// startEmbedded opens the emulator on the state folder, adds and seeds the
// demo accounts, and serves it on a loopback port. It returns the server's
// base URL and a function that stops it and writes the state.
func (a *app) startEmbedded() (baseURL string, stop func() error, err error) {
	dir, err := a.dataDir()
	if err != nil {
		return "", nil, err
	}
	em, unlock, err := openEmulator(dir, a.logger())
	if err != nil {
		return "", nil, err
	}
	if err := em.SeedDemo(); err != nil {
		em.Close()
		unlock()
		return "", nil, fmt.Errorf("embedded emulator: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		em.Close()
		unlock()
		return "", nil, fmt.Errorf("embedded emulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- em.Serve(ctx, l) }()
	a.infof("no credentials given: using the embedded emulator with its demo account (state in %s)", dir)
	return "http://" + l.Addr().String(), func() error {
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
	}, nil
}

// openEmulator opens an emulator keeping its state in dir, after taking the
// folder's lock so that two runs never write the same state at once.
func openEmulator(dir string, log *slog.Logger) (*emulator.Emulator, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("emulator state folder: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	opts := []emulator.Option{emulator.WithDir(dir)}
	if log != nil {
		opts = append(opts, emulator.WithLogger(log))
	}
	em, err := emulator.Open(opts...)
	if err != nil {
		unlock()
		return nil, nil, fmt.Errorf("emulator state in %s: %w", dir, err)
	}
	return em, unlock, nil
}

// closeQuietly closes c, for deferred closes of readers whose error does
// not matter.
func closeQuietly(c io.Closer) { _ = c.Close() }
