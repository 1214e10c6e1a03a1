package emulator_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// TestControlRefusesWebPages: a control request a web page could send (a
// foreign Origin, a simple Content-Type, a rebound Host) is refused before
// it changes or reveals anything; the same request from a test program is
// served.
func TestControlRefusesWebPages(t *testing.T) {
	v := newControlEnv(t)
	host := strings.TrimPrefix(v.srv.URL, "http://")
	const fault = `{"action":"status","status":500,"times":-1}`
	tests := []struct {
		name         string
		method, path string
		host         string // Host header; the server's address if empty
		origin       string
		contentType  string
		body         string
		status       int
		want         string // in the error
	}{
		{name: "fault from a page, text/plain", method: "POST", path: "/_emulator/faults", origin: "http://evil.example", contentType: "text/plain", body: fault,
			status: http.StatusForbidden, want: `Origin "http://evil.example"`},
		{name: "fault from a page, JSON", method: "POST", path: "/_emulator/faults", origin: "http://evil.example", contentType: "application/json", body: fault,
			status: http.StatusForbidden, want: "refuses requests from web pages"},
		{name: "fault from an opaque origin", method: "POST", path: "/_emulator/faults", origin: "null", contentType: "application/json", body: fault,
			status: http.StatusForbidden, want: `Origin "null"`},
		{name: "fault as text/plain, no Origin", method: "POST", path: "/_emulator/faults", contentType: "text/plain", body: fault,
			status: http.StatusUnsupportedMediaType, want: `"Content-Type: application/json"`},
		{name: "fault as a form", method: "POST", path: "/_emulator/faults", contentType: "application/x-www-form-urlencoded", body: fault,
			status: http.StatusUnsupportedMediaType, want: `got "application/x-www-form-urlencoded"`},
		{name: "reset without a Content-Type", method: "POST", path: "/_emulator/reset",
			status: http.StatusUnsupportedMediaType, want: "even without a body"},
		{name: "clear faults without a Content-Type", method: "DELETE", path: "/_emulator/faults",
			status: http.StatusUnsupportedMediaType, want: "control DELETE"},
		{name: "reset from a page on the same port but another scheme", method: "POST", path: "/_emulator/reset", origin: "https://" + host, contentType: "application/json",
			status: http.StatusForbidden, want: "not the emulator's own"},
		{name: "request log read by a page", method: "GET", path: "/_emulator/requests", origin: "http://evil.example",
			status: http.StatusForbidden, want: "refuses requests from web pages"},
		{name: "media read by a page", method: "GET", path: "/_emulator/media", origin: "http://127.0.0.1:1",
			status: http.StatusForbidden, want: "refuses requests from web pages"},
		{name: "preflight from a page", method: "OPTIONS", path: "/_emulator/faults", origin: "http://evil.example",
			status: http.StatusForbidden, want: "refuses requests from web pages"},
		{name: "health under a rebound name", method: "GET", path: "/_emulator/health", host: "evil.example:" + strings.Split(host, ":")[1],
			status: http.StatusForbidden, want: `refused Host "evil.example:`},
		{name: "request log under a rebound name", method: "GET", path: "/_emulator/requests", host: "evil.example",
			status: http.StatusForbidden, want: "loopback Host"},
		{name: "reset under a rebound name", method: "POST", path: "/_emulator/reset", host: "evil.example", contentType: "application/json",
			status: http.StatusForbidden, want: "DNS rebinding"},
		{name: "a platform host", method: "GET", path: "/_emulator/requests", host: emulator.OfficialAccountHost,
			status: http.StatusForbidden, want: "loopback Host"},
		{name: "a name ending in localhost", method: "GET", path: "/_emulator/health", host: "localhost.evil.example",
			status: http.StatusForbidden, want: "loopback Host"},
		{name: "no Host", method: "GET", path: "/_emulator/health", host: "-",
			status: http.StatusForbidden, want: `refused Host ""`},

		{name: "fault from a program", method: "POST", path: "/_emulator/faults", contentType: "application/json", body: `{"path":"/cgi-bin/media/get","action":"status","status":500}`,
			status: http.StatusCreated},
		{name: "JSON with a charset", method: "POST", path: "/_emulator/settle", contentType: "application/json; charset=utf-8", status: http.StatusOK},
		{name: "health, own origin", method: "GET", path: "/_emulator/health", origin: "http://" + host, status: http.StatusOK},
		{name: "localhost", method: "GET", path: "/_emulator/requests", host: "LocalHost:8080", status: http.StatusOK},
		{name: "another loopback address", method: "GET", path: "/_emulator/health", host: "127.0.0.2", status: http.StatusOK},
		{name: "IPv6 loopback", method: "GET", path: "/_emulator/health", host: "[::1]:8080", status: http.StatusOK},
		{name: "a delete from a program", method: "DELETE", path: "/_emulator/requests", contentType: "application/json", status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, v.srv.URL+tt.path, strings.NewReader(tt.body))
			must(t, err)
			if tt.host != "" && tt.host != "-" { // "-": no Host at all, over HTTP/1.0 below
				req.Host = tt.host
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			var status int
			var raw []byte
			if tt.host == "-" {
				status, raw = rawHTTP10(t, host, tt.method+" "+tt.path+" HTTP/1.0\r\n\r\n")
			} else {
				resp, err := v.client.Do(req)
				must(t, err)
				raw, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				must(t, err)
				status = resp.StatusCode
			}
			var e struct{ Error string }
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("HTTP %d, not JSON: %s", status, raw)
			}
			if status != tt.status || !strings.Contains(e.Error, tt.want) {
				t.Errorf("HTTP %d %s, want %d and an error containing %q", status, raw, tt.status, tt.want)
			}
		})
	}
	// None of the refused requests injected a fault or reset the emulator:
	// the one fault is the program's, and the test accounts still work.
	var faults struct{ Faults []struct{ Path string } }
	v.ctlOK("GET", "/_emulator/faults", nil, &faults)
	if len(faults.Faults) != 1 || faults.Faults[0].Path != "/cgi-bin/media/get" {
		t.Errorf("faults after the refusals: %+v", faults.Faults)
	}
	wantCode(t, v.getJSON(v.oa+"/cgi-bin/token?grant_type=client_credential&appid="+appID+"&secret="+appSecret), 0)
}

// rawHTTP10 sends a raw request to addr and returns the status and body.
func rawHTTP10(t *testing.T, addr, request string) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, request)
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, body
}

// TestControlHosts: the platform endpoints answer any Host (proxy mode
// routes by it), the control API only loopback ones and ControlHosts.
func TestControlHosts(t *testing.T) {
	e := emulator.New()
	defer e.Close()
	must(t, e.AddOfficialAccount(appID, appSecret))
	srv := httptest.NewServer((&emulator.Server{Emulator: e, Control: true, ControlHosts: []string{"emulator", "[fd00::5]"}}).Handler())
	defer srv.Close()
	tests := []struct {
		name, host, path string
		status           int
	}{
		{name: "token under a foreign name", host: "evil.example", path: "/oa/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret, status: http.StatusOK},
		{name: "token on the platform host", host: emulator.OfficialAccountHost, path: "/cgi-bin/token?grant_type=client_credential&appid=" + appID + "&secret=" + appSecret, status: http.StatusOK},
		{name: "control under a ControlHosts name", host: "emulator:8080", path: "/_emulator/health", status: http.StatusOK},
		{name: "control under a ControlHosts address", host: "[FD00::5]:8080", path: "/_emulator/health", status: http.StatusOK},
		{name: "control under another name", host: "emulator2", path: "/_emulator/health", status: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", srv.URL+tt.path, nil)
			must(t, err)
			req.Host = tt.host
			resp, err := srv.Client().Do(req)
			must(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s with Host %s: %d %s, want %d", tt.path, tt.host, resp.StatusCode, body, tt.status)
			}
			if tt.status == http.StatusForbidden && !strings.Contains(string(body), "or emulator, [fd00::5]") {
				t.Errorf("the refusal does not list ControlHosts: %s", body)
			}
		})
	}
}
