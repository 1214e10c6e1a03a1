package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ControlPrefix is the path prefix of the control API (see Server); neither
// platform serves anything under it.
const ControlPrefix = "/_emulator/"

// A Server serves an Emulator on a listener the way `wxmaterial emulator
// serve` does: both platforms (routed as ServeHTTP routes them), the
// control API under ControlPrefix when Control is set, and with a CA, HTTPS
// and an HTTP CONNECT proxy for the two platform hosts. docs/emulator.md
// describes the whole of it for users of any language.
//
// With a CA, one listener speaks both HTTP and HTTPS: a connection whose
// first byte opens a TLS handshake is served over TLS with a certificate
// for api.weixin.qq.com, qyapi.weixin.qq.com, localhost and the listener's
// addresses. A CONNECT request for api.weixin.qq.com:443 or
// qyapi.weixin.qq.com:443 is answered 200 and the tunnel is served by the emulator
// itself, over TLS with the same CA (or plain HTTP if the client speaks
// it), so a program run with HTTPS_PROXY pointing at the server and the CA
// trusted reaches the emulator with its built-in URLs. A CONNECT for any
// other host or port, and a proxy request (absolute URL) for any other
// host, is refused with 403: nothing is ever forwarded.
//
// The fields must not change once the server is in use.
type Server struct {
	// Emulator is what is served. Required.
	Emulator *Emulator
	// Control serves the control API under ControlPrefix. Anyone who can
	// reach the listener can then reset the emulator or read its request
	// log: keep it on loopback, or leave Control off for a shared instance.
	Control bool
	// ControlHosts are the names or addresses, besides loopback ones
	// (localhost, 127.0.0.1, ::1), that the control API answers in the
	// Host header: the listener's address when it is not on loopback, or
	// the name a CI network gives it. The control API refuses any other
	// Host (a page using DNS rebinding sends its own), and requests from
	// web pages (docs/emulator.md, "The control API").
	ControlHosts []string
	// CA, when set, turns on HTTPS and proxy mode.
	CA *CA
	// OnReset, if set, runs after POST /_emulator/reset has emptied the
	// emulator, to put back what a fresh start has (accounts, demo media).
	OnReset func(*Emulator) error

	once     sync.Once
	handler  http.Handler
	control  http.Handler
	tlsOnce  sync.Once
	tunTLS   *tls.Config
	tunErr   error
	tunMu    sync.Mutex
	tunnels  map[*http.Server]struct{}
	shutdown bool
}

// Handler returns the handler of everything but the TLS layer: the
// platforms, the control API (when Control is set) and the proxy's CONNECT
// answers. Use it with an httptest.Server; Serve adds HTTPS on the same
// listener.
func (s *Server) Handler() http.Handler {
	s.once.Do(func() {
		if s.Control {
			s.control = s.guardControl(s.controlHandler())
		}
		s.handler = http.HandlerFunc(s.serveHTTP)
	})
	return s.handler
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		s.connect(w, r)
	case r.URL.IsAbs() && !platformHost(r.URL.Hostname()):
		// A proxy request (absolute URL) for a host the emulator does not
		// serve.
		refuseProxy(w, r.URL.Host)
	case s.control != nil && (strings.HasPrefix(r.URL.Path, ControlPrefix) || r.URL.Path+"/" == ControlPrefix):
		s.control.ServeHTTP(w, r)
	default:
		s.Emulator.ServeHTTP(w, r)
	}
}

// platformHost reports whether host (without a port) is one of the two
// platform hosts.
func platformHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == OfficialAccountHost || host == WeComHost
}

func refuseProxy(w http.ResponseWriter, target string) {
	http.Error(w, fmt.Sprintf("emulator: the proxy serves only %s and %s itself and never forwards anything; refused %s",
		OfficialAccountHost, WeComHost, target), http.StatusForbidden)
}

// connect answers a CONNECT request: for a platform host it takes over the
// connection and serves the emulator on the tunnel.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || !platformHost(host) {
		refuseProxy(w, r.Host)
		return
	}
	if port != "443" {
		http.Error(w, fmt.Sprintf("emulator: the proxy serves %s and %s on port 443 only (HTTPS, as the platforms are reached); refused %s",
			OfficialAccountHost, WeComHost, r.Host), http.StatusForbidden)
		return
	}
	if s.CA == nil {
		http.Error(w, "emulator: proxy mode needs HTTPS (a Server with a CA; serve --tls)", http.StatusNotImplemented)
		return
	}
	cfg, err := s.tunnelTLS()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "emulator: CONNECT needs HTTP/1.1", http.StatusHTTPVersionNotSupported)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	var c net.Conn = conn
	if n := brw.Reader.Buffered(); n > 0 { // the client did not wait for the 200
		early, _ := brw.Reader.Peek(n)
		c = &prefixConn{Conn: conn, prefix: append([]byte(nil), early...)}
	}
	s.serveTunnel(c, cfg)
}

func (s *Server) tunnelTLS() (*tls.Config, error) {
	s.tlsOnce.Do(func() { s.tunTLS, s.tunErr = s.CA.ServerTLSConfig() })
	return s.tunTLS, s.tunErr
}

// serveTunnel serves HTTP (over TLS if the client starts a handshake) on a
// CONNECT tunnel, with its own http.Server so that the tunnel outlives the
// CONNECT request; Serve closes these servers when it stops.
func (s *Server) serveTunnel(conn net.Conn, cfg *tls.Config) {
	c, err := sniff(conn, cfg)
	if err != nil {
		conn.Close()
		return
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second, ErrorLog: s.errorLog()}
	s.tunMu.Lock()
	if s.shutdown {
		s.tunMu.Unlock()
		c.Close()
		return
	}
	if s.tunnels == nil {
		s.tunnels = map[*http.Server]struct{}{}
	}
	s.tunnels[srv] = struct{}{}
	s.tunMu.Unlock()
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed || st == http.StateHijacked {
			s.tunMu.Lock()
			delete(s.tunnels, srv)
			s.tunMu.Unlock()
		}
	}
	// Serve returns once the one connection is taken; the connection is
	// then served until it closes.
	_ = srv.Serve(&oneConnListener{conn: c})
}

// Serve serves on l until ctx is done, then shuts down gracefully (waiting
// at most 5 seconds for requests in flight) and closes proxy tunnels. It
// does not Close the emulator.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.Emulator == nil {
		return errors.New("emulator: Server without an Emulator")
	}
	h := s.Handler()
	if s.CA != nil {
		cfg, err := s.CA.ServerTLSConfig(listenHosts(l.Addr())...)
		if err != nil {
			return err
		}
		l = newSniffListener(l, cfg)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: s.errorLog()}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		s.closeTunnels()
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		s.closeTunnels()
		if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
			err = serveErr
		}
		return err
	}
}

// errorLog sends net/http's own messages (TLS handshakes that fail because
// a client does not trust the CA, for instance) to the emulator's logger at
// debug level.
func (s *Server) errorLog() *log.Logger {
	return slog.NewLogLogger(s.Emulator.log.Handler(), slog.LevelDebug)
}

func (s *Server) closeTunnels() {
	s.tunMu.Lock()
	s.shutdown = true
	tunnels := s.tunnels
	s.tunnels = nil
	s.tunMu.Unlock()
	for srv := range tunnels {
		srv.Close()
	}
}

// listenHosts returns the addresses a listener is reached at: its IP, or
// every address of the machine when it listens on all of them.
func listenHosts(a net.Addr) []string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !ta.IP.IsUnspecified() {
		return []string{ta.IP.String()}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var hosts []string
	for _, ad := range addrs {
		if ipn, ok := ad.(*net.IPNet); ok {
			hosts = append(hosts, ipn.IP.String())
		}
	}
	return hosts
}

// sniffTimeout bounds the wait for a new connection's first byte.
const sniffTimeout = 30 * time.Second

// sniff reads conn's first byte and returns the connection as a TLS server
// connection if that byte opens a TLS handshake (a record of type 22),
// else as it is, with the byte put back.
func sniff(conn net.Conn, cfg *tls.Config) (net.Conn, error) {
	if err := conn.SetReadDeadline(time.Now().Add(sniffTimeout)); err != nil {
		return nil, err
	}
	var b [1]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return nil, err
	}
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	c := &prefixConn{Conn: conn, prefix: b[:]}
	if b[0] == 0x16 {
		return tls.Server(c, cfg), nil
	}
	return c, nil
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// sniffListener accepts connections from a listener and hands them out as
// TLS or plain connections, judged by their first byte in a goroutine per
// connection (so a silent client does not hold up the others).
type sniffListener struct {
	net.Listener
	cfg   *tls.Config
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
}

func newSniffListener(l net.Listener, cfg *tls.Config) *sniffListener {
	s := &sniffListener{Listener: l, cfg: cfg, conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *sniffListener) run() {
	for {
		raw, err := s.Listener.Accept()
		if err != nil {
			// Hand every error to Accept (http.Server backs off on
			// temporary ones and calls again, stops on others).
			select {
			case s.errs <- err:
				continue
			case <-s.done:
				return
			}
		}
		go func() {
			c, err := sniff(raw, s.cfg)
			if err != nil {
				raw.Close()
				return
			}
			select {
			case s.conns <- c:
			case <-s.done:
				c.Close()
			}
		}()
	}
}

func (s *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case err := <-s.errs:
		return nil, err
	case <-s.done:
		return nil, net.ErrClosed
	}
}

func (s *sniffListener) Close() error {
	err := net.ErrClosed
	s.once.Do(func() {
		close(s.done)
		err = s.Listener.Close()
	})
	return err
}

// oneConnListener hands out one connection, then reports itself closed.
type oneConnListener struct {
	mu   sync.Mutex
	conn net.Conn
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil, net.ErrClosed
	}
	c := l.conn
	l.conn = nil
	return c, nil
}

func (l *oneConnListener) Close() error { return nil }

func (l *oneConnListener) Addr() net.Addr { return tunnelAddr{} }

type tunnelAddr struct{}

func (tunnelAddr) Network() string { return "tunnel" }
func (tunnelAddr) String() string  { return "tunnel" }
