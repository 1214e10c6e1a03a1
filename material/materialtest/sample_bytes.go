package materialtest

import (
	"bytes"

	"github.com/wxmaterial/wxmaterial/material"
)

// SampleBytes returns the file name and a copy of the bytes of Sample(k),
// for tests that compare what they get back with what they sent. It panics
// for news, as Sample does.
func SampleBytes(k material.Kind) (name string, data []byte) {
	name, data = sample(k, 0)
	return name, bytes.Clone(data)
}
