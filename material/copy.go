package material

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
)

// CopyOption configures a Copy.
type CopyOption func(*copyConfig)

type copyConfig struct {
	fromLibrary bool
	toLibrary   bool
	desc        *VideoDescription
	name        string
}

// FromLibrary makes Copy read the item from the source's permanent library
// (Library.Get) instead of its temporary media (Service.Download). The
// source must implement Library.
func FromLibrary() CopyOption { return func(c *copyConfig) { c.fromLibrary = true } }

// ToLibrary makes Copy add the item to the target's permanent library
// (Library.Add, or AddVideo for a video) instead of uploading temporary
// media. The target must implement Library.
func ToLibrary() CopyOption { return func(c *copyConfig) { c.toLibrary = true } }

// WithVideoDescription sets the title and introduction of a video that Copy
// adds to a library. Without it, a video read from a library keeps its
// own, and any other gets its file name, without the extension, as title.
func WithVideoDescription(desc VideoDescription) CopyOption {
	return func(c *copyConfig) { c.desc = &desc }
}

// WithFileName sets the file name the target receives, exactly as given
// (its base name). Without it, Copy uses the name the source's download
// carries, or a library video's title, or the media id, and gives it the
// extension of the format the bytes show when it has another or none.
func WithFileName(name string) CopyOption { return func(c *copyConfig) { c.name = baseName(name) } }

// Copy copies the media mediaID, of the given kind, from src to dst, and
// returns what dst made of it: download from one, upload to the other, in
// one stream. Either may be an Official Account or a WeCom agent (or
// anything else that implements Service); FromLibrary and ToLibrary read
// from and add to an Official Account's permanent library, so that moving
// an item between two accounts is
//
//	material.Copy(ctx, other, oa, mediaID, material.KindImage, material.FromLibrary(), material.ToLibrary())
//
// The whole file is never held in memory. When the source says the size
// (a Content-Length, or a WeCom Range total), the bytes go straight through
// to an upload of that exact Content-Length, without touching the disk;
// when it does not, they are spooled to a temporary file (Rule.Prepare), at
// most the target's limit plus one byte, which is removed afterwards. The
// straight-through upload is one-shot: should the target need it sent again
// (a rejected token, a busy answer), the copy fails with the target's error
// (matching ErrNotReplayable when a token was rejected) and may be retried
// whole; a spooled one is resent from the file.
//
// Before anything is downloaded, Copy checks what it can: the arguments, a
// source of the kind (temporary thumbs exist only on the Official Account,
// files only on WeCom, a library only on the Official Account), and a
// target that takes the kind, after mapping it with CopyKind; a kind the
// target lacks is an error matching ErrUnsupported and nothing is
// requested. The target's size limits are checked as soon as the source's
// reply headers give the size, before any of its body is read; an oversize
// item fails with ErrTooLarge having cost a request and no body. (Neither
// platform can tell a size before the item is requested.) The format is
// judged from the first 512 bytes, so a format the target refuses (a GIF
// or BMP image, an MP3 voice for WeCom, which takes JPEG/PNG and AMR only)
// fails with ErrInvalidFormat after those bytes and before any upload.
// Limits are known when the target implements Platformer (both clients and
// materialtest.Fake do); another target judges the upload itself.
//
// An Official Account answers a video with a link instead of bytes (a
// temporary video's Content.URL, a permanent video's Video.DownURL); Copy
// follows it with the source's DownloadURL (URLDownloader). A video added
// to a library gets a title and introduction: a library video's own, or
// the file name as title, or WithVideoDescription's.
//
// News items cannot be copied: the Official Account's add_news API has been
// offline since 2022-02-28 and WeCom has no news; Copy refuses them with
// ErrUnsupported.
func Copy(ctx context.Context, dst, src Service, mediaID string, kind Kind, opts ...CopyOption) (Media, error) {
	var cfg copyConfig
	for _, o := range opts {
		o(&cfg)
	}
	p, err := planCopy(dst, src, mediaID, kind, cfg)
	if err == nil {
		var m Media
		if m, err = p.run(ctx, dst, src, mediaID); err == nil {
			return m, nil
		}
	}
	return Media{}, fmt.Errorf("material: copy %s %s: %w", kind, displayName(mediaID), err)
}

// CopyKind returns the kind Copy gives an item of kind k on the API api of
// the target platform to: the same kind where the target has it, and an
// image for a thumb sent to WeCom (a thumb is a JPEG, which WeCom images
// take). Any other kind the target lacks is an error matching
// ErrUnsupported:
//
//	source kind   Official Account    Official Account   WeCom
//	              temporary           library            temporary
//	image         image               image              image (JPEG, PNG)
//	voice         voice               voice              voice (AMR only)
//	video         video               video (AddVideo)   video
//	thumb         thumb               thumb              image
//	file          unsupported         unsupported        file
//	news          unsupported         unsupported        unsupported
func CopyKind(k Kind, to Platform, api API) (Kind, error) {
	if k == KindNews {
		why := "the Official Account's add_news API is offline since 2022-02-28"
		if to == WeCom {
			why = "WeCom has no news"
		}
		return "", &ValidationError{Platform: to, API: api, Kind: k, Field: "kind",
			Problem: "news cannot be copied: " + why, Err: []error{ErrUnsupported}}
	}
	_, err := RuleFor(to, api, k)
	if err == nil {
		return k, nil
	}
	if k == KindThumb {
		if _, ierr := RuleFor(to, api, KindImage); ierr == nil {
			return KindImage, nil
		}
	}
	return "", err
}

// copyPlan is what Copy decided before requesting anything.
type copyPlan struct {
	cfg    copyConfig
	kind   Kind    // the source's kind
	to     Kind    // the kind uploaded to the target
	rule   *Rule   // the target's rule; nil when its platform is unknown
	srcLib Library // with FromLibrary
	dstLib Library // with ToLibrary
}

// planCopy checks everything that can be checked without a request.
func planCopy(dst, src Service, mediaID string, kind Kind, cfg copyConfig) (*copyPlan, error) {
	bad := func(field, problem string, errs ...error) error {
		return &ValidationError{Kind: kind, Field: field, Problem: problem, Err: errs}
	}
	switch {
	case dst == nil || src == nil:
		return nil, bad("service", "a source and a target Service are needed", ErrInvalidInput)
	case strings.TrimSpace(mediaID) == "":
		return nil, bad("media_id", "empty media id", ErrInvalidInput)
	case !kind.Valid():
		return nil, &ValidationError{Field: "kind", Value: string(kind), Problem: fmt.Sprintf("unknown kind (want one of %s)", joinKinds(kinds)), Err: []error{ErrInvalidInput}}
	}
	p := &copyPlan{cfg: cfg, kind: kind, to: kind}
	srcAPI := APITemporary
	if cfg.fromLibrary {
		srcAPI = APIPermanent
		lib, ok := src.(Library)
		if !ok {
			return nil, bad("source", "the source has no permanent library (FromLibrary needs a Library, e.g. an Official Account)", ErrUnsupported)
		}
		p.srcLib = lib
	}
	if sp, ok := src.(Platformer); ok && kind != KindNews {
		if !slices.Contains(KindsFor(sp.Platform(), srcAPI), kind) {
			return nil, &ValidationError{Platform: sp.Platform(), API: srcAPI, Kind: kind, Field: "kind",
				Problem: fmt.Sprintf("the source has no %s %s media (it has %s)", srcAPI, kind, joinKinds(KindsFor(sp.Platform(), srcAPI))), Err: []error{ErrUnsupported}}
		}
	}
	dstAPI := APITemporary
	if cfg.toLibrary {
		dstAPI = APIPermanent
		lib, ok := dst.(Library)
		if !ok {
			return nil, bad("target", "the target has no permanent library (ToLibrary needs a Library, e.g. an Official Account)", ErrUnsupported)
		}
		p.dstLib = lib
	}
	if dp, ok := dst.(Platformer); ok {
		to, err := CopyKind(kind, dp.Platform(), dstAPI)
		if err != nil {
			return nil, err
		}
		rule, err := RuleFor(dp.Platform(), dstAPI, to)
		if err != nil {
			return nil, err
		}
		p.to, p.rule = to, &rule
	} else if kind == KindNews {
		_, err := CopyKind(kind, "", dstAPI)
		return nil, err
	}
	return p, nil
}

// run downloads and uploads.
func (p *copyPlan) run(ctx context.Context, dst, src Service, mediaID string) (Media, error) {
	c, desc, err := p.open(ctx, src, mediaID)
	if err != nil {
		return Media{}, err
	}
	defer c.Close()

	// A name from the source (not WithFileName's, which is checked) is
	// kept, cleaned of what no name may hold.
	name := p.cfg.name
	if name == "" {
		name = CleanFileName(c.Name)
	}
	if name == "" && desc != nil {
		// A library video's link carries no name: its title is the best
		// one (fitName adds the extension).
		name = CleanFileName(strings.TrimSpace(desc.Title))
	}
	if name == "" || name == "." || name == ".." {
		name = CleanFileName(mediaID)
	}
	size := c.Size
	if size < 0 {
		size = -1
	}
	if p.rule != nil && size >= 0 {
		if err := p.rule.checkSize(name, size); err != nil {
			return Media{}, err // nothing of the body was read
		}
	}
	s := FromReader(name, c, size)
	if p.cfg.name == "" {
		if name, err = fitName(s, name, p.rule); err != nil {
			return Media{}, err
		}
		s = s.WithName(name)
	}
	if p.rule != nil {
		prepared, cleanup, err := p.rule.Prepare(s)
		if err != nil {
			return Media{}, err
		}
		defer cleanup()
		s = prepared
	}
	switch {
	case p.dstLib == nil:
		return dst.Upload(ctx, p.to, s)
	case p.to == KindVideo:
		if p.cfg.desc != nil {
			desc = p.cfg.desc
		}
		if desc == nil {
			desc = &VideoDescription{Title: strings.TrimSuffix(name, path.Ext(name))}
		}
		return p.dstLib.AddVideo(ctx, s, *desc)
	default:
		return p.dstLib.Add(ctx, p.to, s)
	}
}

// open requests the item from the source, following a link, and returns
// its bytes (unread) and, for a library video, its description.
func (p *copyPlan) open(ctx context.Context, src Service, mediaID string) (*Content, *VideoDescription, error) {
	if p.srcLib == nil {
		c, err := src.Download(ctx, mediaID)
		if err != nil {
			return nil, nil, err
		}
		if c.URL == "" {
			return c, nil, nil
		}
		c.Close()
		c, err = follow(ctx, src, c.URL)
		return c, nil, err
	}
	a, err := p.srcLib.Get(ctx, mediaID)
	if err != nil {
		return nil, nil, err
	}
	mismatch := func(is string) error {
		a.Close()
		return &ValidationError{Kind: p.kind, Field: "kind", Value: mediaID, Problem: fmt.Sprintf("the library item is %s, not %s", is, p.kind), Err: []error{ErrInvalidInput}}
	}
	switch {
	case a.Video != nil:
		if p.kind != KindVideo {
			return nil, nil, mismatch("a video")
		}
		c, err := follow(ctx, src, a.Video.DownURL)
		return c, &VideoDescription{Title: a.Video.Title, Introduction: a.Video.Description}, err
	case a.Content != nil:
		if p.kind == KindVideo {
			return nil, nil, mismatch("a file (an image, voice or thumb)")
		}
		return a.Content, nil, nil
	case a.Kind == KindNews:
		return nil, nil, mismatch("a news item")
	}
	a.Close()
	return nil, nil, fmt.Errorf("the library answered neither bytes nor a video for %s", displayName(mediaID))
}

// follow fetches a link the source handed out instead of bytes.
func follow(ctx context.Context, src Service, link string) (*Content, error) {
	d, ok := src.(URLDownloader)
	if !ok {
		return nil, &ValidationError{Field: "url", Problem: "the source answered with a link and cannot fetch it (it does not implement URLDownloader)", Err: []error{ErrUnsupported}}
	}
	return d.DownloadURL(ctx, link)
}

// fitName gives name the extension of the format s's first bytes show,
// when it has none, or another while the target judges formats: the
// platforms judge a file by its name's extension too, and a download's name
// (a media id) may have none. A file for a kind of any format (a WeCom
// file) keeps an extension it has.
func fitName(s Source, name string, rule *Rule) (string, error) {
	ext := path.Ext(name)
	if ext != "" && (rule == nil || rule.Formats == nil) {
		return name, nil
	}
	head, err := s.Head()
	if err != nil {
		return "", err
	}
	f := DetectFormat(head)
	if f == FormatUnknown || FormatOfName(name) == f {
		return name, nil
	}
	return strings.TrimSuffix(name, ext) + f.Extension(), nil
}
