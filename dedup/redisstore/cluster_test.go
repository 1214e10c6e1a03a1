//go:build unix

package redisstore_test

import (
	"errors"
	"testing"

	"github.com/wxmaterial/wxmaterial/dedup"
	"github.com/wxmaterial/wxmaterial/dedup/deduptest"
	"github.com/wxmaterial/wxmaterial/dedup/redisstore"
	"github.com/wxmaterial/wxmaterial/internal/redistest"
	"github.com/wxmaterial/wxmaterial/material"
)

// These tests run the store on a real Cluster of three nodes through
// redis.ClusterClient values. The Redis keys of one dedup key (its entry
// and its lock) share a hash tag; the dedup keys of the tests spread over
// the nodes, so a command sent to the wrong node, or a script whose keys
// were in two slots (CROSSSLOT), would fail them.

// TestClusterConformance runs the Store suite on the Cluster; its keys
// (one or more per subtest) hash to every node.
func TestClusterConformance(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	newStore := onCluster(c)
	if _, err := redisstore.New(c.Client(t), redisstore.WithPrefix("env{a}:")); !errors.Is(err, material.ErrInvalidInput) {
		t.Errorf("New with a braced prefix on a ClusterClient = %v; want ErrInvalidInput", err)
	}
	deduptest.RunStore(t, func(t testing.TB) dedup.Store {
		s, _ := newStore(t)
		return s
	})
}

// TestClusterServicesUploadOnce: on each platform, eight Services over
// stores with ClusterClients of their own upload the same content at
// once, and one upload reaches the platform. The content's dedup keys on
// the two platforms are on two different nodes.
func TestClusterServicesUploadOnce(t *testing.T) {
	t.Parallel()
	c := redistest.SharedCluster(t)
	p := redistest.Prefix(t)
	newStore := onCluster(c).under(p) // the platforms' keys differ by their hash tag
	t.Run("platforms", func(t *testing.T) {
		eachPlatform(t, func(t *testing.T, pl material.Platform, g *gate, p *platform) {
			testServicesUploadOnce(t, pl, g, p, newStore, fixedFile(t, "cluster upload 2"))
		})
	})
	byNode, err := c.KeysByNode(t.Context(), p+"*:entry")
	if err != nil {
		t.Fatal(err)
	}
	nodes, entries := 0, 0
	for _, n := range byNode {
		entries += n
		if n > 0 {
			nodes++
		}
	}
	if entries != len(platforms) || nodes != len(platforms) {
		t.Errorf("the nodes hold %v entries; want one per platform, each on a node of its own", byNode)
	}
}

// TestClusterRejectedIDForgotten: remember, look up and forget a media id
// across Services on the Cluster.
func TestClusterRejectedIDForgotten(t *testing.T) {
	t.Parallel()
	testRejectedIDForgotten(t, onCluster(redistest.SharedCluster(t)), fixedFile(t, "cluster forget"))
}

// TestSentinelConformance runs the Store suite on a master found through a
// sentinel (redis.NewFailoverClient): one master, one sentinel, no
// failover.
func TestSentinelConformance(t *testing.T) {
	t.Parallel()
	sen := redistest.StartSentinel(t)
	deduptest.RunStore(t, func(t testing.TB) dedup.Store {
		return storeOn(t, sen.Client(t, 0))
	})
}
