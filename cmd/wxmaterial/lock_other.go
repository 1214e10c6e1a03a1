//go:build !unix

package main

// lockDir does nothing where flock is missing: do not run two wxmaterial
// processes on one emulator state folder at a time.
func lockDir(dir string) (unlock func(), err error) {
	return func() {}, nil
}
