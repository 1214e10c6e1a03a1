// Package auth provides the access tokens that every WeChat Official Account
// and WeCom API call carries.
//
// A client consumes a TokenSource: Token(ctx) for a valid token, and
// Invalidate(ctx, token) when the platform rejected that token (errcode
// 40001, 40014 or 42001). Build one from a Fetcher, which gets tokens from a
// platform, and a Cache, which keeps them:
//
//	f, err := auth.NewStable(appID, secret)
//	if err != nil { ... }
//	ts := auth.NewCache(f)
//
// # Which source to choose
//
//   - Official Account, NewStable (POST cgi-bin/stable_token): the platform's
//     recommendation, and this package's. A normal fetch returns the token
//     the platform already has, so any number of processes can each keep
//     their own Cache without disturbing one another. The fetcher forces a
//     new token only when the stable token itself was rejected, at most
//     once every 30 s.
//   - Official Account, NewOfficialAccount (GET cgi-bin/token): every fetch
//     rotates the token, and the previous one dies 5 minutes later. Two
//     processes that refresh it on their own invalidate each other's token,
//     the most common complaint about WeChat SDKs. Use it in one process
//     only, or give every process one shared Store (WithStore), such as
//     auth/redisstore, so that they share one token and one fetch;
//     prefer the stable token otherwise. It is limited to 2000 fetches a
//     day.
//   - WeCom, NewWeCom (GET cgi-bin/gettoken): one token per app (corp id and
//     the app's secret); one Cache per app.
//   - Static: a token managed elsewhere, e.g. by a central token service.
//     It is never refreshed: its Invalidate returns an error matching
//     ErrCannotRefresh, which tells the client not to replay.
//   - FetcherFunc: a Cache over your own fetch function, e.g. a call to a
//     central token service that can be asked for a new token.
//
// The plain and the stable token of one Official Account are independent:
// they have different Keys and may be used side by side.
//
// # The Cache
//
// A Cache returns the stored token while it is more than a margin (5 minutes
// by default, never more than half the token's lifetime) from its expiry.
// Otherwise one fetch serves every goroutine that asks meanwhile; it runs on
// its own context, limited by the fetch timeout (30 s by default), so a
// caller that gives up gets its context's error at once without aborting the
// fetch for the others. If the early refresh of a still valid token fails,
// the Cache logs a warning and keeps serving that token, trying again
// at most every 10 seconds, until it expires.
//
// Invalidate is a compare-and-delete: it drops the stored token only if it
// is still the rejected one. A hundred calls that fail with the same token
// cause one fetch, and a late Invalidate of an old token drops nothing.
//
// The Store decides how far a token is shared: a Cache has a private
// MemoryStore by default; a Store on a shared backend lets several processes
// use one token. A SharedStore (package auth/redisstore, on Redis) also
// lends the fleet a refresh lock: the Cache then keeps its token in memory,
// makes no round trip to the store while it is fresh, and one process
// fetches for all when it nears expiry or is rejected. When the store is
// down, each Cache fetches on its own and warns, and uses the store again
// when it answers.
//
// # Secrets
//
// No error or log line of this package holds an AppSecret, a corp secret or
// an access token. The token endpoints need the secret in the URL (or, for
// the stable token, in the body); every fetcher error goes through
// internal/redact, which also cleans the URL inside Go's *url.Error, and
// any text taken from a reply (an errmsg, a request id) is shown decoded
// (JSON \u escapes, HTML character references, URL escapes), cut short,
// and scrubbed of the secret and of every token the fetcher got, earlier
// ones included, whole or any run of 12 characters of one. No fetcher follows a redirect, whatever http.Client it is
// given (WithHTTPClient): a redirect would carry the secret to another
// host, and a 307 would re-post the stable_token body; a 3xx reply is a
// *material.APIError naming its status and the target's host only. Store
// keys never hold a secret: a WeCom key holds a hash of it. Token's String
// method does not print the value. Logging uses log/slog and is off by
// default (WithLogger, WithFetcherLogger).
//
// # Retries
//
// A fetch that fails in a way another attempt may fix (errcode -1, 45011
// on the Official Account, 45033 on WeCom, HTTP 429 or 5xx, a reply cut
// off, a connection error) is retried with backoff and jitter, a few times
// (WithFetcherRetry; the clients pass their own retry policy), within the
// fetch's context. An errcode about the credentials, the caller's IP or a
// quota (40001, 40013, 40125, 40164, 41002, 41004, 45009, 89503, ...) is
// the platform's answer and is not retried. A forced refresh of the stable
// token is retried only when the platform declined it in plain JSON: one
// whose reply was lost may have counted toward its 20 a day.
//
// # Errors
//
// A fetcher returns a *material.APIError when the platform answered with an
// errcode or an HTTP status other than 200, so errors.Is(err,
// material.ErrUnauthorized), errors.Is(err, material.ErrQuota) and the other
// sentinels work. Note that an errcode from a token endpoint means bad
// credentials or a quota, not a stale token: a client must invalidate and
// replay only when a business call was rejected, never because Token failed.
package auth
