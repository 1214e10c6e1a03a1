package officialaccount

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

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

// unixTime is a Unix time in seconds that the platform writes as a number
// or, in some documents, a string.
type unixTime int64

func (u *unixTime) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		n = json.Number(s)
	}
	if n == "" {
		*u = 0
		return nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return err
	}
	*u = unixTime(v)
	return nil
}

// timeOr returns u as a time, or now() when the platform gave none.
func (u unixTime) timeOr(now func() time.Time) time.Time {
	if u <= 0 {
		return now().Truncate(time.Second)
	}
	return time.Unix(int64(u), 0)
}
