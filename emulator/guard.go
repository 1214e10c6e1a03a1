package emulator

import (
	"mime"
	"net"
	"net/http"
	"strings"
)

// The control API answers the test program on the developer's machine (or
// CI runner), not a web page that machine's browser happens to show: a page
// could otherwise reset the emulator or inject faults by posting to
// http://127.0.0.1:8080/_emulator/..., or read the request log after
// pointing a name of its own at 127.0.0.1 (DNS rebinding). guardControl
// refuses, in this order:
//
//   - a Host that is not a loopback name or address (localhost, 127.0.0.1,
//     [::1]) or one of Server.ControlHosts: 403 (a rebound name arrives with
//     the attacker's Host);
//   - a request with an Origin header other than the emulator's own origin:
//     403 (browsers send Origin on every cross-site POST, and on cross-site
//     reads by fetch);
//   - a request other than GET or HEAD without Content-Type:
//     application/json: 415 (a page cannot send that type cross-site without
//     a CORS preflight, which the emulator never approves).
//
// The platform endpoints answer any Host: proxy mode routes by it.
func (s *Server) guardControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.controlHost(r.Host) {
			replyError(w, http.StatusForbidden, "the control API answers only a loopback Host (localhost, 127.0.0.1, [::1])%s, "+
				"against DNS rebinding; refused Host %q", s.extraHostsNote(), r.Host)
			return
		}
		if origins := r.Header.Values("Origin"); len(origins) > 0 {
			own := "http://" + r.Host
			if r.TLS != nil {
				own = "https://" + r.Host
			}
			if len(origins) > 1 || !strings.EqualFold(origins[0], own) {
				replyError(w, http.StatusForbidden, "the control API refuses requests from web pages: Origin %q is not the emulator's own (%s)",
					strings.Join(origins, ", "), own)
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			ct := r.Header.Get("Content-Type")
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				replyError(w, http.StatusUnsupportedMediaType, "a control %s needs the header \"Content-Type: application/json\", even without a body "+
					"(so that no web page can send it); got %q", r.Method, ct)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// controlHost reports whether the control API answers a request for host
// (a Host header, with or without a port).
func (s *Server) controlHost(host string) bool {
	host = bareHost(host)
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range s.ControlHosts {
		if bareHost(h) == host {
			return true
		}
	}
	return false
}

// bareHost returns host without a port, brackets or a final dot, in lower
// case.
func bareHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

func (s *Server) extraHostsNote() string {
	if len(s.ControlHosts) == 0 {
		return ""
	}
	return " or " + strings.Join(s.ControlHosts, ", ")
}
