package redact

import (
	"net/url"
	"slices"
	"sync"
)

// MaxHeld is how many tokens a Set remembers besides its secrets: the
// current token and the ones before it, so that a reply echoing an older
// token is scrubbed too.
const MaxHeld = 32

// Set is a registry of the sensitive values one client holds or held: its
// AppSecret or corp secret, and the access tokens it got. Its owner (a token
// fetcher, a transport) adds them as it learns them; Snippet consults it
// whenever text taken from a reply goes into an error or a log line.
//
// The values never leave the Set: it has no method that returns them, and
// it prints as "redact.Set{...}". A nil *Set holds nothing. It is safe for
// concurrent use.
type Set struct {
	mu      sync.RWMutex
	secrets []string // every form of every secret, kept for the Set's life
	tokens  []string // the last MaxHeld tokens, oldest first
	known   *matcher // what values() returns as a matcher; nil after a change
}

// NewSet returns a Set holding the given secrets (empty ones are ignored).
func NewSet(secrets ...string) *Set {
	s := &Set{}
	s.mu.Lock()
	for _, v := range secrets {
		s.secrets = addForms(s.secrets, v)
	}
	s.mu.Unlock()
	return s
}

// AddToken registers an access token; the Set keeps the last MaxHeld.
func (s *Set) AddToken(token string) {
	if s == nil || token == "" {
		return
	}
	s.mu.RLock()
	known := slices.Contains(s.tokens, token)
	s.mu.RUnlock()
	if known {
		return // the hot path: the same token on every call
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.tokens, token) {
		return
	}
	s.tokens = append(s.tokens, token)
	if len(s.tokens) > MaxHeld {
		s.tokens = slices.Clone(s.tokens[len(s.tokens)-MaxHeld:])
	}
	s.known = nil
}

// addForms adds v and the forms it takes in a query string or a path.
func addForms(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
		if !slices.Contains(list, f) {
			list = append(list, f)
		}
	}
	return list
}

// String describes the Set without its values.
func (s *Set) String() string { return "redact.Set{...}" }

// GoString is String, so %#v does not print the values either.
func (s *Set) GoString() string { return s.String() }

// matcher returns what finds the values s holds in a text, built once per
// change of s (a new token: every two hours or so).
func (s *Set) matcher() *matcher {
	if s == nil {
		return &matcher{}
	}
	s.mu.RLock()
	m := s.known
	s.mu.RUnlock()
	if m != nil {
		return m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil {
		vals := slices.Clone(s.secrets)
		for _, t := range s.tokens {
			vals = addForms(vals, t)
		}
		s.known = newMatcher(vals)
	}
	return s.known
}
