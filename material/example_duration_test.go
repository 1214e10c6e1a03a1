package material_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/wxmaterial/wxmaterial/material"
)

// A voice's length is measured from its headers; a rule refuses one over
// the platform's 60 s before anything is sent.
func ExampleMeasureDuration() {
	amr := []byte("#!AMR\n") // narrow-band AMR: 3050 frames of 20 ms at 4.75 kbit/s
	for range 3050 {
		amr = append(amr, 0x04)
		amr = append(amr, make([]byte, 12)...)
	}
	d, err := material.MeasureDuration(bytes.NewReader(amr), material.FormatAMR, int64(len(amr)))
	fmt.Println(d, err)

	rule, _ := material.RuleFor(material.WeCom, material.APITemporary, material.KindVoice)
	err = rule.Validate(material.FromBytes("memo.amr", amr))
	fmt.Println(errors.Is(err, material.ErrTooLong))
	fmt.Println(err)
	// Output:
	// 1m1s <nil>
	// true
	// WeCom temporary voice "memo.amr" duration "61 s": plays longer than the 60 s limit (measured from its AMR frames)
}
