package transport

import (
	"context"
	"io"

	"github.com/wxmaterial/wxmaterial/material"
)

// The pieces of DownloadFile, for the tests of package transport_test.
type RangeFunc = rangeFunc

var DownloadRanges = downloadRanges

// Resume is resume for a first reply that names no version of the file.
func Resume(ctx context.Context, c *material.Content, fetch RangeFunc, opts RangeOptions) *material.Content {
	return resume(ctx, c, version{}, fetch, opts)
}

// RangeFetcher returns the rangeFunc DownloadFile uses for req.
func (c *Client) RangeFetcher(req *Request) RangeFunc { return c.rangeFetcher(req) }

// Form renders the multipart form Request.File and Fields make, read
// through one attempt's reader, and its Content-Type and declared size.
func Form(fields []Field, file material.Source, withLength bool) (raw []byte, contentType string, size int64, err error) {
	f, err := newForm(fields, file, withLength)
	if err != nil {
		return nil, "", 0, err
	}
	r := f.reader()
	defer r.(io.Closer).Close()
	raw, err = io.ReadAll(r)
	return raw, f.contentType, f.size(), err
}

// FilenameOf is the name a download's Content gets from a
// Content-Disposition header.
var FilenameOf = filenameOf
