package material

import "strings"

// CheckFileName checks a file name to send as Source.WithName and
// WithFileName would use it (its base name): a name that is empty, "." or
// ".." names no file, and the platforms refuse it (41005, 40058); one that
// is not UTF-8, or holds a control character or a bidirectional override
// or isolate, would not read as it is. The error matches ErrInvalidInput. It is the check Rule.Validate makes on a
// Source's name, for callers that take a name before they have the file,
// such as a command-line flag.
func CheckFileName(name string) error {
	if problem := nameProblem(baseName(name)); problem != "" {
		return &ValidationError{Field: "name", Problem: problem, Err: []error{ErrInvalidInput}}
	}
	return nil
}

// CleanFileName returns name (its base name) without what CheckFileName
// refuses in a name that is there: control characters and bidirectional
// overrides and isolates removed, bytes that are not UTF-8 replaced by
// "_". It is for names that come from elsewhere (a library, a backup, a
// download) and are kept rather than refused; Copy applies it to the
// source's name. The result may still be empty, "." or "..".
func CleanFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if unsafeNameRune(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(baseName(name), "_"))
}
