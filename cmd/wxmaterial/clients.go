package main

import (
	"errors"
	"log/slog"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
)

// errNoWorkClient is returned until the work package is merged into this
// branch.
var errNoWorkClient = errors.New("this build has no WeCom client yet (the work package is not merged)")

// newClient builds the client of acc's platform. It is the only place that
// knows the concrete client packages; everything else uses the material
// interfaces.
func newClient(acc account, log *slog.Logger) (material.Service, error) {
	switch acc.platform {
	case material.WeCom:
		return nil, errNoWorkClient
	default:
		var opts []officialaccount.Option
		if acc.baseURL != "" {
			opts = append(opts, officialaccount.WithBaseURL(acc.baseURL))
		}
		if acc.stable {
			opts = append(opts, officialaccount.WithStableToken())
		}
		if log != nil {
			opts = append(opts, officialaccount.WithLogger(log))
		}
		return officialaccount.New(acc.appID, acc.secret, opts...)
	}
}
