package main

import (
	"context"

	"github.com/wxmaterial/wxmaterial/dedup"
	dedupredis "github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/material"
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
	if id, ok := b.svc.(material.Identifier); ok {
		// The wrapper below hides it; the keys are those of the fleet's
		// servers, which wrap the client itself.
		opts = append(opts, dedup.WithAccount(id.Platform(), id.Account()))
	}
	svc, err := dedup.New(announced{b.svc}, opts...)
	if err != nil {
		closeRedis()
		return nil, nil, err
	}
	return svc, closeRedis, nil
}

// announced is the client under upload --once: it says that a file is being
// uploaded (the function withAnnounce put in the context) when dedup
// uploads it, and not when dedup hands out the media id of an earlier
// upload.
type announced struct{ material.Service }

func (s announced) Upload(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	announce(ctx)
	return s.Service.Upload(ctx, kind, src)
}

func (s announced) UploadImage(ctx context.Context, src material.Source) (string, error) {
	announce(ctx)
	return s.Service.UploadImage(ctx, src)
}

type announceKey struct{}

// withAnnounce returns ctx carrying f, for announced to call.
func withAnnounce(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, announceKey{}, f)
}

// announce calls the function withAnnounce put in ctx, if any.
func announce(ctx context.Context) {
	if f, ok := ctx.Value(announceKey{}).(func()); ok {
		f()
	}
}
