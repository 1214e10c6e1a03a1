package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// served is a running `wxmaterial emulator serve`.
type served struct {
	info   serveInfo
	cmd    *exec.Cmd
	stderr bytes.Buffer // read only after the process ended
}

// startServe runs `wxmaterial emulator serve --addr 127.0.0.1:0 --json`
// with args, reads what it prints, and stops it with SIGINT when the test
// ends, checking that it stopped cleanly.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	s := &served{}
	s.cmd = exec.Command(binary, append([]string{"emulator", "serve", "--addr", "127.0.0.1:0", "--json"}, args...)...)
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(stdout).Decode(&s.info); err != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		t.Fatalf("reading what serve printed: %v (stderr: %s)", err, s.stderr.String())
	}
	t.Cleanup(func() {
		if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Error(err)
		}
		if err := s.cmd.Wait(); err != nil || !strings.Contains(s.stderr.String(), "emulator stopped") {
			t.Errorf("serve ended with %v; stderr:\n%s", err, s.stderr.String())
		}
	})
	return s
}

// control calls the served control API and decodes the reply into out.
func (s *served) control(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.info.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: HTTP %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

const accountsYAML = `# accounts for the tests, besides the demo ones
official_accounts:
  - appid: wx-file-account
    secret: file-secret
work_corps:
  - corpid: ww-file-corp
    agents:
      - agentid: 1000009
        secret: file-agent-secret
`

// TestServeControl: accounts from a YAML file, a clock set by flag and
// moved over HTTP, and a reset that puts back the file's and the demo
// accounts and the demo library.
func TestServeControl(t *testing.T) {
	t.Parallel()
	accounts := writeFile(t, "accounts.yaml", []byte(accountsYAML))
	s := startServe(t, "--accounts", accounts, "--clock", "2030-01-01T08:00:00+08:00")
	if s.info.ControlURL != s.info.URL+"/_emulator/" || s.info.Clock != "fake" || s.info.HTTPSURL != "" {
		t.Fatalf("serve printed %+v", s.info)
	}
	var health struct {
		Status string
		Now    time.Time
	}
	s.control(t, "GET", "/_emulator/health", "", &health)
	if health.Status != "ok" || !health.Now.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("health: %+v", health)
	}
	tokenURL := s.info.OfficialAccount.BaseURL + "/cgi-bin/token?grant_type=client_credential&appid=wx-file-account&secret=file-secret"
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	getJSONTo(t, tokenURL, &tok)
	if tok.AccessToken == "" {
		t.Fatal("no token for the account of the YAML file")
	}

	var demoMedia struct{ Count int }
	s.control(t, "GET", "/_emulator/media?owner="+emulator.DemoAppID, "", &demoMedia)
	if st := s.control(t, "POST", "/_emulator/accounts", `{"official_accounts":[{"appid":"wx-later","secret":"later"}]}`, nil); st != http.StatusOK {
		t.Fatalf("adding an account: HTTP %d", st)
	}
	var clock struct{ Now time.Time }
	s.control(t, "POST", "/_emulator/clock", `{"advance":"2h"}`, &clock)
	var expired struct{ Errcode int }
	getJSONTo(t, s.info.OfficialAccount.BaseURL+"/cgi-bin/material/get_materialcount?access_token="+url.QueryEscape(tok.AccessToken), &expired)
	if expired.Errcode != 42001 {
		t.Errorf("a token 2 h old answered errcode %d, want 42001", expired.Errcode)
	}

	var reset struct{ Accounts emulator.Accounts }
	s.control(t, "POST", "/_emulator/reset", "", &reset)
	var ids []string
	for _, oa := range reset.Accounts.OfficialAccounts {
		ids = append(ids, oa.AppID)
	}
	for _, c := range reset.Accounts.WeComCorps {
		ids = append(ids, c.CorpID)
	}
	joined := strings.Join(ids, " ")
	if !strings.Contains(joined, "wx-file-account") || !strings.Contains(joined, "ww-file-corp") ||
		!strings.Contains(joined, emulator.DemoAppID) || strings.Contains(joined, "wx-later") {
		t.Errorf("accounts after reset: %s", joined)
	}
	var after struct{ Count int }
	s.control(t, "GET", "/_emulator/media?owner="+emulator.DemoAppID, "", &after)
	if after.Count != demoMedia.Count || after.Count == 0 {
		t.Errorf("demo library after reset: %d items, want %d", after.Count, demoMedia.Count)
	}
}

func getJSONTo(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func TestServeNoControl(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--no-control")
	if s.info.ControlURL != "" {
		t.Errorf("serve printed a control URL with --no-control: %q", s.info.ControlURL)
	}
	var health struct{ Status string }
	resp, err := http.Get(s.info.URL + "/_emulator/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/_emulator/health with --no-control: HTTP %d %+v", resp.StatusCode, health)
	}
}

func TestServeBadInput(t *testing.T) {
	t.Parallel()
	badJSON := writeFile(t, "accounts.json", []byte(`{"official_accounts":[{"appid":"wx1"}]}`))
	badYAML := writeFile(t, "accounts.yml", []byte("official_accounts:\n  - appid: wx1\n    secret: s\n    colour: red\n"))
	brokenYAML := writeFile(t, "broken.yaml", []byte("official_accounts: [\n"))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad clock", []string{"--clock", "tomorrow"}, exitUsage, `--clock "tomorrow": want system, fake, or an RFC 3339 time`},
		{"clock past 9000", []string{"--clock", "9999-12-31T23:00:00Z"}, exitUsage, `--clock "9999-12-31T23:00:00Z": the clock cannot read 9999-12-31T23:00:00Z: it reads from 1970-01-01T00:00:00Z to 9000-01-01T00:00:00Z`},
		{"clock before 1970", []string{"--clock", "1969-12-31T23:59:59Z"}, exitUsage, `the clock cannot read 1969-12-31T23:59:59Z`},
		{"ca-cert without tls", []string{"--ca-cert", "ca.pem"}, exitUsage, "--ca-cert needs --tls"},
		{"missing accounts file", []string{"--accounts", "nowhere.json"}, exitFailure, "--accounts: open nowhere.json"},
		{"account without secret", []string{"--accounts", badJSON}, exitFailure, "official_accounts[0] (wx1): secret is required"},
		{"unknown YAML key", []string{"--accounts", badYAML}, exitFailure, `unknown field "colour"`},
		{"broken YAML", []string{"--accounts", brokenYAML}, exitFailure, "yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli(t, nil, append([]string{"emulator", "serve", "--addr", "127.0.0.1:0"}, tc.args...)...).fails(t, tc.code, tc.want)
		})
	}
}

// TestServeProxyOfficialAccountClient: the officialaccount client, which
// knows only https://api.weixin.qq.com, works against `emulator serve
// --tls` through its proxy with the CA trusted, and fails the handshake
// without it. The CA is kept in --data-dir across runs.
func TestServeProxyOfficialAccountClient(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	caFile := filepath.Join(t.TempDir(), "emulator-ca.pem")
	s := startServe(t, "--tls", "--ca-cert", caFile, "--data-dir", dataDir)
	if s.info.ProxyURL != s.info.URL || s.info.CACert != caFile || !strings.HasPrefix(s.info.HTTPSURL, "https://localhost:") {
		t.Fatalf("serve printed %+v", s.info)
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join(dataDir, "tls", emulator.CACertFile))
	if err != nil || !bytes.Equal(kept, pemBytes) {
		t.Fatalf("the CA in the data dir (%v) is not the one written to --ca-cert", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("--ca-cert holds no certificate")
	}
	proxy, err := url.Parse(s.info.ProxyURL)
	if err != nil {
		t.Fatal(err)
	}
	client := func(roots *x509.CertPool) *officialaccount.Client {
		hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: roots}}}
		c, err := officialaccount.New(emulator.DemoAppID, emulator.DemoAppSecret, officialaccount.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := t.Context()
	c := client(roots)
	counts, err := c.Count(ctx)
	if err != nil || counts.Image == 0 {
		t.Fatalf("Count through the proxy: %+v, %v", counts, err)
	}
	img := pngFile(t)
	m, err := c.Upload(ctx, material.KindImage, material.FromBytes("dot.png", img))
	if err != nil {
		t.Fatalf("Upload through the proxy: %v", err)
	}
	content, err := c.Download(ctx, m.ID)
	if err != nil {
		t.Fatalf("Download through the proxy: %v", err)
	}
	got, err := io.ReadAll(content.Body)
	content.Body.Close()
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("Download through the proxy: %d bytes, %v; want the %d uploaded", len(got), err, len(img))
	}
	var reqs struct{ Requests []emulator.Request }
	s.control(t, "POST", "/_emulator/settle", "", nil)
	s.control(t, "GET", "/_emulator/requests?path=/cgi-bin/media/upload", "", &reqs)
	if len(reqs.Requests) != 1 || reqs.Requests[0].Host != emulator.OfficialAccountHost {
		t.Errorf("the upload as logged: %+v", reqs.Requests)
	}

	// Without the CA, the handshake fails and the client says so.
	_, err = client(nil).Count(ctx)
	var unknown x509.UnknownAuthorityError
	var verr *tls.CertificateVerificationError
	if err == nil || (!errors.As(err, &unknown) && !errors.As(err, &verr)) {
		t.Fatalf("Count without trusting the CA: %v, want a certificate verification error", err)
	}
}

// TestServeKeepsCA: a second serve on the same data dir serves with the
// same CA.
func TestServeKeepsCA(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	first := filepath.Join(t.TempDir(), "first.pem")
	second := filepath.Join(t.TempDir(), "second.pem")
	for _, f := range []string{first, second} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		cmd := exec.CommandContext(ctx, binary, "emulator", "serve", "--addr", "127.0.0.1:0", "--json", "--tls", "--ca-cert", f, "--data-dir", dataDir)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var info serveInfo
		if err := json.NewDecoder(stdout).Decode(&info); err != nil {
			t.Fatal(err)
		}
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the second run on the same data dir made a new CA")
	}
}

// pngFile returns a small PNG.
func pngFile(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 3))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestServeControlGuard: the served control API refuses a web page's
// requests (a foreign Host or Origin, a simple Content-Type) and answers
// the names --control-host adds.
func TestServeControlGuard(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--clock", "fake", "--control-host", "emulator.ci, other.ci")
	tests := []struct {
		name, method, path string
		host, origin, ct   string
		status             int
	}{
		{name: "a --control-host name", method: "GET", path: "/_emulator/health", host: "emulator.ci:8080", status: http.StatusOK},
		{name: "the second one", method: "GET", path: "/_emulator/health", host: "other.ci", status: http.StatusOK},
		{name: "a rebound name", method: "GET", path: "/_emulator/requests", host: "evil.example", status: http.StatusForbidden},
		{name: "a page's fault", method: "POST", path: "/_emulator/faults", origin: "http://evil.example", ct: "text/plain", status: http.StatusForbidden},
		{name: "a simple Content-Type", method: "POST", path: "/_emulator/reset", ct: "text/plain", status: http.StatusUnsupportedMediaType},
		{name: "the platform under any Host", method: "GET", path: "/oa/cgi-bin/token", host: "evil.example", status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.info.URL+tt.path, strings.NewReader(`{"action":"status","status":500,"times":-1}`))
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s: HTTP %d %s, want %d", tt.method, tt.path, resp.StatusCode, body, tt.status)
			}
		})
	}
	var faults struct{ Faults []any }
	s.control(t, "GET", "/_emulator/faults", "", &faults)
	if len(faults.Faults) != 0 {
		t.Errorf("a refused request injected a fault: %+v", faults.Faults)
	}
}

// TestServeOnEveryAddress: serve on 0.0.0.0 shows loopback URLs, and the
// control URL it shows answers (the control API refuses Hosts that are not
// loopback or named with --control-host, and 0.0.0.0 is neither).
func TestServeOnEveryAddress(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--addr", "0.0.0.0:0")
	if s.info.Listen == "" || !strings.HasPrefix(s.info.URL, "http://127.0.0.1:") || !strings.HasPrefix(s.info.ControlURL, s.info.URL) {
		t.Fatalf("serve printed url %q, control %q, listen %q; want loopback URLs and the address listened on", s.info.URL, s.info.ControlURL, s.info.Listen)
	}
	var health map[string]any
	if code := s.control(t, http.MethodGet, "/_emulator/health", "", &health); code != http.StatusOK || health["status"] != "ok" {
		t.Errorf("GET the control URL serve printed: HTTP %d, %v", code, health)
	}
}
