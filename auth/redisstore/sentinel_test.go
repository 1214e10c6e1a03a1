//go:build unix

package redisstore_test

import (
	"testing"

	"github.com/wxmaterial/wxmaterial/internal/redistest"
)

// TestSentinel runs the store's main tests on a master found through a
// sentinel (redis.NewFailoverClient), as a fleet behind Sentinel would:
// one master and one sentinel, no failover.
func TestSentinel(t *testing.T) {
	t.Parallel()
	newStore := onSentinel(redistest.StartSentinel(t))
	for _, tt := range []struct {
		name string
		test func(t *testing.T, newStore stores)
	}{
		{name: "save load compare-and-delete", test: testSaveLoadCompareAndDelete},
		{name: "lock exclusive and released by its owner", test: testLockIsExclusiveAndReleasedByItsOwnerOnly},
		{name: "lock lapsed while its holder works", test: testLockLapsedWhileItsHolderWorks},
		{name: "fleet: one fetch per expiry and rejection", test: func(t *testing.T, newStore stores) {
			testCacheFleetOneFetchPerExpiryAndRejection(t, newPlatform(t), newStore)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, newStore)
		})
	}
}
