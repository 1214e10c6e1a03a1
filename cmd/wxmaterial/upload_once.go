package main

import (
	"github.com/wxmaterial/wxmaterial/dedup"
	dedupredis "github.com/wxmaterial/wxmaterial/dedup/redisstore"
)

// envDedupPrefix overrides the key prefix of what upload --once remembers
// in Redis (dedupredis.DefaultPrefix).
const envDedupPrefix = "WXMATERIAL_REDIS_DEDUP_PREFIX"

// uploadOnce wraps b's client so that it uploads each content once
// (package dedup): in the Redis of --redis or $WXMATERIAL_REDIS_URL,
// shared with the servers that use dedup/redisstore, or else in memory for
// this run. It returns the wrapper and a function that closes its Redis
// client. A Redis that fails is warned about on stderr and bypassed.
func (a *app) uploadOnce(b *backend) (*dedup.Service, func() error, error) {
	warn := a.log()
	opts := []dedup.Option{dedup.WithLogger(warn)}
	closeRedis := func() error { return nil }
	rdb, err := a.redisClient()
	if err != nil {
		return nil, nil, err
	}
	if rdb != nil {
		var sopts []dedupredis.Option
		if p := a.getenv(envDedupPrefix); p != "" {
			sopts = append(sopts, dedupredis.WithPrefix(p))
		}
		store, err := dedupredis.New(rdb, append(sopts, dedupredis.WithLogger(warn))...)
		if err != nil {
			rdb.Close()
			return nil, nil, usagef("$%s: %v", envDedupPrefix, err)
		}
		opts, closeRedis = append(opts, dedup.WithStore(store)), rdb.Close
	}
	svc, err := dedup.New(b.svc, opts...)
	if err != nil {
		closeRedis()
		return nil, nil, err
	}
	return svc, closeRedis, nil
}
