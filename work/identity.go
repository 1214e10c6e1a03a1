package work

import "github.com/wxmaterial/wxmaterial/material"

var _ material.Identifier = (*Client)(nil)

// Platform returns material.WeCom.
func (c *Client) Platform() material.Platform { return material.WeCom }

// Account returns the corp id: temporary media ids are shared by every
// agent of a corp, so the corp is the account they belong to.
func (c *Client) Account() string { return c.corpID }
