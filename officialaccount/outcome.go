package officialaccount

import (
	"context"
	"fmt"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// OutcomeUnknownError is what Add and AddVideo return when the request was
// sent in full but no usable answer came back: the connection dropped, the
// reply was cut off or could not be read, a gateway answered an HTTP error
// status or an HTML page, the reply held no media_id, or the context ended
// while the reply was awaited. The platform may or may not have added the
// file. The client does not resend it, since that could leave the file
// twice in the library. It matches material.ErrOutcomeUnknown and the
// underlying error.
//
// To settle it, look for the item: FindAdded lists the newest items of the
// kind named Name and updated since Since; or Count and compare.
type OutcomeUnknownError struct {
	Kind  material.Kind // the kind being added
	Name  string        // the file name sent
	Since time.Time     // the client's clock just before the request was sent
	Err   error         // the transport's error
}

// Error says what happened and what to do.
func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("officialaccount: add material %s %q: the request was sent but its outcome is unknown (it was not resent, to avoid a duplicate; use FindAdded to look for it): %v", e.Kind, e.Name, e.Err)
}

// Unwrap returns material.ErrOutcomeUnknown and the transport's error.
func (e *OutcomeUnknownError) Unwrap() []error { return []error{material.ErrOutcomeUnknown, e.Err} }

// FindSlack is how far before OutcomeUnknownError.Since FindAdded still
// looks, to allow for the difference between the client's clock and the
// platform's.
const FindSlack = 2 * time.Minute

// FindAdded looks in the library for the item an Add that returned e may
// have created: items of e's kind (thumbs are listed as images) named
// e.Name and updated no earlier than e.Since minus FindSlack, newest first.
// It reads pages until the items get older than that. No item means the
// Add most likely did not land and may be retried; one item is most likely
// it. Another client adding a file of the same name at the same time would
// also be found: FindAdded cannot tell them apart.
func (c *Client) FindAdded(ctx context.Context, e *OutcomeUnknownError) ([]material.Item, error) {
	kind := e.Kind
	if kind == material.KindThumb {
		kind = material.KindImage
	}
	after := e.Since.Add(-FindSlack).Truncate(time.Second)
	var found []material.Item
	for it, err := range c.List(ctx, kind) {
		if err != nil {
			return found, err
		}
		if !it.UpdatedAt.IsZero() && it.UpdatedAt.Before(after) {
			break // newest first: the rest is older
		}
		if it.Name == e.Name {
			found = append(found, it)
		}
	}
	return found, nil
}
