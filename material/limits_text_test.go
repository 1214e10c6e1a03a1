package material

import "testing"

// TestSizeAndLimitText: a size over a limit never reads like the limit,
// and both say their exact number of bytes.
func TestSizeAndLimitText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int64
		limit int64
		want  string // the sentence Validate writes
	}{
		{name: "the issue's voice", size: 2103206, limit: 2 * mb, want: "2.01 MB (2103206 bytes) is over the 2 MB (2097152 bytes) limit"},
		{name: "one byte over", size: 2*mb + 1, limit: 2 * mb, want: "2.000001 MB (2097153 bytes) is over the 2 MB (2097152 bytes) limit"},
		{name: "a round size", size: 3 * mb, limit: 2 * mb, want: "3 MB (3145728 bytes) is over the 2 MB (2097152 bytes) limit"},
		{name: "under 1 MB", size: mb, limit: mb - 1, want: "1 MB (1048576 bytes) is over the 1048575-byte (under 1 MB) limit"},
		{name: "just under a round number is not rounded up", size: 2*mb - 1, limit: mb, want: "1.999999 MB (2097151 bytes) is over the 1 MB (1048576 bytes) limit"},
		{name: "KB", size: 64*kb + 1, limit: 64 * kb, want: "64.001 KB (65537 bytes) is over the 64 KB (65536 bytes) limit"},
		{name: "bytes", size: 7, limit: 5, want: "7 bytes is over the 5-byte limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sizeText(tc.size) + " is over the " + limitText(tc.limit) + " limit"; got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
