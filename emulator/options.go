package emulator

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// Option configures an Emulator built by New or Open.
type Option func(*config) error

type config struct {
	clock            Clock
	dir              string
	discard          bool
	errcodeOnSuccess bool
	thumbAlias       bool
	logger           *slog.Logger
	jobClient        *http.Client
	quotas           Quotas
	logLimit         int
	chunkLimit       int64 // WithRangeChunkLimit; 0 means DefaultRangeChunkLimit
}

// Quotas holds the limits the emulator enforces per account. DefaultQuotas
// returns the platforms' documented values; tests usually lower them so that
// a limit is reached in a handful of calls. A zero or negative field means
// "no limit".
type Quotas struct {
	// OATokenPerDay caps successful cgi-bin/token calls per Official Account
	// per day (45009 beyond). Documented: 2000.
	OATokenPerDay int
	// StableForcePerDay caps stable_token calls with force_refresh=true per
	// Official Account per day (CodeStableForceDailyCap beyond). Documented: 20.
	StableForcePerDay int
	// StableForceIntervalSeconds is the least time between two forced
	// stable_token refreshes (CodeStableForceTooSoon if shorter). Documented: 30.
	StableForceIntervalSeconds int
	// WeComTokenPerDay caps gettoken calls per WeCom agent per day (45009
	// beyond). WeCom documents no number; the default is no limit.
	WeComTokenPerDay int
	// WeComUploadImagePerDay and WeComUploadImagePerMonth cap WeCom
	// media/uploadimg per corp (CodeUploadImageQuota beyond). Documented: 1000
	// and 3000.
	WeComUploadImagePerDay   int
	WeComUploadImagePerMonth int
	// LibraryImagesAndNews caps an Official Account's permanent images
	// (thumbs included) plus news items; LibraryOther caps its permanent
	// voices and, separately, its videos (CodeLibraryFull beyond).
	// Documented: 100 000 and 1000.
	LibraryImagesAndNews int
	LibraryOther         int
}

// DefaultQuotas returns the documented limits (docs/wire.md §6).
func DefaultQuotas() Quotas {
	return Quotas{
		OATokenPerDay:              2000,
		StableForcePerDay:          20,
		StableForceIntervalSeconds: 30,
		WeComUploadImagePerDay:     1000,
		WeComUploadImagePerMonth:   3000,
		LibraryImagesAndNews:       100000,
		LibraryOther:               1000,
	}
}

// WithClock makes the emulator read time from c instead of the system clock.
func WithClock(c Clock) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("emulator: WithClock: nil clock")
		}
		cfg.clock = c
		return nil
	}
}

// WithDir keeps all state (accounts, tokens, temporary and permanent media
// with their bytes, quotas, jobs) in the folder dir, so that an emulator
// opened later on the same folder continues where this one stopped. The
// folder is created if needed. Only one Emulator may use a folder at a time.
// Use Open to learn about errors; New panics on them.
func WithDir(dir string) Option {
	return func(cfg *config) error {
		if dir == "" {
			return fmt.Errorf("emulator: WithDir: empty path")
		}
		cfg.dir = dir
		return nil
	}
}

// WithDiscard drops uploaded bytes and keeps only each file's size, SHA-256
// and MD5, for benchmarks with large files. A download of discarded media
// returns the right number of zero bytes (so lengths and Range arithmetic
// still hold, hashes do not).
func WithDiscard() Option {
	return func(cfg *config) error {
		cfg.discard = true
		return nil
	}
}

// WithErrcodeOnSuccess makes Official Account success bodies carry
// "errcode":0,"errmsg":"ok" (as newer documentation examples do) when on is
// true, and omit them (as older endpoints really do) when false, the default.
// Endpoints whose whole success body is {"errcode":0,"errmsg":"ok"} and every
// WeCom body always carry errcode.
func WithErrcodeOnSuccess(on bool) Option {
	return func(cfg *config) error {
		cfg.errcodeOnSuccess = on
		return nil
	}
}

// WithThumbMediaIDAlias makes an Official Account temporary thumb upload
// answer with both "thumb_media_id" and "media_id". By default only
// "thumb_media_id" is sent, as the real server is observed to do.
func WithThumbMediaIDAlias(on bool) Option {
	return func(cfg *config) error {
		cfg.thumbAlias = on
		return nil
	}
}

// WithLogger makes the emulator log what it does (never a token or secret).
// The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) error {
		if l == nil {
			return fmt.Errorf("emulator: WithLogger: nil logger")
		}
		cfg.logger = l
		return nil
	}
}

// WithJobHTTPClient sets the client that upload-by-URL jobs download with.
// The default has connection timeouts and no overall limit per Range chunk
// other than five minutes.
func WithJobHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("emulator: WithJobHTTPClient: nil client")
		}
		cfg.jobClient = c
		return nil
	}
}

// WithQuotas replaces the enforced limits (see DefaultQuotas).
func WithQuotas(q Quotas) Option {
	return func(cfg *config) error {
		cfg.quotas = q
		return nil
	}
}

// WithRequestLogLimit keeps at most n entries in the request log, dropping
// the oldest (default 10 000). n <= 0 keeps everything.
func WithRequestLogLimit(n int) Option {
	return func(cfg *config) error {
		cfg.logLimit = n
		return nil
	}
}

// DefaultRangeChunkLimit is the most bytes of one WeCom media that
// media/get sends at once unless WithRangeChunkLimit says otherwise: 20 MiB,
// the binary reading of the "20M" in WeCom's page.
const DefaultRangeChunkLimit = 20 << 20

// WithRangeChunkLimit sets the most bytes of one WeCom media that media/get
// sends at once: a larger media asked for whole, or in a Range chunk of more
// than n bytes, answers 830002. The default is DefaultRangeChunkLimit. WeCom's
// page says "20M" without saying whether M is 2^20 or 10^6; test a client
// against 20_000_000 too.
func WithRangeChunkLimit(n int64) Option {
	return func(cfg *config) error {
		if n <= 0 {
			return fmt.Errorf("emulator: WithRangeChunkLimit: %d is not a positive number of bytes", n)
		}
		cfg.chunkLimit = n
		return nil
	}
}

// AccountOption configures an Official Account or a WeCom agent.
type AccountOption func(*accountConfig) error

type accountConfig struct {
	allowIPs []string
}

// WithAllowedIPs restricts callers to the given IPs or CIDR ranges
// ("203.0.113.7", "10.0.0.0/8"). An Official Account then answers 40164 on
// its token endpoints to other callers; a WeCom agent answers 60020 on its
// business calls. The caller is the request's RemoteAddr.
func WithAllowedIPs(ips ...string) AccountOption {
	return func(ac *accountConfig) error {
		for _, s := range ips {
			if _, _, err := net.ParseCIDR(s); err == nil {
				continue
			}
			if net.ParseIP(s) == nil {
				return fmt.Errorf("emulator: WithAllowedIPs: %q is neither an IP nor a CIDR", s)
			}
		}
		ac.allowIPs = append([]string(nil), ips...)
		return nil
	}
}

// ipAllowed reports whether remoteAddr (host:port or host) is in list; an
// empty list allows everyone.
func ipAllowed(list []string, remoteAddr string) bool {
	if len(list) == 0 {
		return true
	}
	ip := net.ParseIP(callerIP(remoteAddr))
	if ip == nil {
		return false
	}
	for _, s := range list {
		if _, n, err := net.ParseCIDR(s); err == nil {
			if n.Contains(ip) {
				return true
			}
			continue
		}
		if a := net.ParseIP(s); a != nil && a.Equal(ip) {
			return true
		}
	}
	return false
}

func callerIP(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return strings.Trim(remoteAddr, "[]")
}
