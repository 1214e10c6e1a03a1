// Package hostile has no code of its own. Its tests play a hostile server
// and a hostile caller against both clients (officialaccount and work),
// over real HTTP, to prove the promises the clients make:
//
//   - a write is sent at most once unless the platform provably did not
//     act on it, and a write whose outcome cannot be known ends in an error
//     matching material.ErrOutcomeUnknown;
//   - no request that carries a secret or an access token follows a
//     redirect, whatever http.Client the caller passes;
//   - no token or secret a client holds or held appears in an error or a
//     log line, whatever a server echoes, in any content type or size,
//     escaped (JSON, HTML, URL) or in part (12 characters or more);
//   - a download returns the file or an error, never an error reply as
//     media;
//   - a source that yields more or fewer bytes than it declared fails
//     before the platform gets a complete request;
//   - under every fault the emulator can inject, every call of both
//     clients ends in one success or a typed error, and the permanent
//     library never holds more items than the successful Adds plus the
//     Adds whose outcome is unknown.
package hostile
