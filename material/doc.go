// Package material is the vocabulary of wxmaterial: the kinds of media, the
// files to upload (Source), what comes back (Media, Content, Asset, Item),
// the interfaces both platforms implement (Service, Library, URLUploader),
// the errors they share and each platform's limits as data.
//
// It imports nothing else of wxmaterial. The clients live in
// github.com/wxmaterial/wxmaterial/officialaccount (WeChat Official Accounts)
// and github.com/wxmaterial/wxmaterial/work (one WeCom agent); an in-memory
// fake and a conformance suite in .../material/materialtest.
//
// # One interface, two platforms
//
// Code that takes a Service uploads and downloads temporary media on either
// platform. What only one platform has is a separate interface: Library for
// the Official Account permanent library, URLUploader for WeCom's
// upload-by-URL jobs. Check for them with a type assertion.
//
// Small optional interfaces tell what a Service is: Platformer (its
// platform), Identifier (its platform and account) and URLDownloader (it
// can fetch the links its platform hands out). Both clients and
// materialtest.Fake implement them.
//
// # Copying
//
// Copy streams an item from any Service to any other: temporary media
// between the platforms, or (FromLibrary, ToLibrary) an item of one
// Official Account's permanent library into another's. It maps kinds
// where the platforms differ (CopyKind), refuses what the target cannot
// take before downloading, and never holds the whole file in memory.
//
// # Errors
//
// Every error a client returns matches one or more sentinels with
// errors.Is: ErrNotFound, ErrTooLarge, ErrInvalidFormat, ErrUnsupported,
// ErrQuota, ErrUnauthorized, ErrBusy and the rest. A platform's answer is an
// *APIError (platform, endpoint, errcode, message, request id); an input
// refused before sending is a *ValidationError naming the limit it breaks;
// a failed upload-by-URL job is a *JobError.
//
// # Limits
//
// Rules returns the current size, format and voice-length limits of every
// kind on every upload API of both platforms (docs/limits.md lists them with
// their upstream pages; docs/wire.md §6 gives the platforms' own tables).
// Clients check them
// before a byte is sent; RuleFor and Rule.Validate let applications check
// early too, and MeasureDuration measures a voice's playback length from
// its headers. The platform's own verdict is still decoded if a limit
// changes upstream.
package material
