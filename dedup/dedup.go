package dedup

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/wxmaterial/wxmaterial/material"
)

// Defaults of a Service.
const (
	// DefaultMargin is how long a remembered media id must still live to
	// be handed out: an id about to expire is of no use to the caller.
	DefaultMargin = time.Hour
	// DefaultLockTTL is how long one upload may hold the lock that makes
	// the others of the same content wait.
	DefaultLockTTL = 2 * time.Minute
	// DefaultImageLifetime is how long a rich-text image URL (UploadImage)
	// is remembered. The platforms call these URLs permanent; they are
	// forgotten after this anyway, so that a URL the platform withdrew is
	// not handed out forever.
	DefaultImageLifetime = 30 * 24 * time.Hour
)

// maxWaits is how many times an upload waits for another holder of the
// lock of its content before it uploads without it.
const maxWaits = 3

// Service is a material.Service that uploads each content once: see the
// package documentation. It is safe for concurrent use.
type Service struct {
	svc      material.Service
	store    Store
	platform material.Platform
	account  string
	margin   time.Duration
	hold     time.Duration
	imageTTL time.Duration
	now      func() time.Time
	log      *slog.Logger
	flight   singleflight.Group

	mu         sync.Mutex
	handed     map[string]handed // media ids handed out, for Download to forget
	sweep      int               // sweep handed when it grows past this
	warned     time.Time         // the last warning about the Store
	lockWarned time.Time         // the last warning about a lock held too long

	uploads, reused, passed, forgotten atomic.Int64
}

// handed is a media id the Service handed out: the key it is remembered
// under and when it expires.
type handed struct {
	key     string
	expires time.Time
}

var (
	_ material.Service       = (*Service)(nil)
	_ material.Identifier    = (*Service)(nil)
	_ material.URLDownloader = (*Service)(nil)
)

// Option configures a Service made by New.
type Option func(*Service) error

// WithStore makes the Service remember in st (default: a new MemoryStore
// of its own). Give the Services of one account the same Store so that
// they share what they remember.
func WithStore(st Store) Option {
	return func(s *Service) error {
		if st == nil {
			return fmt.Errorf("dedup: WithStore(nil): %w", material.ErrInvalidInput)
		}
		s.store = st
		return nil
	}
}

// WithMargin sets how long a remembered media id must still live to be
// handed out (default DefaultMargin); with less left, the content is
// uploaded again. It must be at least 0 and less than
// material.TemporaryLifetime.
func WithMargin(d time.Duration) Option {
	return func(s *Service) error {
		if d < 0 || d >= material.TemporaryLifetime {
			return fmt.Errorf("dedup: WithMargin(%v): want 0 <= margin < %v: %w", d, material.TemporaryLifetime, material.ErrInvalidInput)
		}
		s.margin = d
		return nil
	}
}

// WithAccount names the platform and account the wrapped Service uploads
// for, when it cannot say (it does not implement material.Identifier, or
// an Official Account client made with only a token source answers "").
// The account is the app id of an Official Account or the corp id of a
// WeCom agent: media ids are shared within it.
func WithAccount(p material.Platform, account string) Option {
	return func(s *Service) error {
		if (p != material.OfficialAccount && p != material.WeCom) || account == "" {
			return fmt.Errorf("dedup: WithAccount(%q, %q): want material.OfficialAccount or material.WeCom and an app id or corp id: %w", p, account, material.ErrInvalidInput)
		}
		s.platform, s.account = p, account
		return nil
	}
}

// WithClock sets the clock that judges how long a remembered id has left
// (default time.Now); give it the wrapped client's clock.
func WithClock(now func() time.Time) Option {
	return func(s *Service) error {
		if now == nil {
			return fmt.Errorf("dedup: WithClock(nil): %w", material.ErrInvalidInput)
		}
		s.now = now
		return nil
	}
}

// WithLockTTL sets how long an upload may hold the lock that makes the
// other uploads of the same content wait for its media id (default
// DefaultLockTTL). An upload that takes longer lets one more upload start;
// a process that dies holding it makes the others wait this long at most.
func WithLockTTL(d time.Duration) Option {
	return func(s *Service) error {
		if d <= 0 {
			return fmt.Errorf("dedup: WithLockTTL(%v): want a positive duration: %w", d, material.ErrInvalidInput)
		}
		s.hold = d
		return nil
	}
}

// WithImageLifetime sets how long a rich-text image URL (UploadImage) is
// remembered (default DefaultImageLifetime); 0 remembers none, so that
// every UploadImage reaches the platform.
func WithImageLifetime(d time.Duration) Option {
	return func(s *Service) error {
		if d < 0 {
			return fmt.Errorf("dedup: WithImageLifetime(%v): want 0 or more: %w", d, material.ErrInvalidInput)
		}
		s.imageTTL = d
		return nil
	}
}

// WithLogger logs (warn) the failures of the Store, at most once a minute,
// and (debug) each upload answered from memory. The default discards. No
// line holds a token or file bytes.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) error {
		if l == nil {
			return fmt.Errorf("dedup: WithLogger(nil): %w", material.ErrInvalidInput)
		}
		s.log = l
		return nil
	}
}

// New wraps svc so that it uploads each content once. The platform and
// account come from svc (material.Identifier: officialaccount.Client made
// with an app id, work.Client, materialtest.Fake) or WithAccount; New fails
// with material.ErrInvalidInput without either.
func New(svc material.Service, opts ...Option) (*Service, error) {
	if svc == nil {
		return nil, fmt.Errorf("dedup: New(nil): %w", material.ErrInvalidInput)
	}
	s := &Service{svc: svc, margin: DefaultMargin, hold: DefaultLockTTL, imageTTL: DefaultImageLifetime, now: time.Now,
		log: slog.New(slog.DiscardHandler), handed: map[string]handed{}, sweep: minSweep}
	if id, ok := svc.(material.Identifier); ok {
		s.platform, s.account = id.Platform(), id.Account()
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if (s.platform != material.OfficialAccount && s.platform != material.WeCom) || s.account == "" {
		return nil, fmt.Errorf("dedup: New: the Service does not say its platform and account (platform %q, account %q): pass WithAccount: %w", s.platform, s.account, material.ErrInvalidInput)
	}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	return s, nil
}

// Platform returns the platform of the wrapped Service.
func (s *Service) Platform() material.Platform { return s.platform }

// Account returns the account of the wrapped Service.
func (s *Service) Account() string { return s.account }

// Unwrap returns the wrapped Service, e.g. to reach its library.
func (s *Service) Unwrap() material.Service { return s.svc }

// Stats counts what a Service did since it was made.
type Stats struct {
	Uploads   int64 // uploads of hashed content sent to the platform
	Reused    int64 // uploads answered with a remembered media id or URL
	Passed    int64 // uploads passed through unhashed: one-shot sources, and sources the platform's rules refuse
	Forgotten int64 // remembered ids forgotten because the platform rejected them
}

// Stats returns the Service's counts.
func (s *Service) Stats() Stats {
	return Stats{Uploads: s.uploads.Load(), Reused: s.reused.Load(), Passed: s.passed.Load(), Forgotten: s.forgotten.Load()}
}

// storeWarnInterval spaces the warnings about a failing Store.
const storeWarnInterval = time.Minute

// lockHeld logs, at most once per storeWarnInterval, that an upload
// waited wait for another's lock of key and goes on without it.
func (s *Service) lockHeld(ctx context.Context, key string, wait time.Duration) {
	if s.quiet(&s.lockWarned) {
		return
	}
	attrs := []slog.Attr{slog.String("key", key), slog.Duration("waited", wait)}
	if lk, ok := s.store.(interface{ LockKey(key string) string }); ok {
		attrs = append(attrs, slog.String("lock", lk.LockKey(key)))
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "dedup: another upload has held the lock too long; uploading without it", attrs...)
}

// storeFailed logs a Store failure, at most once per storeWarnInterval.
func (s *Service) storeFailed(ctx context.Context, op string, err error) {
	if !s.quiet(&s.warned) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "dedup: the store failed; uploading without it", slog.String("op", op), slog.String("error", err.Error()))
	}
}

// quiet reports whether a warning of the kind last logged at *warned was
// logged less than storeWarnInterval ago; if not, it sets *warned to now.
func (s *Service) quiet(warned *time.Time) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(*warned) < storeWarnInterval {
		return true
	}
	*warned = now
	return false
}
