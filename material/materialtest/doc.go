// Package materialtest helps test code that uses the material interfaces,
// and implementations of them.
//
// # The Fake
//
// Fake is an in-memory material.Service, material.Library and
// material.URLUploader with the rules of one platform, for the tests of
// code that takes a material.Service:
//
//	fake := materialtest.NewFake(material.OfficialAccount)
//	err := app.Publish(ctx, fake, ...) // the code under test
//	calls := fake.Calls()                // what it did
//
// It validates uploads exactly as the clients do (material.RuleFor and
// Rule.Prepare), keeps temporary media three days on a clock a test moves
// with Advance, enforces the library caps, runs upload-by-URL jobs that
// really fetch their URL, and answers with the errors the clients return:
// a *material.ValidationError for input refused before sending, a
// *material.APIError with the platform's errcode otherwise, both matching
// the material sentinels with errors.Is. Calls records every call; Prepend
// and FailNext make chosen calls fail.
//
// # The conformance suite
//
// Run checks that an implementation behaves as the interfaces say, through
// the interfaces only: uploads come back byte for byte, unknown ids are
// material.ErrNotFound, kinds the platform lacks are
// material.ErrUnsupported, files over a limit are refused before they are
// sent, temporary media expire after three days, the permanent library
// adds, gets, counts, deletes and lists every item exactly once, and
// upload-by-URL jobs succeed or fail with the platform's codes. It runs in
// this module against the Fake and against both clients on the emulator; a
// Harness tells it how to start a fresh implementation for each subtest.
package materialtest
