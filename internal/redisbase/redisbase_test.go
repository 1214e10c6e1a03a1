//go:build unix

package redisbase_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wxmaterial/wxmaterial/internal/redisbase"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.QuietClient() // before any client runs: its dial errors are what the tests provoke
	os.Exit(redistest.Main(m))
}

// get is a call of a store: a GET of key.
func get(ctx context.Context, c *redisbase.Conn) error {
	_, err := redisbase.Call(ctx, c, "load", "k", func(ctx context.Context) (string, error) {
		v, err := c.RDB.Get(ctx, "k").Result()
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return v, err
	})
	return err
}

// TestCallFailures: a call that Redis refuses fails with the refusal (the
// dial error, without the password), as soon as the client gives up, not
// when the store's timeout ends it; a Redis that does not answer fails
// with the timeout.
func TestCallFailures(t *testing.T) {
	t.Parallel()
	const password = "pa55word-0123456789"
	oneTry := func(o *redis.Options) { o.MaxRetries, o.DialerRetries = -1, 1 }
	tests := []struct {
		name     string
		stop     func(*redistest.Server) error
		options  func(*redis.Options)
		timeout  time.Duration
		want     string // in the error
		timedOut bool   // the error matches context.DeadlineExceeded
	}{
		// The timeout is long: a call that waited for it would fail
		// the test by the message, "no answer within 1h0m0s".
		{name: "refused, one try", stop: (*redistest.Server).Stop, options: oneTry, timeout: time.Hour,
			want: "connect: connection refused"},
		// go-redis retries a refused dial, with backoff, until the
		// store's timeout ends the call: the documented cost of its
		// defaults.
		{name: "refused, go-redis retries", stop: (*redistest.Server).Stop, options: func(*redis.Options) {}, timeout: 300 * time.Millisecond,
			want: "no answer within 300ms", timedOut: true},
		{name: "no answer", stop: (*redistest.Server).Pause, options: oneTry, timeout: 300 * time.Millisecond,
			want: "no answer within 300ms", timedOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t, redistest.WithTCP())
			opt := srv.Options(0)
			opt.Password = password
			tt.options(opt)
			rdb := redis.NewClient(opt)
			t.Cleanup(func() { rdb.Close() })
			if err := tt.stop(srv); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = srv.Resume() })
			c := &redisbase.Conn{RDB: rdb, Name: "teststore", Timeout: tt.timeout}

			err := get(t.Context(), c)
			if err == nil || !strings.Contains(err.Error(), "teststore: load k: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("the call failed with %v; want an error naming the store, the call and %q", err, tt.want)
			}
			if got := errors.Is(err, context.DeadlineExceeded); got != tt.timedOut {
				t.Errorf("errors.Is(%v, context.DeadlineExceeded) = %v, want %v", err, got, tt.timedOut)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error holds the password: %v", err)
			}
		})
	}
}

// TestStrict: a stored value decodes only as one JSON object of the type's
// fields, in a key with a TTL.
func TestStrict(t *testing.T) {
	type v struct {
		A string `json:"a"`
	}
	for _, tc := range []struct {
		name, raw string
		pttl      int64
		want      v
		problem   string
	}{
		{name: "good", raw: `{"a":"x"}`, pttl: 1000, want: v{A: "x"}},
		{name: "empty", raw: "", pttl: 1000, problem: "empty value"},
		{name: "garbage", raw: "garbage", pttl: 1000, problem: "not the JSON of a thing"},
		{name: "unknown field", raw: `{"a":"x","b":1}`, pttl: 1000, problem: "not the JSON of a thing"},
		{name: "two objects", raw: `{"a":"x"} {"a":"y"}`, pttl: 1000, problem: "not the JSON of a thing"},
		{name: "no TTL", raw: `{"a":"x"}`, pttl: -1, want: v{A: "x"}, problem: "no TTL"},
	} {
		got, problem := redisbase.Strict[v](tc.raw, tc.pttl, "a thing")
		if got != tc.want || problem != tc.problem {
			t.Errorf("%s: Strict = %+v, %q; want %+v, %q", tc.name, got, problem, tc.want, tc.problem)
		}
	}
}
