//go:build unix

package redisstore_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wxmaterial/wxmaterial/auth/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

// The Redis keys of one Cache key share a hash tag, so that the scripts
// that touch two of them (the lock and the holder, the token and the
// holder) run on one Cluster node. These tests run the store's behaviours
// on a real Cluster of three nodes through redis.ClusterClient values: a
// script whose keys were in two slots would fail with CROSSSLOT, and a
// command sent to the wrong node would be redirected (MOVED) and fail
// when the client did not follow.

// TestCluster runs the store's and the Cache's tests of one key on the
// Cluster.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	newStore := onCluster(c)

	// The keys the tests use hash to every node.
	s, _ := newStore(t)
	rdb := c.Client(t)
	masters := map[string]bool{}
	for _, key := range []string{"k", "j", "dead", "held", "free", "ka", "kb", "kc", "officialaccount:token:wx1"} {
		m, err := rdb.MasterForKey(t.Context(), s.LockKey(key))
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Options().Addr] = true
	}
	if len(masters) != redistest.SharedClusterNodes {
		t.Errorf("the tests' keys are on %d nodes, want all %d", len(masters), redistest.SharedClusterNodes)
	}

	// A prefix with a brace would move the hash tag: refused on a
	// ClusterClient too.
	if _, err := redisstore.New(rdb, redisstore.WithPrefix("env{a}:")); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("New with a braced prefix = %v; want ErrInvalidInput", err)
	}

	for _, tt := range []struct {
		name string
		test func(t *testing.T, newStore stores)
	}{
		{name: "save load compare-and-delete", test: testSaveLoadCompareAndDelete},
		{name: "values that do not decode", test: testLoadDropsWhatDoesNotDecode},
		{name: "lock exclusive and released by its owner", test: testLockIsExclusiveAndReleasedByItsOwnerOnly},
		{name: "lock lapsed while its holder works", test: testLockLapsedWhileItsHolderWorks},
		{name: "wait for a lock", test: testWaitUnlock},
		{name: "cache: lock lapsed while its holder works", test: testCacheLockLapsedWhileItsHolderWorks},
		{name: "cache: waits for the holder", test: testCacheWaitsForTheHolderThenTakesItsToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, newStore)
		})
	}
}

// TestClusterFleet: for each of three accounts, eight Caches, each over a
// store with a ClusterClient of its own, make one fetch cold at once and
// one more when all are told the token was rejected (the compare-and-delete
// of the token). The accounts' token keys are on the three nodes, one
// each.
func TestClusterFleet(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	p := prefix(t)
	newStore := onCluster(c).under(p) // the accounts' keys differ by their hash tag
	t.Run("accounts", func(t *testing.T) {
		for _, appID := range []string{"wxcluster00000001", "wxcluster00000002", "wxcluster00000003"} {
			t.Run(appID, func(t *testing.T) {
				t.Parallel()
				testCacheFleetOneFetchPerExpiryAndRejection(t, newPlatformOf(t, appID, "SECRET-"+appID), newStore)
			})
		}
	})
	got, err := c.KeysByNode(t.Context(), p+"*:token")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, addr := range c.Addrs() {
		want[addr] = 1
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token keys by node (-want +got):\n%s", diff)
	}
}
