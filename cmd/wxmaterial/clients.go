package main

import (
	"context"
	"errors"
	"fmt"
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

// outcomeUnknown is an add to the library whose reply was lost, said for a
// user of the tool: what to run to see whether the item is there, where
// the library's message names a Go function (FindAdded).
type outcomeUnknown struct {
	e    *officialaccount.OutcomeUnknownError
	hint string // what to do, or ""
}

func (o *outcomeUnknown) Error() string {
	msg := fmt.Sprintf("adding %s %q to the library: the request was sent but the reply was lost (%v), so the item may or may not be in the library; it was not sent again, to avoid a copy too many",
		o.e.Kind, o.e.Name, o.e.Err)
	if o.hint != "" {
		msg += "; " + o.hint
	}
	return msg
}

// Unwrap returns the library's error, which matches
// material.ErrOutcomeUnknown.
func (o *outcomeUnknown) Unwrap() error { return o.e }

// explainOutcome returns err, or when it is an add whose outcome is
// unknown, the same error said for a user of the tool. With look, it says
// how to look for the item: with 'wxmaterial list' and the flags of the
// account added to (account), for the name, updated since the add.
func explainOutcome(err error, look bool, account string) error {
	var e *officialaccount.OutcomeUnknownError
	if !errors.As(err, &e) {
		return err
	}
	o := &outcomeUnknown{e: e}
	if look {
		list := "'wxmaterial list --kind " + string(e.Kind) + "'"
		if e.Kind == material.KindThumb {
			list = "'wxmaterial list --kind image' (the library lists thumbs as images)"
		}
		o.hint = fmt.Sprintf("to see whether it is there, run %s %s and look for %q updated at %s or later (allow for the clocks' difference); if it is not there, add it again",
			list, account, e.Name, stamp(e.Since))
	}
	return o
}
