package emulator_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// tlsServer serves an emulator with the test accounts through a Server
// with a CA (HTTPS, proxy mode, control API) on a loopback port.
type tlsServer struct {
	e    *emulator.Emulator
	ca   *emulator.CA
	addr string // host:port
}

func startTLSServer(t *testing.T) *tlsServer {
	t.Helper()
	e := emulator.New(emulator.WithClock(emulator.NewFakeClock(epoch)))
	must(t, e.AddOfficialAccount(appID, appSecret))
	must(t, e.AddWeComAgent(corpID, agentID, agentSecret))
	ca, err := emulator.NewCA()
	must(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&emulator.Server{Emulator: e, Control: true, CA: ca}).Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		must(t, e.Close())
	})
	return &tlsServer{e: e, ca: ca, addr: l.Addr().String()}
}

// proxyClient is a client that knows only the platforms' real URLs and
// goes through the server as its HTTPS proxy, trusting roots.
func (s *tlsServer) proxyClient(roots *x509.CertPool) *http.Client {
	proxy := &url.URL{Scheme: "http", Host: s.addr}
	return &http.Client{Transport: &http.Transport{
		Proxy:             http.ProxyURL(proxy),
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		DisableKeepAlives: true,
	}}
}

func getJSON(t *testing.T, c *http.Client, u string) map[string]any {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var o map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v", u, resp.StatusCode, err)
	}
	return o
}

// TestProxyReachesEmulator: a client that knows only
// https://api.weixin.qq.com and https://qyapi.weixin.qq.com reaches the
// emulator through the proxy, trusting the CA.
func TestProxyReachesEmulator(t *testing.T) {
	s := startTLSServer(t)
	c := s.proxyClient(s.ca.CertPool())

	oa := getJSON(t, c, "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret="+appSecret)
	tok, _ := oa["access_token"].(string)
	if tok == "" {
		t.Fatalf("OA token through the proxy: %v", oa)
	}
	counts := getJSON(t, c, "https://api.weixin.qq.com/cgi-bin/material/get_materialcount?access_token="+tok)
	if _, ok := counts["image_count"]; !ok {
		t.Errorf("get_materialcount through the proxy: %v", counts)
	}
	work := getJSON(t, c, "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret)
	if work["errcode"] != float64(0) || work["access_token"] == "" {
		t.Errorf("WeCom token through the proxy: %v", work)
	}

	must(t, s.e.Settle(t.Context()))
	var hosts []string
	for _, r := range s.e.Requests() {
		hosts = append(hosts, string(r.Platform)+" "+r.Host+" "+r.Path)
	}
	want := []string{
		"oa api.weixin.qq.com /cgi-bin/token",
		"oa api.weixin.qq.com /cgi-bin/material/get_materialcount",
		"work qyapi.weixin.qq.com /cgi-bin/gettoken",
	}
	if strings.Join(hosts, "\n") != strings.Join(want, "\n") {
		t.Errorf("request log:\n%s\nwant:\n%s", strings.Join(hosts, "\n"), strings.Join(want, "\n"))
	}

	// Media URLs handed out through the tunnel are https URLs of the host.
	png := pngBytes(t, 2, 2)
	body, ct := multipartBody(t, file("a.png", png))
	resp, err := c.Post("https://api.weixin.qq.com/cgi-bin/material/add_material?type=image&access_token="+tok, ct, bytes.NewReader(body))
	must(t, err)
	var added struct{ URL string }
	must(t, json.NewDecoder(resp.Body).Decode(&added))
	resp.Body.Close()
	if !strings.HasPrefix(added.URL, "https://api.weixin.qq.com/_media/") {
		t.Fatalf("image url through the proxy: %q", added.URL)
	}
	resp, err = c.Get(added.URL)
	must(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, png) {
		t.Errorf("fetching %s: %d bytes, want %d", added.URL, len(got), len(png))
	}
}

// TestProxyUntrustedCAFails: a client that does not trust the CA fails the
// TLS handshake, through the proxy and directly.
func TestProxyUntrustedCAFails(t *testing.T) {
	s := startTLSServer(t)
	other, err := emulator.NewCA()
	must(t, err)
	for name, roots := range map[string]*x509.CertPool{"system roots": nil, "another CA": other.CertPool()} {
		t.Run(name, func(t *testing.T) {
			_, err := s.proxyClient(roots).Get("https://api.weixin.qq.com/cgi-bin/token")
			var unknown x509.UnknownAuthorityError
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &unknown) && !errors.As(err, &verr) {
				t.Fatalf("through the proxy without trusting the CA: err = %v, want a certificate verification error", err)
			}
			direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
			if _, err := direct.Get("https://" + s.addr + "/oa/cgi-bin/token"); !errors.As(err, &unknown) && !errors.As(err, &verr) {
				t.Fatalf("directly without trusting the CA: err = %v, want a certificate verification error", err)
			}
		})
	}
	must(t, s.e.Settle(t.Context()))
	if n := len(s.e.Requests()); n != 0 {
		t.Errorf("%d requests reached the emulator over failed handshakes", n)
	}
}

// TestProxyRefusesOtherPorts: a CONNECT for a platform host on any port
// but 443 (or on none) is refused, as other hosts are; :443 is served.
func TestProxyRefusesOtherPorts(t *testing.T) {
	s := startTLSServer(t)
	tests := []struct {
		name, target string
		status       int
		want         string
	}{
		{name: "OA on 8443", target: "api.weixin.qq.com:8443", status: http.StatusForbidden, want: "port 443 only"},
		{name: "WeCom on 80", target: "qyapi.weixin.qq.com:80", status: http.StatusForbidden, want: "port 443 only"},
		{name: "OA on 4430", target: "api.weixin.qq.com:4430", status: http.StatusForbidden, want: "port 443 only"},
		{name: "no port", target: "api.weixin.qq.com", status: http.StatusForbidden, want: "never forwards"},
		{name: "OA on 443", target: "api.weixin.qq.com:443", status: http.StatusOK},
		{name: "WeCom on 443, upper case", target: "QYAPI.weixin.qq.com:443", status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", s.addr)
			must(t, err)
			defer conn.Close()
			_, err = io.WriteString(conn, "CONNECT "+tt.target+" HTTP/1.1\r\nHost: "+tt.target+"\r\n\r\n")
			must(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
			must(t, err)
			var body []byte
			if resp.StatusCode != http.StatusOK {
				body, _ = io.ReadAll(resp.Body)
			}
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("CONNECT %s: %d %s, want %d and %q", tt.target, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

// TestProxyRefusesOtherHosts: CONNECT and proxy requests for any other host
// are refused, and nothing is dialled.
func TestProxyRefusesOtherHosts(t *testing.T) {
	s := startTLSServer(t)
	target, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer target.Close()

	for _, host := range []string{target.Addr().String(), "example.com:443", "api.weixin.qq.com.evil.example:443", "weixin.qq.com:443"} {
		conn, err := net.Dial("tcp", s.addr)
		must(t, err)
		_, err = io.WriteString(conn, "CONNECT "+host+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		must(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "never forwards") {
			t.Errorf("CONNECT %s: %d %s", host, resp.StatusCode, body)
		}
	}
	// A Go client through the proxy to another host gets the refusal.
	if _, err := s.proxyClient(s.ca.CertPool()).Get("https://example.com/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("GET https://example.com through the proxy: %v", err)
	}
	// A plain proxy request (absolute URL) for another host too; one for a
	// platform host is served.
	plain := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: s.addr})}}
	resp, err := plain.Get("http://" + target.Addr().String() + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("proxied GET http://%s: %d, want 403", target.Addr(), resp.StatusCode)
	}
	if o := getJSON(t, plain, "http://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret="+appSecret); o["access_token"] == nil {
		t.Errorf("proxied GET http://api.weixin.qq.com: %v", o)
	}
	// Nothing connected to the target: a dial would be queued by now.
	must(t, target.(*net.TCPListener).SetDeadline(time.Now()))
	if c, err := target.Accept(); err == nil {
		c.Close()
		t.Fatal("the proxy connected to a host it refused")
	}
}

// TestTLSOnSameListener: one port speaks HTTPS (for localhost, the listen
// IP and the platform hosts) and plain HTTP, and serves the CA over the
// control API.
func TestTLSOnSameListener(t *testing.T) {
	s := startTLSServer(t)
	_, port, _ := net.SplitHostPort(s.addr)
	roots := s.ca.CertPool()
	resolve := &net.Dialer{}
	direct := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		// What curl --resolve or a hosts-file entry does.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if h, _, _ := net.SplitHostPort(addr); h == "api.weixin.qq.com" || h == "qyapi.weixin.qq.com" {
				addr = s.addr
			}
			return resolve.DialContext(ctx, network, addr)
		},
	}}
	for _, u := range []string{
		"https://127.0.0.1:" + port + "/oa/cgi-bin/token",
		"https://localhost:" + port + "/oa/cgi-bin/token",
		"https://api.weixin.qq.com:" + port + "/cgi-bin/token",
		"http://127.0.0.1:" + port + "/oa/cgi-bin/token",
	} {
		o := getJSON(t, direct, u+"?grant_type=client_credential&appid="+appID+"&secret="+appSecret)
		if o["access_token"] == nil {
			t.Errorf("%s: %v", u, o)
		}
	}
	o := getJSON(t, direct, "https://qyapi.weixin.qq.com:"+port+"/cgi-bin/gettoken?corpid="+corpID+"&corpsecret="+agentSecret)
	if o["access_token"] == nil {
		t.Errorf("WeCom by Host over HTTPS: %v", o)
	}

	resp, err := direct.Get("http://" + s.addr + "/_emulator/ca.pem")
	must(t, err)
	pem, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(pem, s.ca.CertPEM()) {
		t.Errorf("GET /_emulator/ca.pem returned %d bytes, not the CA", len(pem))
	}
	var health struct{ TLS bool }
	resp, err = direct.Get("https://localhost:" + port + "/_emulator/health")
	must(t, err)
	must(t, json.NewDecoder(resp.Body).Decode(&health))
	resp.Body.Close()
	if !health.TLS {
		t.Error("health does not say TLS")
	}
}

func TestOpenCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	ca, err := emulator.OpenCA(dir)
	must(t, err)
	st, err := os.Stat(filepath.Join(dir, emulator.CAKeyFile))
	must(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	again, err := emulator.OpenCA(dir)
	must(t, err)
	if !bytes.Equal(again.CertPEM(), ca.CertPEM()) {
		t.Error("OpenCA made a new CA over an existing one")
	}
	cert := ca.Certificate()
	if !cert.IsCA || len(cert.PermittedDNSDomains) != 3 {
		t.Errorf("CA certificate: IsCA %v, permitted names %v", cert.IsCA, cert.PermittedDNSDomains)
	}
	if _, err := ca.ServerTLSConfig("example.com"); err == nil || !strings.Contains(err.Error(), `not "example.com"`) {
		t.Errorf("a certificate for example.com: %v", err)
	}
	if _, err := ca.ServerTLSConfig("10.1.2.3", "sub.localhost"); err != nil {
		t.Errorf("a certificate for an IP and a name under localhost: %v", err)
	}

	// A folder holding only one of the files, or files that do not match,
	// is an error that says what to do.
	other := t.TempDir()
	must(t, os.WriteFile(filepath.Join(other, emulator.CACertFile), ca.CertPEM(), 0o600))
	if _, err := emulator.OpenCA(other); err == nil {
		t.Error("OpenCA on a folder with a certificate and no key succeeded")
	}
	second, err := emulator.OpenCA(filepath.Join(t.TempDir(), "x"))
	must(t, err)
	_ = second
	key, err := os.ReadFile(filepath.Join(dir, emulator.CAKeyFile))
	must(t, err)
	mixed := t.TempDir()
	must(t, os.WriteFile(filepath.Join(mixed, emulator.CACertFile), second.CertPEM(), 0o600))
	must(t, os.WriteFile(filepath.Join(mixed, emulator.CAKeyFile), key, 0o600))
	if _, err := emulator.OpenCA(mixed); err == nil || !strings.Contains(err.Error(), "does not belong to") || !strings.Contains(err.Error(), "delete") {
		t.Errorf("OpenCA with a key of another CA: %v", err)
	}
}
