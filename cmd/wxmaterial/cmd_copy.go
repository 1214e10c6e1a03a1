package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/wxmaterial/wxmaterial/material"
)

// Environment variables of copy's target: the source's names with this
// prefix (TO_WECHAT_APPID, TO_WECHAT_SECRET, TO_WECOM_CORPID,
// TO_WECOM_AGENTID, TO_WECOM_SECRET).
const envTargetPrefix = "TO_"

// targetNames are the names of copy's target settings: --to-appid,
// TO_WECHAT_APPID, ...
var targetNames = names{flag: "to-", env: envTargetPrefix}

// copyEnd is one end of a copy, as copy prints it.
type copyEnd struct {
	Platform material.Platform `json:"platform"`
	Account  string            `json:"account"`
	Library  bool              `json:"library"` // the permanent library, or temporary media
	Kind     material.Kind     `json:"kind"`
	MediaID  string            `json:"media_id"`
}

// copyResult is a copied item.
type copyResult struct {
	From      copyEnd    `json:"from"`
	To        copyEnd    `json:"to"`
	URL       string     `json:"url,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// copyFlags are copy's own flags.
type copyFlags struct {
	kind           string
	fromLib, toLib bool
	title, intro   string
	name           string
	target         globals // --to-platform and the target's credentials
}

// register defines copy's flags on fs.
func (f *copyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.kind, "kind", "", "the item's `kind`: image, voice, video, thumb or file (default: judged from the item, which requests it first; a thumb is judged an image)")
	fs.BoolVar(&f.fromLib, "from-library", false, "read the item from the source's Official Account permanent library (default: its temporary media)")
	fs.BoolVar(&f.toLib, "to-library", false, "add the item to the target's Official Account permanent library (default: upload temporary media, kept 3 days)")
	fs.StringVar(&f.title, "title", "", "with --to-library, a video's `title` (default: the source library video's, or the file name)")
	fs.StringVar(&f.intro, "introduction", "", "with --to-library, a video's introduction `text` (default: the source library video's)")
	fs.StringVar(&f.name, "name", "", "the file `name` the target gets (default: the source's, with the extension its bytes show)")
	t := &f.target
	fs.StringVar(&t.platform, "to-platform", "", "the target's `platform`: oa or work (default: oa, or work when only WeCom target credentials are given)")
	fs.StringVar(&t.appID, "to-appid", "", "the target Official Account's `appid` (default $"+envTargetPrefix+envAppID+"); a demo appid selects that account of the embedded emulator")
	fs.StringVar(&t.corpID, "to-corpid", "", "the target WeCom `corpid` (default $"+envTargetPrefix+envCorpID+")")
	fs.StringVar(&t.agentID, "to-agentid", "", "the target WeCom application `agentid` (default $"+envTargetPrefix+envAgentID+")")
	fs.StringVar(&t.secret, "to-secret", "", "the target's AppSecret or WeCom application `secret` (default $"+envTargetPrefix+envSecret+" or $"+envTargetPrefix+envWeComKey+"; prefer the environment)")
	fs.StringVar(&t.baseURL, "to-base-url", "", "send the target's API calls to `URL` (e.g. a 'wxmaterial emulator serve' address plus /oa or /work)")
	fs.BoolVar(&t.plain, "to-plain-token", false, "fetch the target Official Account's tokens with the plain cgi-bin/token (see --plain-token for the risk)")
}

// targetGiven reports whether the command line or the environment names
// a target; without one, the target is the source account.
func (f *copyFlags) targetGiven(getenv func(string) string) bool {
	t := f.target
	if t.platform != "" || t.appID != "" || t.corpID != "" || t.agentID != "" || t.secret != "" || t.baseURL != "" || t.plain {
		return true
	}
	for _, v := range []string{envAppID, envSecret, envCorpID, envAgentID, envWeComKey} {
		if strings.TrimSpace(getenv(envTargetPrefix+v)) != "" {
			return true
		}
	}
	return false
}

// runCopy is "wxmaterial copy".
func runCopy(ctx context.Context, a *app, args []string) error {
	fs := a.flags("copy")
	var f copyFlags
	f.register(fs)
	ids, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usagef("give exactly one media id, got %d", len(ids))
	}
	id := ids[0]
	var kind material.Kind
	if f.kind != "" {
		if kind, err = material.ParseKind(f.kind); err != nil {
			// List the kinds the source has, not every kind there is.
			acc, rerr := a.resolve()
			if rerr != nil {
				return &usageError{err.Error()}
			}
			api := material.APITemporary
			if f.fromLib {
				api = material.APIPermanent
			}
			return usagef("kind %q: unknown kind (want one of %s: the kinds of %s %s media)", f.kind, joinKinds(material.KindsFor(acc.platform, api)), acc.platform, api)
		}
	}
	nameGiven := false
	fs.Visit(func(fl *flag.Flag) { nameGiven = nameGiven || fl.Name == "name" })
	if nameGiven {
		if err := checkNameFlag("name", f.name); err != nil {
			return err
		}
	}
	desc := f.title != "" || f.intro != ""
	switch {
	case f.intro != "" && f.title == "":
		return usagef("--introduction needs --title: a library video has both")
	case desc && !f.toLib:
		return usagef("--title and --introduction describe videos added to a library: add --to-library")
	case desc && kind != "" && kind != material.KindVideo:
		return usagef("--title and --introduction describe videos, not %s", kind)
	}

	src, err := a.resolve()
	if err != nil {
		return err
	}
	dst := src
	sameAccount := !f.targetGiven(a.getenv)
	if !sameAccount {
		if dst, err = resolveAccount(f.target, a.getenv, targetNames); err != nil {
			return err
		}
	} else if !f.fromLib && !f.toLib {
		return usagef("no target: name one (--to-appid, --to-platform work, ... or $%s%s, ...), or copy into or out of the account's library (--to-library, --from-library)", envTargetPrefix, envAppID)
	}
	srcAPI, dstAPI := material.APITemporary, material.APITemporary
	if f.fromLib {
		srcAPI = material.APIPermanent
		if src.platform != material.OfficialAccount {
			return usagef("--from-library reads the Official Account permanent library; the source, %s, has none", src.platform)
		}
	}
	if f.toLib {
		dstAPI = material.APIPermanent
		if dst.platform != material.OfficialAccount {
			return usagef("--to-library adds to the Official Account permanent library; the target, %s, has none", dst.platform)
		}
	}
	if kind != "" {
		if err := checkCopyKind(kind, src.platform, srcAPI, dst.platform, dstAPI); err != nil {
			return &usageError{err.Error() + "; nothing was sent"}
		}
	}
	if src.embedded != dst.embedded {
		demo, other := "source", "target"
		if dst.embedded {
			demo, other = other, demo
		}
		a.warnf("the %s is a demo account of the embedded emulator (no %s credentials given) and the %s is not", demo, demo, other)
	}

	sb, err := a.connect(ctx, a)
	if err != nil {
		return err
	}
	defer sb.Close()
	db := sb
	if !sameAccount {
		if db, err = a.open(ctx, dst); err != nil {
			return err
		}
		defer db.Close()
	}

	from := copyEnd{Platform: sb.platform, Account: sb.account, Library: f.fromLib, MediaID: id}
	source := sb.svc
	if kind == "" {
		p, err := judge(ctx, sb, id, f.fromLib)
		if err != nil {
			return err
		}
		defer p.close()
		kind, source = p.kind, p
		if err := checkCopyKind(kind, src.platform, srcAPI, dst.platform, dstAPI); err != nil {
			return fmt.Errorf("%s is %s (judged from the item): %w; nothing was sent", id, kindPhrase(kind), err)
		}
		if desc && kind != material.KindVideo {
			return usagef("--title and --introduction describe videos; %s is %s", id, kindPhrase(kind))
		}
	}
	from.Kind = kind

	var opts []material.CopyOption
	if f.fromLib {
		opts = append(opts, material.FromLibrary())
	}
	if f.toLib {
		opts = append(opts, material.ToLibrary())
	}
	if desc {
		opts = append(opts, material.WithVideoDescription(material.VideoDescription{Title: f.title, Introduction: f.intro}))
	}
	if nameGiven {
		opts = append(opts, material.WithFileName(f.name))
	}
	a.infof("copying %s %s of %s to %s", kind, id, describeEnd(from.Account, f.fromLib), describeEnd(db.account, f.toLib))
	m, err := material.Copy(ctx, db.svc, source, id, kind, opts...)
	if err != nil {
		account := "with the same account flags"
		if !sameAccount {
			account = "with the target's credentials (--appid " + db.account + ")"
		}
		return explainOutcome(err, true, account)
	}
	r := copyResult{From: from, To: copyEnd{Platform: db.platform, Account: db.account, Library: f.toLib, Kind: m.Kind, MediaID: m.ID}, URL: m.URL}
	if r.To.Kind == "" {
		r.To.Kind, _ = material.CopyKind(kind, db.platform, dstAPI)
	}
	if !m.CreatedAt.IsZero() {
		r.CreatedAt = &m.CreatedAt
	}
	if !m.ExpiresAt.IsZero() {
		r.ExpiresAt = &m.ExpiresAt
	}
	return a.emit(r, func(w io.Writer) {
		fmt.Fprintf(w, "copied %s %s of %s\n", kind, id, describeEnd(from.Account, f.fromLib))
		fmt.Fprintf(w, "  to %s: %s %s", describeEnd(r.To.Account, f.toLib), r.To.Kind, r.To.MediaID)
		switch {
		case r.URL != "":
			fmt.Fprintf(w, "  %s", r.URL)
		case r.ExpiresAt != nil:
			fmt.Fprintf(w, "  expires %s", stamp(*r.ExpiresAt))
		}
		fmt.Fprintln(w)
	})
}

// describeEnd names an account and where in it: "wx... library" or
// "wx... temporary media".
func describeEnd(account string, library bool) string {
	if library {
		return account + " library"
	}
	return account + " temporary media"
}

// kindPhrase names an item of kind k: "an image", "a news item".
func kindPhrase(k material.Kind) string {
	switch {
	case k == material.KindNews:
		return "a news item"
	case strings.ContainsRune("aeiou", rune(k[0])):
		return "an " + string(k)
	}
	return "a " + string(k)
}

// checkCopyKind checks that the source has items of kind and that the
// target takes them, as Copy would, before anything is requested.
func checkCopyKind(kind material.Kind, from material.Platform, fromAPI material.API, to material.Platform, toAPI material.API) error {
	if kind == material.KindNews {
		return errors.New(newsCopyProblem(from, to))
	}
	if kinds := material.KindsFor(from, fromAPI); !slices.Contains(kinds, kind) {
		return fmt.Errorf("the source, %s %s media, has no %s (kinds there: %s)", from, fromAPI, kind, joinKinds(kinds))
	}
	if _, err := material.CopyKind(kind, to, toAPI); err != nil {
		return fmt.Errorf("the target, %s %s media, takes no %s (kinds there: %s)", to, toAPI, kind, joinKinds(material.KindsFor(to, toAPI)))
	}
	return nil
}

// newsCopyProblem says why news cannot be copied from one platform to
// another, naming only those two: an Official Account target cannot add
// news (add_news went offline), and WeCom has none.
func newsCopyProblem(from, to material.Platform) string {
	var why []string
	if to == material.OfficialAccount {
		why = append(why, "the Official Account's add_news went offline upstream on 2022-02-28 (articles are made with the draft API now)")
	}
	if from == material.WeCom || to == material.WeCom {
		why = append(why, "WeCom has no news")
	}
	return "news cannot be copied: " + strings.Join(why, ", and ")
}

// joinKinds lists kinds for a message.
func joinKinds(kinds []material.Kind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// primed is the source of a copy whose kind copy judged from the item: it
// hands the item it already requested to Copy, once, so that Copy does not
// request it again, and passes everything else to the source.
type primed struct {
	material.Service
	platform material.Platform
	kind     material.Kind
	id       string
	content  *material.Content // what Download answered, not yet handed
	asset    *material.Asset   // what Library.Get answered, not yet handed
}

// judge requests the item id from b (its library with fromLib) and judges
// its kind: a video when the platform answers with a link or a library
// video, news for news, else by its first bytes (which stay unread), as
// upload judges a file.
func judge(ctx context.Context, b *backend, id string, fromLib bool) (*primed, error) {
	p := &primed{Service: b.svc, platform: b.platform, id: id}
	var c *material.Content
	if fromLib {
		lib, err := b.library("copy --from-library")
		if err != nil {
			return nil, err
		}
		a, err := lib.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		p.asset = a
		switch {
		case a.Video != nil:
			p.kind = material.KindVideo
			return p, nil
		case a.Content == nil:
			p.kind = material.KindNews
			return p, nil
		}
		c = a.Content
	} else {
		var err error
		if c, err = b.svc.Download(ctx, id); err != nil {
			return nil, err
		}
		p.content = c
		if c.URL != "" {
			p.kind = material.KindVideo
			return p, nil
		}
	}
	br := bufio.NewReaderSize(c.Body, 4096)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		p.close()
		return nil, err
	}
	c.Body = struct {
		io.Reader
		io.Closer
	}{br, c.Body}
	name := c.Name
	if name == "" {
		name = id
	}
	if p.kind, err = guessKind(b.platform, material.FromBytes(name, head)); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// close closes what was requested and not handed to Copy.
func (p *primed) close() {
	if p.content != nil {
		p.content.Close()
		p.content = nil
	}
	if p.asset != nil {
		p.asset.Close()
		p.asset = nil
	}
}

// Download hands out the item requested, once; other ids go to the
// source.
func (p *primed) Download(ctx context.Context, id string) (*material.Content, error) {
	if id == p.id && p.content != nil {
		c := p.content
		p.content = nil
		return c, nil
	}
	return p.Service.Download(ctx, id)
}

// Get hands out the library item requested, once; other ids go to the
// source's library.
func (p *primed) Get(ctx context.Context, id string) (*material.Asset, error) {
	if id == p.id && p.asset != nil {
		a := p.asset
		p.asset = nil
		return a, nil
	}
	lib, ok := p.Service.(material.Library)
	if !ok {
		return nil, fmt.Errorf("the source has no permanent library: %w", material.ErrUnsupported)
	}
	return lib.Get(ctx, id)
}

// Add, AddVideo, Delete, Count, BatchGet and List make primed a
// material.Library, as Copy's FromLibrary needs; Copy calls only Get.
func (p *primed) Add(ctx context.Context, kind material.Kind, src material.Source) (material.Media, error) {
	return material.Media{}, errNotCopy
}
func (p *primed) AddVideo(context.Context, material.Source, material.VideoDescription) (material.Media, error) {
	return material.Media{}, errNotCopy
}
func (p *primed) Delete(context.Context, string) error { return errNotCopy }
func (p *primed) Count(context.Context) (material.Counts, error) {
	return material.Counts{}, errNotCopy
}
func (p *primed) BatchGet(context.Context, material.Kind, int, int) (*material.Page, error) {
	return nil, errNotCopy
}
func (p *primed) List(context.Context, material.Kind) iter.Seq2[material.Item, error] {
	return func(yield func(material.Item, error) bool) { yield(material.Item{}, errNotCopy) }
}

// errNotCopy: a copy's source is only read.
var errNotCopy = errors.New("wxmaterial copy: the source is only read")

// Platform returns the source's platform.
func (p *primed) Platform() material.Platform { return p.platform }

// DownloadURL follows a link with the source's DownloadURL.
func (p *primed) DownloadURL(ctx context.Context, link string) (*material.Content, error) {
	d, ok := p.Service.(material.URLDownloader)
	if !ok {
		return nil, fmt.Errorf("the source cannot fetch links: %w", material.ErrUnsupported)
	}
	return d.DownloadURL(ctx, link)
}
