package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// serveInfo is what emulator serve prints once it listens.
type serveInfo struct {
	URL string `json:"url"`
	// Listen is the address listened on when it is every address
	// (0.0.0.0, [::]); URL then names the loopback address.
	Listen          string `json:"listen,omitempty"`
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
	WeCom struct {
		BaseURL string `json:"base_url"`
		CorpID  string `json:"corpid"`
		AgentID int64  `json:"agentid"`
		Secret  string `json:"secret"`
	} `json:"work"`
	DataDir string `json:"data_dir,omitempty"`
	// ControlURL is the control API's root, empty with --no-control.
	ControlURL string `json:"control_url,omitempty"`
	// Clock is "system", or "fake" when the control API can move it.
	Clock string `json:"clock"`
	// With --tls: the same port over HTTPS, the proxy to set as
	// HTTPS_PROXY, and the CA certificate's file (if written).
	HTTPSURL string `json:"https_url,omitempty"`
	ProxyURL string `json:"proxy_url,omitempty"`
	CACert   string `json:"ca_cert,omitempty"`
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
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free port); keep it on loopback unless --no-control")
	noControl := fs.Bool("no-control", false, "switch the control API (/_emulator/...) off, for an instance others share")
	accountsFile := fs.String("accounts", "", "add the accounts in `FILE` (JSON, or YAML if it ends in .yaml or .yml; see docs/emulator.md) besides the demo ones")
	clockFlag := fs.String("clock", "system", "`CLOCK`: system, or fake (starts now and moves only by POST /_emulator/clock), or an RFC 3339 time for a fake clock starting then")
	useTLS := fs.Bool("tls", false, "also serve HTTPS on the same port with a local CA (kept in --data-dir/tls, else made anew), and proxy CONNECT for the two platform hosts")
	controlHosts := fs.String("control-host", "", "`NAMES` (comma-separated) the control API answers in the Host header besides loopback ones and the --addr host, such as the emulator's name in a CI network")
	caCert := fs.String("ca-cert", "", "with --tls, write the CA certificate (PEM) to `FILE` for clients to trust")
	rest, err := a.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if *caCert != "" && !*useTLS {
		return usagef("--ca-cert needs --tls")
	}
	clock, err := parseClock(*clockFlag)
	if err != nil {
		return err
	}
	var accounts emulator.Accounts
	if *accountsFile != "" {
		if accounts, err = readAccounts(*accountsFile); err != nil {
			return err
		}
	}

	opts := []emulator.Option{}
	if clock != nil {
		opts = append(opts, emulator.WithClock(clock))
	}
	var em *emulator.Emulator
	unlock := func() {}
	if a.g.dataDir != "" {
		if em, unlock, err = openEmulator(a.g.dataDir, a.log(), opts...); err != nil {
			return err
		}
	} else {
		if em, err = emulator.Open(append(opts, emulator.WithLogger(a.log()))...); err != nil {
			return err
		}
	}
	defer unlock()
	// What a fresh start holds, and what a reset puts back.
	setup := func(em *emulator.Emulator) error {
		if err := em.SeedDemo(); err != nil {
			return err
		}
		return em.AddAccounts(accounts)
	}
	if err := setup(em); err != nil {
		em.Close()
		return err
	}
	srv := &emulator.Server{Emulator: em, Control: !*noControl, OnReset: setup, ControlHosts: controlHostList(*addr, *controlHosts)}
	if *useTLS {
		if srv.CA, err = openServeCA(a.g.dataDir); err == nil && *caCert != "" {
			err = writeCACert(*caCert, srv.CA)
		}
		if err != nil {
			em.Close()
			return err
		}
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		em.Close()
		return err
	}

	info := describeServe(l.Addr().String(), srv, clock != nil)
	info.DataDir = a.g.dataDir
	switch {
	case *caCert != "":
		info.CACert = *caCert
	case srv.CA != nil && a.g.dataDir != "":
		info.CACert = filepath.Join(a.g.dataDir, "tls", emulator.CACertFile)
	}
	a.emit(info, func(w io.Writer) { printServe(w, info) })
	if srv.Control && !isLoopback(l.Addr()) {
		a.warnf("the control API (reset, faults, the request log) is open to anyone who can reach %s; use --no-control for a shared instance", l.Addr())
	}
	a.notef("emulator running; stop it with Ctrl-C (SIGINT) or SIGTERM")
	serveErr := srv.Serve(ctx, l)
	if errors.Is(serveErr, context.Canceled) || errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	err = errors.Join(serveErr, em.Close())
	if err == nil {
		a.notef("emulator stopped")
	}
	return err
}

// parseClock reads --clock: nil for the system clock, else a fake clock.
func parseClock(s string) (*emulator.FakeClock, error) {
	switch s {
	case "system", "":
		return nil, nil
	case "fake":
		return emulator.NewFakeClock(time.Now().UTC().Truncate(time.Second)), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, usagef("--clock %q: want system, fake, or an RFC 3339 time such as 2030-01-02T15:04:05+08:00", s)
	}
	if err := emulator.CheckClockTime(t); err != nil {
		return nil, usagef("--clock %q: %s", s, strings.TrimPrefix(err.Error(), "emulator: "))
	}
	return emulator.NewFakeClock(t), nil
}

// readAccounts reads an --accounts file: YAML when its name ends in .yaml
// or .yml, JSON otherwise.
func readAccounts(path string) (emulator.Accounts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return emulator.Accounts{}, fmt.Errorf("--accounts: %w", err)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		if data, err = yamlToJSON(data); err != nil {
			return emulator.Accounts{}, fmt.Errorf("--accounts %s: %w", path, err)
		}
	}
	acc, err := emulator.ParseAccounts(data)
	if err != nil {
		return emulator.Accounts{}, fmt.Errorf("--accounts %s: %s", path, strings.TrimPrefix(err.Error(), "emulator: accounts: "))
	}
	return acc, nil
}

// yamlToJSON converts a YAML document to JSON, so that one strict JSON
// decoder checks both forms of the accounts file.
func yamlToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not an accounts file (keys must be strings): %w", err)
	}
	return b, nil
}

// openServeCA returns the CA of --tls: kept in DATA-DIR/tls, or a new one
// held in memory.
func openServeCA(dataDir string) (*emulator.CA, error) {
	if dataDir == "" {
		return emulator.NewCA()
	}
	return emulator.OpenCA(filepath.Join(dataDir, "tls"))
}

// writeCACert writes the CA certificate to path, replacing it atomically.
func writeCACert(path string, ca *emulator.CA) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ca-*.pem")
	if err != nil {
		return fmt.Errorf("--ca-cert: %w", err)
	}
	_, err = tmp.Write(ca.CertPEM())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--ca-cert: %w", err)
	}
	return nil
}

// describeServe fills what serve prints for a server listening on addr.
func describeServe(addr string, srv *emulator.Server, fakeClock bool) serveInfo {
	var info serveInfo
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			// Listening on every address: the URLs shown are this
			// machine's loopback one, which the control API accepts
			// (others reach it by a name given with --control-host).
			// IPv4's, also for [::]: Go listens on "tcp" wildcards in
			// both families (IPV6_V6ONLY off), and 127.0.0.1 exists where
			// ::1 may not.
			info.Listen = addr
			addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	info.URL = "http://" + addr
	info.OfficialAccount.BaseURL = info.URL + emulator.OfficialAccountPrefix
	info.OfficialAccount.AppID, info.OfficialAccount.Secret = emulator.DemoAppID, emulator.DemoAppSecret
	info.OfficialAccount2.BaseURL = info.OfficialAccount.BaseURL
	info.OfficialAccount2.AppID, info.OfficialAccount2.Secret = emulator.DemoAppID2, emulator.DemoAppSecret2
	info.WeCom.BaseURL = info.URL + emulator.WeComPrefix
	info.WeCom.CorpID, info.WeCom.AgentID, info.WeCom.Secret = emulator.DemoCorpID, emulator.DemoAgentID, emulator.DemoAgentSecret
	if srv.Control {
		info.ControlURL = info.URL + emulator.ControlPrefix
	}
	info.Clock = "system"
	if fakeClock {
		info.Clock = "fake"
	}
	if srv.CA != nil {
		info.HTTPSURL = "https://" + addr
		if host, port, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host).IsLoopback() {
			info.HTTPSURL = "https://localhost:" + port
		}
		info.ProxyURL = info.URL
	}
	return info
}

func printServe(w io.Writer, info serveInfo) {
	if info.Listen != "" {
		fmt.Fprintf(w, "wxmaterial emulator serving %s (listening on every address, %s)\n", info.URL, info.Listen)
	} else {
		fmt.Fprintf(w, "wxmaterial emulator serving %s\n", info.URL)
	}
	fmt.Fprintf(w, "  Official Account: base URL %s  appid %s  secret %s\n", info.OfficialAccount.BaseURL, info.OfficialAccount.AppID, info.OfficialAccount.Secret)
	fmt.Fprintf(w, "  Official Account: base URL %s  appid %s  secret %s  (empty library)\n", info.OfficialAccount2.BaseURL, info.OfficialAccount2.AppID, info.OfficialAccount2.Secret)
	fmt.Fprintf(w, "  WeCom:            base URL %s  corpid %s  agentid %d  secret %s\n", info.WeCom.BaseURL, info.WeCom.CorpID, info.WeCom.AgentID, info.WeCom.Secret)
	fmt.Fprintf(w, "  (demo credentials, valid only here) Try:\n    WECHAT_APPID=%s WECHAT_SECRET=%s wxmaterial --base-url %s count\n",
		info.OfficialAccount.AppID, info.OfficialAccount.Secret, info.OfficialAccount.BaseURL)
	if info.ControlURL != "" {
		fmt.Fprintf(w, "  Control API:      %s  (try: curl %shealth; see docs/emulator.md)\n", info.ControlURL, info.ControlURL)
	}
	if info.Clock == "fake" {
		fmt.Fprintln(w, "  Clock:            fake: it moves only with POST /_emulator/clock")
	}
	if info.HTTPSURL != "" {
		fmt.Fprintf(w, "  HTTPS:            %s (same port)\n", info.HTTPSURL)
		fmt.Fprintf(w, "  Proxy:            HTTPS_PROXY=%s for https://%s and https://%s\n", info.ProxyURL, emulator.OfficialAccountHost, emulator.WeComHost)
		if info.CACert != "" {
			fmt.Fprintf(w, "  CA certificate:   %s (trust it in the programs under test only)\n", info.CACert)
		} else {
			fmt.Fprintf(w, "  CA certificate:   GET %s/_emulator/ca.pem, or give --ca-cert FILE\n", info.URL)
		}
	}
	if info.DataDir == "" {
		fmt.Fprintln(w, "  State is in memory: it is lost when the emulator stops (--data-dir keeps it).")
	}
}

// isLoopback reports whether a listens on a loopback address only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// controlHostList is the Server's ControlHosts: those of --control-host,
// and the --addr host unless it is empty or an unspecified address.
func controlHostList(addr, flag string) []string {
	var hosts []string
	for h := range strings.SplitSeq(flag, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	return hosts
}
