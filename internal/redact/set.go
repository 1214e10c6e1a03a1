package redact

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
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

// values returns every form of every value held, and the longest length.
func (s *Set) values() ([]string, int) {
	if s == nil {
		return nil, 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	vals := slices.Clone(s.secrets)
	for _, t := range s.tokens {
		vals = addForms(vals, t)
	}
	n := 0
	for _, v := range vals {
		n = max(n, len(v))
	}
	return vals, n
}

// SnippetLen is the most bytes of reply text Snippet keeps.
const SnippetLen = 160

// paramSlack is how far past the kept text Snippet looks, so that the value
// of a secret parameter cut by the window is still recognised.
const paramSlack = 64

// Snippet is the one way text taken from a reply (a body, an errmsg, a
// header) goes into an error or a log line. It replaces every value s
// holds (in any of the forms it registers) and the values of secret
// parameters (as String does), makes the text printable (control
// characters become spaces, invalid UTF-8 '?') and cuts it to SnippetLen
// bytes, marking a cut with "...". Whatever the size of text, only a
// window a little longer than SnippetLen plus the longest value is looked
// at; the text is cut before any value that window might hold only in
// part, so no fragment of a secret survives the cut. s may be nil.
func Snippet[T ~string | ~[]byte](text T, s *Set) string {
	vals, longest := s.values()
	window := SnippetLen + paramSlack + 2*longest
	w := string(text[:min(len(text), window)])
	// safe is where a held value could start and not end inside w.
	safe := len(w)
	if len(text) > len(w) {
		safe = len(w) - longest
	}
	hidden := matches(w, vals)
	var b strings.Builder
	i, cut := 0, len(text) > len(w)
	for i < len(w) {
		if b.Len() >= SnippetLen || i >= safe {
			cut = true
			break
		}
		if len(hidden) > 0 && hidden[0][0] == i {
			b.WriteString(Marker)
			i = hidden[0][1]
			hidden = hidden[1:]
			continue
		}
		b.WriteByte(w[i])
		i++
	}
	out := b.String()
	if cut { // do not let the cut split a character
		for i := len(out) - 1; i >= 0 && i >= len(out)-utf8.UTFMax; i-- {
			if utf8.RuneStart(out[i]) {
				if !utf8.FullRuneInString(out[i:]) {
					out = out[:i]
				}
				break
			}
		}
	}
	out = strings.ToValidUTF8(out, "?")
	out = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, out)
	if len(out) > SnippetLen {
		out = out[:SnippetLen]
		for !utf8.ValidString(out) {
			out = out[:len(out)-1]
		}
		cut = true
	}
	out = strings.TrimSpace(out)
	if cut {
		out += "..."
	}
	return out
}

// matches returns the byte ranges of w to hide, sorted and merged: every
// occurrence of a value of vals, and the values of secret parameters.
func matches(w string, vals []string) [][2]int {
	var r [][2]int
	for _, v := range vals {
		for off := 0; ; {
			j := strings.Index(w[off:], v)
			if j < 0 {
				break
			}
			r = append(r, [2]int{off + j, off + j + len(v)})
			off += j + 1
		}
	}
	for _, m := range pattern.FindAllStringSubmatchIndex(w, -1) {
		if m[4] < m[5] {
			r = append(r, [2]int{m[4], m[5]})
		}
	}
	slices.SortFunc(r, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	var merged [][2]int
	for _, m := range r {
		if n := len(merged); n > 0 && m[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], m[1])
			continue
		}
		merged = append(merged, m)
	}
	return merged
}

// Scrub returns text with every value s holds and the values of secret
// parameters replaced, whole: for short texts of known origin (a file name,
// a host). Text from a reply goes through Snippet.
func (s *Set) Scrub(text string) string {
	vals, _ := s.values()
	hidden := matches(text, vals)
	var b strings.Builder
	prev := 0
	for _, h := range hidden {
		b.WriteString(text[prev:h[0]])
		b.WriteString(Marker)
		prev = h[1]
	}
	b.WriteString(text[prev:])
	return b.String()
}
