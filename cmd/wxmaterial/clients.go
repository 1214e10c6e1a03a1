package main

import (
	"context"
	"errors"
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
	if !acc.plain {
		// The stable token does not rotate the plain one that the
		// account's other servers may use, nor spend its daily quota.
		opts = append(opts, officialaccount.WithStableToken())
	}
	if log != nil {
		opts = append(opts, officialaccount.WithLogger(log))
	}
	return officialaccount.New(acc.appID, acc.secret, opts...)
}

// addFinder is a library that can look for an item that an add whose
// outcome is unknown may have created: officialaccount.Client.
type addFinder interface {
	FindAdded(ctx context.Context, e *officialaccount.OutcomeUnknownError) ([]material.Item, error)
}

// findSlack is how far before an add findAdded looks, for the clocks.
const findSlack = officialaccount.FindSlack

// errCannotFind says that a library cannot look for an item it may have
// added.
var errCannotFind = errors.New("this backend cannot look for an item it may have added")

// findAdded returns the items of kind named name that lib holds and that
// were updated since since (less the slack officialaccount.FindSlack
// allows for clocks), newest first.
func findAdded(ctx context.Context, lib material.Library, kind material.Kind, name string, since time.Time) ([]material.Item, error) {
	f, ok := lib.(addFinder)
	if !ok {
		return nil, errCannotFind
	}
	return f.FindAdded(ctx, &officialaccount.OutcomeUnknownError{Kind: kind, Name: name, Since: since})
}
