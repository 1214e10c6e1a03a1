package officialaccount

import "github.com/wxmaterial/wxmaterial/material"

var (
	_ material.Identifier    = (*Client)(nil)
	_ material.URLDownloader = (*Client)(nil)
)

// Platform returns material.OfficialAccount.
func (c *Client) Platform() material.Platform { return material.OfficialAccount }

// Account returns the app id given to New: the account the client's media
// ids belong to. It is "" for a client made WithTokenSource and an empty
// app id.
func (c *Client) Account() string { return c.appID }
