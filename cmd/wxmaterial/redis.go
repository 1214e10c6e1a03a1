package main

import (
	"flag"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/auth"
	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/redact"
	"github.com/wxmaterial/wxmaterial/material"
)

// Sharing the fleet's token: with --redis (or $WXMATERIAL_REDIS_URL) the
// tool keeps its token in the Redis that the account's servers use with
// auth/redisstore, so a run takes their token instead of fetching one (a
// fetch of the plain token would rotate theirs out).
const (
	envRedisURL    = "WXMATERIAL_REDIS_URL"
	envRedisPrefix = "WXMATERIAL_REDIS_PREFIX"
)

// registerRedis defines --redis on fs.
func (g *globals) registerRedis(fs *flag.FlagSet) {
	fs.StringVar(&g.redisURL, "redis", g.redisURL, "share the account's access token (and, for upload --once, what was uploaded) with the servers that keep it in the Redis at `URL` "+
		"(redis://[user:password@]host:port/db, rediss://... or unix:///path?db=N; default $"+envRedisURL+
		", which keeps a password out of the process list; keys under $"+envRedisPrefix+", default "+redisstore.DefaultPrefix+")")
}

// fleetStable reports whether acc fetches the stable token.
func fleetStable(acc account) bool { return !acc.plain }

// fleetTokens returns acc's token source over the Redis of --redis or
// $WXMATERIAL_REDIS_URL, and a function that closes its client; nil, nil,
// nil when neither is given. The source works without Redis too: when
// Redis is down, it fetches on its own and warns on stderr.
func (a *app) fleetTokens(acc account) (auth.TokenSource, func() error, error) {
	rdb, err := a.redisClient()
	if rdb == nil || err != nil {
		return nil, nil, err
	}
	var sopts []redisstore.Option
	if p := a.getenv(envRedisPrefix); p != "" {
		sopts = append(sopts, redisstore.WithPrefix(p))
	}
	warn := a.log()
	store, err := redisstore.New(rdb, append(sopts, redisstore.WithLogger(warn))...)
	if err != nil {
		rdb.Close()
		return nil, nil, usagef("$%s: %v", envRedisPrefix, err)
	}
	log := a.verboseLog()
	var fopts []auth.FetcherOption
	if acc.baseURL != "" {
		fopts = append(fopts, auth.WithBaseURL(acc.baseURL))
	}
	if log != nil {
		fopts = append(fopts, auth.WithFetcherLogger(log))
	}
	var f auth.Fetcher
	switch {
	case acc.platform == material.WeCom:
		f, err = auth.NewWeCom(acc.corpID, acc.secret, fopts...)
	case fleetStable(acc):
		f, err = auth.NewStable(acc.appID, acc.secret, fopts...)
	default:
		f, err = auth.NewOfficialAccount(acc.appID, acc.secret, fopts...)
	}
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return auth.NewCache(f, auth.WithStore(store), auth.WithLogger(warn)), rdb.Close, nil
}

// setRedisLogger sets the Redis client's log once, before any client runs:
// redis.SetLogger sets a variable the clients read without a lock.
var setRedisLogger sync.Once

// redisClient returns a client of the Redis of --redis or
// $WXMATERIAL_REDIS_URL, or nil when neither is given. The Redis client's
// own log goes to the tool's logger (shown with -v).
func (a *app) redisClient() (*redis.Client, error) {
	opt, err := a.redisOptions()
	if opt == nil || err != nil {
		return nil, err
	}
	setRedisLogger.Do(func() { redis.SetLogger(redisLog{a.log()}) })
	return redis.NewClient(opt), nil
}

// redisOptions returns the client options of --redis or
// $WXMATERIAL_REDIS_URL, or nil when neither is given.
func (a *app) redisOptions() (*redis.Options, error) {
	raw := a.g.redisURL
	if raw == "" {
		raw = strings.TrimSpace(a.getenv(envRedisURL))
	}
	if raw == "" {
		return nil, nil
	}
	return parseRedisURL(raw)
}

// parseRedisURL reads a --redis URL into client options for a run of the
// tool: short timeouts that follow the context, and one try per call
// (unless the URL sets the timeouts or max_retries). Its errors never hold
// the URL's password.
//
// One try: go-redis retries a call that failed to connect (3 more times,
// with backoff, and each connection 5 times, 100 ms apart), which for a
// server gets through a restart. A run of the tool makes a few calls and
// goes on without Redis when one fails (the stores' fallback), so those
// retries only delay it: against a Redis that refuses connections, past
// the stores' timeout of 1 s each, which then reports "no answer" instead
// of the refusal. With one try, a refused connection fails at once and the
// warning names it; a Redis that does not answer still fails after the
// stores' timeout.
func parseRedisURL(raw string) (*redis.Options, error) {
	const want = "want redis://[user:password@]host:port/db, rediss://... or unix:///path?db=N"
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("--redis: not a URL (%s)", want)
	}
	q := u.Query()
	opt, err := redis.ParseURL(raw)
	if err != nil {
		msg := err.Error()
		if p, ok := u.User.Password(); ok && p != "" {
			msg = redact.Secrets(msg, p, url.QueryEscape(p), url.PathEscape(p))
		}
		return nil, usagef("--redis %s: %s (%s)", u.Redacted(), msg, want)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 2 * time.Second
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 2 * time.Second
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = 2 * time.Second
	}
	opt.ContextTimeoutEnabled = true
	if !q.Has("max_retries") {
		opt.MaxRetries = -1 // none
	}
	opt.DialerRetries = 1 // one dial (the URL cannot set it)
	return opt, nil
}
