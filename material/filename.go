package material

// CheckFileName checks a file name to send as Source.WithName and
// WithFileName would use it (its base name): a name that is empty, "." or
// ".." names no file, and the platforms refuse it (41005, 40058). The
// error matches ErrInvalidInput. It is the check Rule.Validate makes on a
// Source's name, for callers that take a name before they have the file,
// such as a command-line flag.
func CheckFileName(name string) error {
	if problem := nameProblem(baseName(name)); problem != "" {
		return &ValidationError{Field: "name", Problem: problem, Err: []error{ErrInvalidInput}}
	}
	return nil
}
