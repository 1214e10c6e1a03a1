package main

import (
	"log/slog"
	"time"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/officialaccount"
	"github.com/wxmaterial/wxmaterial/work"
)

// newClient builds the client of acc's platform, on ts when it is not nil
// (the token shared through --redis). It is the only place that knows the
// concrete client packages; everything else uses the material interfaces.
func newClient(acc account, ts auth.TokenSource, log *slog.Logger) (material.Service, error) {
	if acc.platform == material.WeCom {
		var opts []work.Option
		if ts != nil {
			opts = append(opts, work.WithTokenSource(ts))
		}
		if acc.baseURL != "" {
			opts = append(opts, work.WithBaseURL(acc.baseURL))
		}
		if acc.embedded {
			// The embedded emulator finishes a job in moments: poll often.
			opts = append(opts, work.WithWait(50*time.Millisecond, time.Second))
		}
		if log != nil {
			opts = append(opts, work.WithLogger(log))
		}
		return work.New(acc.corpID, acc.agentID, acc.secret, opts...)
	}
	var opts []officialaccount.Option
	if ts != nil {
		opts = append(opts, officialaccount.WithTokenSource(ts))
	}
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
