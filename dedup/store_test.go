package dedup_test

import (
	"testing"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/deduptest"
)

func TestMemoryStore(t *testing.T) {
	deduptest.RunStore(t, func(testing.TB) dedup.Store { return dedup.NewMemoryStore() })
}
