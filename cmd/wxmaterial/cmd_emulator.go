package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// serveInfo is what emulator serve prints once it listens.
type serveInfo struct {
	URL             string `json:"url"`
	OfficialAccount struct {
		BaseURL string `json:"base_url"`
		AppID   string `json:"appid"`
		Secret  string `json:"secret"`
	} `json:"officialaccount"`
	// OfficialAccount2 is the second demo account, its library empty.
	OfficialAccount2 struct {
		BaseURL string `json:"base_url"`
		AppID   string `json:"appid"`
		Secret  string `json:"secret"`
	} `json:"officialaccount2"`
	Work struct {
		BaseURL string `json:"base_url"`
		CorpID  string `json:"corpid"`
		AgentID int64  `json:"agentid"`
		Secret  string `json:"secret"`
	} `json:"work"`
	DataDir string `json:"data_dir,omitempty"`
}

// runEmulator is "wxmaterial emulator serve".
func runEmulator(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		args = append([]string{"serve"}, args...)
	}
	if len(args) == 0 || args[0] != "serve" {
		return usagef("the emulator command has one subcommand: serve")
	}
	fs := a.flags("emulator")
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free port)")
	rest, err := a.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	var em *emulator.Emulator
	unlock := func() {}
	if a.g.dataDir != "" {
		if em, unlock, err = openEmulator(a.g.dataDir, a.logger()); err != nil {
			return err
		}
	} else {
		opts := []emulator.Option{}
		if log := a.logger(); log != nil {
			opts = append(opts, emulator.WithLogger(log))
		}
		if em, err = emulator.Open(opts...); err != nil {
			return err
		}
	}
	defer unlock()
	if err := em.SeedDemo(); err != nil {
		em.Close()
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		em.Close()
		return err
	}
	var info serveInfo
	info.URL = "http://" + l.Addr().String()
	info.OfficialAccount.BaseURL = info.URL + emulator.OfficialAccountPrefix
	info.OfficialAccount.AppID, info.OfficialAccount.Secret = emulator.DemoAppID, emulator.DemoAppSecret
	info.OfficialAccount2.BaseURL = info.OfficialAccount.BaseURL
	info.OfficialAccount2.AppID, info.OfficialAccount2.Secret = emulator.DemoAppID2, emulator.DemoAppSecret2
	info.Work.BaseURL = info.URL + emulator.WorkPrefix
	info.Work.CorpID, info.Work.AgentID, info.Work.Secret = emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret
	info.DataDir = a.g.dataDir
	a.emit(info, func(w io.Writer) {
		fmt.Fprintf(w, "wxmaterial emulator serving %s\n", info.URL)
		fmt.Fprintf(w, "  Official Account: base URL %s  appid %s  secret %s\n", info.OfficialAccount.BaseURL, info.OfficialAccount.AppID, info.OfficialAccount.Secret)
		fmt.Fprintf(w, "  Official Account: base URL %s  appid %s  secret %s  (empty library)\n", info.OfficialAccount2.BaseURL, info.OfficialAccount2.AppID, info.OfficialAccount2.Secret)
		fmt.Fprintf(w, "  WeCom:            base URL %s  corpid %s  agentid %d  secret %s\n", info.Work.BaseURL, info.Work.CorpID, info.Work.AgentID, info.Work.Secret)
		fmt.Fprintf(w, "  (demo credentials, valid only here) Try:\n    WECHAT_APPID=%s WECHAT_SECRET=%s wxmaterial --base-url %s count\n",
			info.OfficialAccount.AppID, info.OfficialAccount.Secret, info.OfficialAccount.BaseURL)
		if info.DataDir == "" {
			fmt.Fprintln(w, "  State is in memory: it is lost when the emulator stops (--data-dir keeps it).")
		}
	})
	a.notef("emulator running; stop it with Ctrl-C (SIGINT) or SIGTERM")
	serveErr := em.Serve(ctx, l)
	if errors.Is(serveErr, context.Canceled) || errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	err = errors.Join(serveErr, em.Close())
	if err == nil {
		a.notef("emulator stopped")
	}
	return err
}
