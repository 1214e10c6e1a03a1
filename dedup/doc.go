// Package dedup uploads each file once: a material.Service wrapper that
// remembers which media id a content already has on an account, and hands
// it out again instead of uploading the same bytes anew.
//
//	oa, err := officialaccount.New(appID, secret)
//	...
//	svc, err := dedup.New(oa) // a material.Service
//	m, err := svc.Upload(ctx, material.KindImage, welcome) // uploads
//	m, err = svc.Upload(ctx, material.KindImage, welcome)  // the same id, no upload
//
// Apps send the same files again and again (a welcome image, a price list);
// each upload spends the platform's quotas and time, and temporary media
// live three days anyway.
//
// # What is remembered
//
// The key of a content is its SHA-256 with the platform, the account (the
// Official Account's app id, the WeCom corp id, whose agents share media
// ids), and the kind; on WeCom, which keeps a file's name and shows it to
// the people who receive it, the file name too:
//
//	officialaccount:<appid>:<kind>:<sha256 hex>
//	work:<corpid>:<kind>:<sha256 hex>:<file name, URL path-escaped>
//
// with "uploadimg" as the kind of UploadImage. The value is the media id (or
// URL) with its creation and expiry times. An upload of a content whose id
// has more than the margin (DefaultMargin, an hour; WithMargin) left
// returns that id; otherwise the content is uploaded again and the new id
// remembered until it expires. Rich-text image URLs are remembered for
// DefaultImageLifetime (WithImageLifetime).
//
// Hashing needs a second read of the file, so only a replayable
// material.Source (FromFile, FromBytes, FromReader over an *os.File or a
// bytes.Reader with its size) is hashed, streaming, never held in memory.
// A one-shot Source (FromReader over a plain io.Reader) is uploaded as
// usual, unhashed, and so is a Source the platform's rules refuse, so that
// the wrapped Service refuses it as it would without the wrapper, before
// reading it.
//
// A file rewritten between its hashing and its upload (or a byte slice
// changed in place) would leave the hash of its old bytes naming a media
// id that holds the new ones. So the wrapper hashes the bytes the wrapped
// Service reads as they stream to the upload (no further read of the
// file), and remembers the id only when every complete read of the upload
// hashed to the key; otherwise the upload's result is returned, not
// remembered nor handed to concurrent uploads of the old bytes, and a
// warning naming the file is logged.
//
// # One upload at a time
//
// Concurrent uploads of the same content make one upload: within a process
// a single flight per key, and across processes the Store's per-key lock,
// which one uploader holds while the others wait for the id it saves. A
// lock lapses after WithLockTTL, so a process that dies holding it delays
// the others by that much at most. An upload waits for another's lock at
// most twice WithLockTTL, and at most half the time its context has left;
// past that (a lock someone else set, or a holder that outlived its lock)
// it uploads without the lock, logs a warning naming the lock (at most
// once a minute), and remembers the id.
//
// # Where it is kept
//
// A Store keeps the memory: MemoryStore, in process memory, by default. A
// Store shared by a fleet (on Redis: package
// github.com/wxmaterial/wxmaterial/dedup/redisstore) makes a fleet upload a
// given file once per three days. A Store that fails is logged and
// bypassed: uploads go on without it, never fail or hang because of it.
//
// # When the platform forgets first
//
// A remembered id the platform rejects as unknown (errcode 40007,
// material.ErrNotFound) is forgotten, compare-and-delete, so that an id
// another process saved since stays. The wrapper sees the rejection where
// the id passes through it: Use (upload, call the caller's function that
// uses the id, and on ErrNotFound forget the id, upload again and call it
// once more), Download of an id it handed out, and Forget.
//
// The wrapper is a material.Service, material.Identifier and
// material.URLDownloader; the wrapped client's library and upload-by-URL
// jobs are reached through Unwrap.
package dedup
