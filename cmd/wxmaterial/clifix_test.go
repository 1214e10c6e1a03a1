package main

import (
	"strings"
	"testing"
)

// TestDeleteErrorLinesPrefixed: each failure of a delete of several ids is
// a line of its own with the command's prefix.
func TestDeleteErrorLinesPrefixed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := s.run(t, "delete", "nosuch-a", "nosuch-b")
	r.fails(t, exitFailure, "nosuch-b")
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "nosuch-") {
			got = append(got, l)
		}
	}
	if len(got) != 2 {
		t.Fatalf("want one error line per id, got:\n%s", r.stderr)
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "wxmaterial delete: ") {
			t.Errorf("error line without the prefix: %q\nstderr:\n%s", l, r.stderr)
		}
	}
}
