package officialaccount

import (
	"context"
	"net/url"

	"github.com/wxmaterial/wxmaterial/material"
	"github.com/wxmaterial/wxmaterial/transport"
)

// upload validates src against the rule of kind on api, then sends it as the
// multipart part "media" (fields first) to path, decoding the reply into
// out. Nothing is sent when validation fails. A source of unknown size is
// spooled to a temporary file first (Rule.Prepare), at most the limit.
func (c *Client) upload(ctx context.Context, api material.API, kind material.Kind, src material.Source, path string, query url.Values, fields []transport.Field, out any) error {
	rule, err := material.RuleFor(material.OfficialAccount, api, kind)
	if err != nil {
		return err
	}
	return c.t.Upload(ctx, path, query, rule, src, fields, out)
}
