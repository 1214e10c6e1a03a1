package work_test

import (
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/material/materialtest"
)

// TestConformance runs the material conformance suite on a work.Client
// talking to a fresh emulator per subtest. The emulator's upload-by-URL
// jobs fetch the suite's files from loopback servers with its default job
// client; Advance moves the emulator's fake clock, which the client's token
// cache reads too.
func TestConformance(t *testing.T) {
	materialtest.Run(t, materialtest.Harness{
		Platform: material.WeCom,
		New: func(t testing.TB) materialtest.Env {
			e := newEnv(t, nil)
			return materialtest.Env{Service: e.c, Advance: e.clock.Advance}
		},
	})
}
