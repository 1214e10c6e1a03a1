package materialtest

import (
	"context"
	"iter"

	"github.com/wxmaterial/wxmaterial/material"
)

// The Fake has every capability in Go; its views have exactly those of the
// platform's client.
var (
	_ material.Service     = (*Fake)(nil)
	_ material.Library     = (*Fake)(nil)
	_ material.URLUploader = (*Fake)(nil)
	_ material.Library     = officialAccountView{}
	_ material.URLUploader = weComView{}
)

// Service returns the Fake as a material.Service whose dynamic type has
// exactly the capabilities of the platform's client: a type assertion to
// material.Library succeeds only on an Official Account Fake, one to
// material.URLUploader only on a WeCom Fake, as with
// officialaccount.Client and work.Client. Calls go to f.
func (f *Fake) Service() material.Service {
	if f.platform == material.OfficialAccount {
		return officialAccountView{serviceView{f}}
	}
	return weComView{serviceView{f}}
}

type serviceView struct{ f *Fake }

func (v serviceView) Upload(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	return v.f.Upload(ctx, kind, src)
}

func (v serviceView) UploadImage(ctx context.Context, src material.Source) (string, error) {
	return v.f.UploadImage(ctx, src)
}

func (v serviceView) Download(ctx context.Context, mediaID string) (*material.Content, error) {
	return v.f.Download(ctx, mediaID)
}

func (v serviceView) DownloadHDVoice(ctx context.Context, mediaID string) (*material.Content, error) {
	return v.f.DownloadHDVoice(ctx, mediaID)
}

type officialAccountView struct{ serviceView }

func (v officialAccountView) Add(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	return v.f.Add(ctx, kind, src)
}

func (v officialAccountView) AddVideo(ctx context.Context, src material.Source, desc material.VideoDescription) (material.Media, error) {
	return v.f.AddVideo(ctx, src, desc)
}

func (v officialAccountView) Get(ctx context.Context, mediaID string) (*material.Asset, error) {
	return v.f.Get(ctx, mediaID)
}

func (v officialAccountView) Delete(ctx context.Context, mediaID string) error {
	return v.f.Delete(ctx, mediaID)
}

func (v officialAccountView) Count(ctx context.Context) (material.Counts, error) {
	return v.f.Count(ctx)
}

func (v officialAccountView) BatchGet(ctx context.Context, kind material.Kind, offset, count int) (*material.Page, error) {
	return v.f.BatchGet(ctx, kind, offset, count)
}

func (v officialAccountView) List(ctx context.Context, kind material.Kind) iter.Seq2[material.Item, error] {
	return v.f.List(ctx, kind)
}

type weComView struct{ serviceView }

func (v weComView) UploadByURL(ctx context.Context, req material.URLUpload) (string, error) {
	return v.f.UploadByURL(ctx, req)
}

func (v weComView) UploadByURLResult(ctx context.Context, jobID string) (material.Job, error) {
	return v.f.UploadByURLResult(ctx, jobID)
}

func (v weComView) WaitUploadByURL(ctx context.Context, jobID string) (material.Media, error) {
	return v.f.WaitUploadByURL(ctx, jobID)
}
