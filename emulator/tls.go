package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A CA is a local certificate authority that signs the certificates the
// emulator serves HTTPS with (see Server). Trust its certificate (CertPEM)
// in the programs under test, and nowhere else.
//
// The CA is name-constrained: it can only sign for api.weixin.qq.com,
// qyapi.weixin.qq.com and localhost (and any IP address), so a copy of its
// key cannot be used to impersonate other sites to clients that check name
// constraints (Go, OpenSSL, and so curl and Python, do).
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// Files of a CA kept in a folder by OpenCA.
const (
	CACertFile = "ca.pem"     // the certificate, PEM
	CAKeyFile  = "ca-key.pem" // the private key, PEM (PKCS #8), mode 0600
)

// caNames are the DNS names (and their subdomains) the CA may sign for.
var caNames = []string{OfficialAccountHost, WeComHost, "localhost"}

const (
	caLife   = 10 * 365 * 24 * time.Hour
	leafLife = 397 * 24 * time.Hour
)

// NewCA generates a CA (an ECDSA P-256 key and a self-signed certificate
// valid for ten years) held in memory only.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("emulator: generating the CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "wxmaterial emulator local CA", Organization: []string{"wxmaterial emulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLife),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		PermittedDNSDomains:   caNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("emulator: creating the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("emulator: creating the CA certificate: %w", err)
	}
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// OpenCA returns the CA kept in dir (CACertFile and CAKeyFile), creating
// the folder (mode 0700) and a new CA in it when neither file exists. It
// fails when only one of them exists, when they do not match, or when the
// certificate has expired: delete both files to start afresh (and trust the
// new certificate instead of the old one).
func OpenCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case errors.Is(certErr, os.ErrNotExist) && errors.Is(keyErr, os.ErrNotExist):
		return createCA(dir)
	case certErr != nil:
		return nil, fmt.Errorf("emulator: CA in %s: %w", dir, certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("emulator: CA in %s: %w", dir, keyErr)
	}
	ca, err := parseCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("emulator: CA in %s: %w (delete %s and %s to make a new one)", dir, err, CACertFile, CAKeyFile)
	}
	return ca, nil
}

func createCA(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("emulator: CA folder: %w", err)
	}
	ca, err := NewCA()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, fmt.Errorf("emulator: CA key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	// The key first: a folder with a certificate but no key is an error on
	// the next start, one with a key but no certificate is too, and
	// writeFileAtomic creates both with mode 0600.
	if err := writeFileAtomic(filepath.Join(dir, CAKeyFile), keyPEM); err != nil {
		return nil, fmt.Errorf("emulator: writing the CA key: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, CACertFile), ca.certPEM); err != nil {
		return nil, fmt.Errorf("emulator: writing the CA certificate: %w", err)
	}
	return ca, nil
}

func parseCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate in " + CACertFile)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CACertFile, err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM private key in " + CAKeyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CAKeyFile, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s: not an ECDSA key", CAKeyFile)
	case !key.PublicKey.Equal(cert.PublicKey):
		return nil, fmt.Errorf("%s does not belong to %s", CAKeyFile, CACertFile)
	case !cert.IsCA:
		return nil, fmt.Errorf("%s is not a CA certificate", CACertFile)
	case time.Now().Add(24 * time.Hour).After(cert.NotAfter):
		return nil, fmt.Errorf("%s expires on %s", CACertFile, cert.NotAfter.Format(time.DateOnly))
	}
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cb.Bytes})}, nil
}

// CertPEM returns the CA certificate in PEM, to be trusted by clients
// (curl --cacert, Python's ssl.create_default_context(cafile=...),
// SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, a Java trust store, ...).
func (ca *CA) CertPEM() []byte { return slices.Clone(ca.certPEM) }

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPool returns a pool holding only the CA certificate, for a Go
// client's tls.Config.RootCAs.
func (ca *CA) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// ServerTLSConfig returns a TLS configuration for a server with a fresh
// certificate signed by the CA for api.weixin.qq.com, qyapi.weixin.qq.com,
// localhost, 127.0.0.1, ::1 and hosts (IP addresses, or names under the
// CA's constraints). It offers HTTP/1.1 only, so that faults that cut a
// connection behave as on any HTTP/1.1 server.
func (ca *CA) ServerTLSConfig(hosts ...string) (*tls.Config, error) {
	leaf, err := ca.issue(hosts)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{leaf},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}, nil
}

func (ca *CA) issue(hosts []string) (tls.Certificate, error) {
	dns := slices.Clone(caNames)
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	for _, h := range hosts {
		h = strings.Trim(h, "[]")
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		h = strings.ToLower(strings.TrimSuffix(h, "."))
		if !permittedName(h) {
			return tls.Certificate{}, fmt.Errorf("emulator: the CA signs only for %s and IP addresses, not %q", strings.Join(caNames, ", "), h)
		}
		if !slices.Contains(dns, h) {
			dns = append(dns, h)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("emulator: generating a server key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		// Not a host name, so that no verifier checks it as one.
		Subject:     pkix.Name{CommonName: "wxmaterial emulator", Organization: []string{"wxmaterial emulator"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(leafLife),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    dns,
		IPAddresses: ips,
	}
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("emulator: signing a server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("emulator: signing a server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// permittedName reports whether the CA's name constraints allow name.
func permittedName(name string) bool {
	for _, c := range caNames {
		if name == c || strings.HasSuffix(name, "."+c) {
			return true
		}
	}
	return false
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1))
}
