//go:build unix && !linux

package redistest

import "os/exec"

// setParentDeath does nothing here: only Linux can kill a child when its
// parent dies.
func setParentDeath(*exec.Cmd) {}
