package emulator

import (
	"cmp"
	"slices"
)

// Reset forgets everything the emulator holds (accounts, tokens, media and
// their bytes, quotas, upload-by-URL jobs), takes every fault out of force
// and empties the request log, leaving it as a new emulator with the same
// options. Jobs still running finish into nothing. A request in service
// while Reset runs may leave its result in the emptied state.
func (e *Emulator) Reset() error {
	e.mu.Lock()
	for id := range e.st.Media {
		e.dropMediaLocked(id)
	}
	e.st = newState()
	e.rebuildIndex()
	e.touch()
	e.mu.Unlock()
	e.ClearFaults()
	e.ResetRequests()
	e.persist()
	return e.Err()
}

// MediaFilter selects media for ListMedia; an empty field matches all.
type MediaFilter struct {
	Platform Platform
	Owner    string // appid or corpid
	Family   string // temporary, permanent, imageurl or mass
	Kind     string // image, voice, video, thumb, file or news
	// WithExpired includes temporary media whose 3 days have passed but
	// that the emulator has not forgotten yet.
	WithExpired bool
}

// ListMedia returns the media records f selects, oldest first.
func (e *Emulator) ListMedia(f MediaFilter) []MediaInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	var recs []*mediaRec
	for _, m := range e.st.Media {
		if (f.Platform != "" && m.Platform != f.Platform) || (f.Owner != "" && m.Owner != f.Owner) ||
			(f.Family != "" && m.Family != f.Family) || (f.Kind != "" && m.Kind != f.Kind) ||
			(!f.WithExpired && m.expired(now)) {
			continue
		}
		recs = append(recs, m)
	}
	slices.SortFunc(recs, func(a, b *mediaRec) int { return cmp.Compare(a.Seq, b.Seq) })
	out := make([]MediaInfo, len(recs))
	for i, m := range recs {
		out[i] = m.info(now)
	}
	return out
}
