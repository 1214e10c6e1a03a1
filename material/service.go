package material

import (
	"context"
	"iter"
)

// Service is what both platforms do: temporary media, kept three days, and
// images for rich text, answered with a permanent URL. officialaccount.Client
// and work.Client implement it, and so does materialtest.Fake; code written
// against Service runs on either backend unchanged.
//
// Every method validates its input against the platform's limits before
// sending anything; errors match the sentinels of this package.
type Service interface {
	// Upload uploads src as temporary media of the given kind.
	Upload(ctx context.Context, kind Kind, src Source) (Media, error)
	// UploadImage uploads an image for rich text (article bodies, welcome
	// messages) and returns its URL. It does not count against any library.
	UploadImage(ctx context.Context, src Source) (url string, err error)
	// Download streams temporary media. The caller closes the Content.
	Download(ctx context.Context, mediaID string) (*Content, error)
	// DownloadHDVoice streams a voice recorded with the JS-SDK as 16 kHz
	// speex. The caller closes the Content.
	DownloadHDVoice(ctx context.Context, mediaID string) (*Content, error)
}

// Library is the Official Account permanent library.
type Library interface {
	// Add adds an image, voice or thumb. Videos need a description: use
	// AddVideo.
	Add(ctx context.Context, kind Kind, src Source) (Media, error)
	// AddVideo adds a video with its title and introduction.
	AddVideo(ctx context.Context, src Source, desc VideoDescription) (Media, error)
	// Get returns a permanent item: a file, a video's description and link,
	// or a news item's articles.
	Get(ctx context.Context, mediaID string) (*Asset, error)
	// Delete removes a permanent item.
	Delete(ctx context.Context, mediaID string) error
	// Count returns the library's sizes by kind.
	Count(ctx context.Context) (Counts, error)
	// BatchGet returns one page of the items of a kind: count (1 to
	// MaxPageSize) items from offset.
	BatchGet(ctx context.Context, kind Kind, offset, count int) (*Page, error)
	// List iterates over every item of a kind, a page at a time. It yields
	// an error once and stops; breaking out of the loop stops it.
	List(ctx context.Context, kind Kind) iter.Seq2[Item, error]
}

// URLUploader is WeCom's asynchronous upload by URL: the platform downloads a
// file of up to 200 MB from a URL that supports Range requests.
type URLUploader interface {
	// UploadByURL submits a job and returns its id.
	UploadByURL(ctx context.Context, req URLUpload) (jobID string, err error)
	// UploadByURLResult asks once for a job's state.
	UploadByURLResult(ctx context.Context, jobID string) (Job, error)
	// WaitUploadByURL polls a job with backoff until it finishes, fails or
	// ctx ends, and returns the media it produced. A failed job returns a
	// *JobError.
	WaitUploadByURL(ctx context.Context, jobID string) (Media, error)
}
