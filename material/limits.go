package material

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	kb = 1 << 10
	mb = 1 << 20
)

// Rule is one platform's limit for one kind on one upload API: sizes and
// formats, checked before anything is sent.
type Rule struct {
	Platform    Platform
	API         API
	Kind        Kind
	MinSize     int64         // the smallest accepted size in bytes
	MaxSize     int64         // the largest accepted size in bytes
	Formats     []Format      // accepted formats, judged by the bytes; nil accepts any
	MaxDuration time.Duration // longest voice playback, measured from the file's headers (MeasureDuration) before sending
	Source      string        // where the numbers come from (the upstream page; see docs/limits.md and docs/wire.md §6)
}

// rules are the current limits of both platforms (the current upstream
// pages; older ones gave smaller values). A kind absent from an API is
// unsupported there. docs/limits.md lists them with their sources and says
// how each is checked.
var rules = []Rule{
	// Official Account temporary media (media/upload).
	{OfficialAccount, APITemporary, KindImage, 1, 10 * mb, []Format{FormatJPEG, FormatPNG, FormatGIF}, 0, "OA uploadtempmedia"},
	{OfficialAccount, APITemporary, KindVoice, 1, 2 * mb, []Format{FormatAMR, FormatMP3}, 60 * time.Second, "OA uploadtempmedia"},
	{OfficialAccount, APITemporary, KindVideo, 1, 10 * mb, []Format{FormatMP4}, 0, "OA uploadtempmedia"},
	{OfficialAccount, APITemporary, KindThumb, 1, 64 * kb, []Format{FormatJPEG}, 0, "OA uploadtempmedia"},
	// Official Account permanent library (material/add_material).
	{OfficialAccount, APIPermanent, KindImage, 1, 10 * mb, []Format{FormatBMP, FormatPNG, FormatJPEG, FormatGIF}, 0, "OA addmaterial"},
	{OfficialAccount, APIPermanent, KindVoice, 1, 2 * mb, []Format{FormatMP3, FormatWMA, FormatWAV, FormatAMR}, 60 * time.Second, "OA addmaterial"},
	{OfficialAccount, APIPermanent, KindVideo, 1, 10 * mb, []Format{FormatMP4}, 0, "OA addmaterial"},
	{OfficialAccount, APIPermanent, KindThumb, 1, 64 * kb, []Format{FormatJPEG}, 0, "OA addmaterial"},
	// Official Account images for articles (media/uploadimg): under 1 MB.
	{OfficialAccount, APIImage, KindImage, 1, 1*mb - 1, []Format{FormatJPEG, FormatPNG}, 0, "OA uploadimage"},
	// WeCom temporary media (media/upload): every file more than 5 bytes.
	{WeCom, APITemporary, KindImage, 6, 10 * mb, []Format{FormatJPEG, FormatPNG}, 0, "WC 90253"},
	{WeCom, APITemporary, KindVoice, 6, 2 * mb, []Format{FormatAMR}, 60 * time.Second, "WC 90253"},
	{WeCom, APITemporary, KindVideo, 6, 10 * mb, []Format{FormatMP4}, 0, "WC 90253"},
	{WeCom, APITemporary, KindFile, 6, 20 * mb, nil, 0, "WC 90253"},
	// WeCom images for rich text (media/uploadimg): 5 B to 2 MB; the page
	// names no format, JPG/PNG per third-party summaries.
	{WeCom, APIImage, KindImage, 6, 2 * mb, []Format{FormatJPEG, FormatPNG}, 0, "WC 90256"},
	// WeCom attachments (media/upload_attachment): as media/upload.
	{WeCom, APIAttachment, KindImage, 6, 10 * mb, []Format{FormatJPEG, FormatPNG}, 0, "WC 95098"},
	{WeCom, APIAttachment, KindVideo, 6, 10 * mb, []Format{FormatMP4}, 0, "WC 95098"},
	{WeCom, APIAttachment, KindFile, 6, 20 * mb, nil, 0, "WC 95098"},
	// WeCom upload by URL: checked by the platform when it downloads.
	{WeCom, APIUploadByURL, KindVideo, 6, MaxURLUploadSize, []Format{FormatMP4}, 0, "WC 96219"},
	{WeCom, APIUploadByURL, KindFile, 6, MaxURLUploadSize, nil, 0, "WC 96219"},
}

// Rules returns the current limits of both platforms, one Rule per
// platform, API and kind (a kind absent from an API is unsupported there),
// in a stable order. It is a copy: changing it changes no limit.
// docs/limits.md lists them with their sources and says how each is
// checked.
func Rules() []Rule {
	out := slices.Clone(rules)
	for i := range out {
		out[i].Formats = slices.Clone(out[i].Formats)
	}
	return out
}

// RuleFor returns the rule for a kind on an API of a platform. A kind the
// API lacks gives an error matching ErrUnsupported (and ErrInvalidInput when
// the kind is not a kind at all).
func RuleFor(p Platform, api API, k Kind) (Rule, error) {
	if !k.Valid() {
		return Rule{}, &ValidationError{Platform: p, API: api, Field: "kind", Value: string(k), Problem: fmt.Sprintf("unknown kind (want one of %s)", joinKinds(kinds)), Err: []error{ErrInvalidInput, ErrUnsupported}}
	}
	var have []Kind
	for _, r := range rules {
		if r.Platform == p && r.API == api {
			if r.Kind == k {
				r.Formats = slices.Clone(r.Formats)
				return r, nil
			}
			have = append(have, r.Kind)
		}
	}
	problem := fmt.Sprintf("not a kind these uploads take (%s)", joinKinds(have))
	if len(have) == 0 {
		problem = "the platform has no such uploads"
	}
	return Rule{}, &ValidationError{Platform: p, API: api, Kind: k, Field: "kind", Problem: problem, Err: []error{ErrUnsupported}}
}

// KindsFor lists the kinds an API of a platform takes.
func KindsFor(p Platform, api API) []Kind {
	var ks []Kind
	for _, r := range rules {
		if r.Platform == p && r.API == api {
			ks = append(ks, r.Kind)
		}
	}
	return ks
}

// Validate checks src against the rule: a file name (not empty, "." nor
// ".."), a known size within the limits, (for kinds with formats) a name extension and first bytes of an
// accepted format, and (for voices) a playback length within MaxDuration.
// The error names the limit it breaks; a voice too long gives its measured
// length and matches ErrTooLong, ErrTooLarge and ErrInvalidSize, as the
// platform's 45007 does.
//
// The length is measured from the file's headers (MeasureDuration), which
// needs a second read: a one-shot Source is not measured here (Prepare
// spools it first), and a file whose length cannot be measured passes, for
// the platform to judge.
func (r Rule) Validate(src Source) error {
	bad := func(field, problem string, errs ...error) error {
		return &ValidationError{Platform: r.Platform, API: r.API, Kind: r.Kind, Name: src.Name(), Field: field, Problem: problem, Err: errs}
	}
	if src.b == nil {
		return bad("source", "no file: use FromFile, FromBytes or FromReader", ErrInvalidInput)
	}
	if src.b.invalid != nil {
		return src.b.invalid
	}
	if problem := nameProblem(src.Name()); problem != "" {
		return bad("name", problem, ErrInvalidInput)
	}
	if src.Size() < 0 {
		return bad("size", "unknown size: spool the file first (Rule.Prepare does)", ErrInvalidInput)
	}
	if err := r.checkSize(src.Name(), src.Size()); err != nil {
		return err
	}
	if r.Formats == nil {
		return nil
	}
	allowed := formatList(r.Formats)
	if f := FormatOfName(src.Name()); !slices.Contains(r.Formats, f) {
		return bad("format", fmt.Sprintf("%s: the accepted formats are %s (%s)", extText(src.Name()), allowed, extList(r.Formats)), ErrInvalidFormat)
	}
	head, err := src.Head()
	if err != nil {
		return fmt.Errorf("material: read %s: %w", displayName(src.Name()), err)
	}
	f := DetectFormat(head)
	switch {
	case f == FormatUnknown:
		return bad("format", fmt.Sprintf("the content is not a recognisable %s file", allowed), ErrInvalidFormat)
	case !slices.Contains(r.Formats, f):
		return bad("format", fmt.Sprintf("the content is %s, not one of the accepted formats (%s)", f, allowed), ErrInvalidFormat)
	}
	return r.checkDuration(src, f)
}

// checkSize checks a known size against the rule's bounds: Validate's
// size check, and Copy's on a size announced before the bytes are read.
func (r Rule) checkSize(name string, size int64) error {
	bad := func(problem string, errs ...error) error {
		return &ValidationError{Platform: r.Platform, API: r.API, Kind: r.Kind, Name: name, Field: "size", Problem: problem, Err: errs}
	}
	switch {
	case size == 0:
		return bad("the file is empty", ErrEmpty, ErrInvalidSize)
	case size < r.MinSize:
		return bad(fmt.Sprintf("%d bytes is under the minimum: more than %d bytes are needed", size, r.MinSize-1), ErrTooSmall, ErrInvalidSize)
	case size > r.MaxSize:
		return bad(fmt.Sprintf("%s is over the %s limit", sizeText(size), limitText(r.MaxSize)), ErrTooLarge, ErrInvalidSize)
	}
	return nil
}

// nameProblem says what is wrong with a file name to send, already a base
// name, or returns "": one that is empty, "." or "..", names no file; one
// that is not UTF-8, or holds a control character or a bidirectional
// override or isolate (unsafeNameRune), would not read as it is.
func nameProblem(name string) string {
	switch name {
	case "":
		return "missing file name: the platform needs one"
	case ".", "..":
		return fmt.Sprintf("the file name %q names no file: give the file a name", name)
	}
	if !utf8.ValidString(name) {
		return fmt.Sprintf("the file name %q is not valid UTF-8", name)
	}
	if i := strings.IndexFunc(name, unsafeNameRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Sprintf("the file name %q holds a control character (%U): the platform would show it to users as it is", name, r)
	}
	return ""
}

// unsafeNameRune reports a character a file name must not hold: a control
// character (C0, DEL, C1) or a bidirectional override or isolate
// (U+202A-U+202E, U+2066-U+2069), which make a name read otherwise than it
// is ("gpj.exe" shown as "exe.jpg"). The marks that Arabic and Hebrew names
// carry (U+200E, U+200F, U+061C) are kept.
func unsafeNameRune(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// Prepare makes src ready to upload under the rule: a source of unknown size
// is first copied into a temporary file (at most MaxSize+1 bytes are read, so
// nothing large is held in memory and an oversized stream fails early), and
// so is a one-shot voice of known size within MaxSize, so that its length
// can be measured and it can still be sent (and resent: the copy is
// replayable); then Validate runs. The caller calls cleanup when the upload
// is over; it is never nil when err is nil.
func (r Rule) Prepare(src Source) (prepared Source, cleanup func(), err error) {
	cleanup = func() {}
	if sp, done, err := r.spoolVoice(src); err != nil {
		return Source{}, nil, err
	} else if done != nil {
		src, cleanup = sp, done
	}
	if src.b != nil && src.Size() < 0 {
		sp, done, tooLarge, err := src.spool("", r.MaxSize)
		if err != nil {
			return Source{}, nil, err
		}
		if tooLarge {
			return Source{}, nil, &ValidationError{Platform: r.Platform, API: r.API, Kind: r.Kind, Name: src.Name(), Field: "size",
				Problem: fmt.Sprintf("more than the %s limit", limitText(r.MaxSize)), Err: []error{ErrTooLarge, ErrInvalidSize}}
		}
		src, cleanup = sp, done
	}
	if err := r.Validate(src); err != nil {
		cleanup()
		return Source{}, nil, err
	}
	return src, cleanup, nil
}

func formatList(fs []Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// extText says what is wrong with a name's extension.
func extText(name string) string {
	if ext := path.Ext(name); ext != "" {
		return fmt.Sprintf("the name's extension %q is not accepted", ext)
	}
	return "the name has no extension"
}

// extList lists the extensions the platforms accept for fs: ".jpg, .jpeg,
// .png".
func extList(fs []Format) string {
	var s []string
	for _, f := range fs {
		s = append(s, formatInfo[f].exts...)
	}
	return strings.Join(s, ", ")
}

// limitText writes a limit as the documents do, with its exact number of
// bytes: "10 MB (10485760 bytes)", "64 KB (65536 bytes)", or
// "1048575-byte (under 1 MB)" for a limit one byte short of a round
// number. Messages put it before "limit".
func limitText(n int64) string {
	switch {
	case n%mb == 0:
		return fmt.Sprintf("%d MB (%d bytes)", n/mb, n)
	case (n+1)%mb == 0:
		return fmt.Sprintf("%d-byte (under %d MB)", n, (n+1)/mb)
	case n%kb == 0:
		return fmt.Sprintf("%d KB (%d bytes)", n/kb, n)
	case (n+1)%kb == 0:
		return fmt.Sprintf("%d-byte (under %d KB)", n, (n+1)/kb)
	}
	return fmt.Sprintf("%d-byte", n)
}

// sizeText writes a size in MB or KB with its exact number of bytes,
// "2.01 MB (2103206 bytes)", with as many decimals as it takes for a size
// that is not a round number not to look like one: 2097153 bytes is
// "2.000001 MB", never "2.0 MB" beside a 2 MB limit.
func sizeText(n int64) string {
	unit, name := int64(0), ""
	switch {
	case n >= mb:
		unit, name = mb, "MB"
	case n >= kb:
		unit, name = kb, "KB"
	default:
		return fmt.Sprintf("%d bytes", n)
	}
	if n%unit == 0 {
		return fmt.Sprintf("%d %s (%d bytes)", n/unit, name, n)
	}
	v := float64(n) / float64(unit)
	s := strconv.FormatFloat(v, 'f', 1, 64)
	for prec := 2; prec <= 7 && looksRound(s); prec++ {
		s = strconv.FormatFloat(v, 'f', prec, 64)
	}
	return fmt.Sprintf("%s %s (%d bytes)", s, name, n)
}

// looksRound reports whether a decimal number's fraction is all zeros.
func looksRound(s string) bool {
	_, frac, _ := strings.Cut(s, ".")
	return strings.Trim(frac, "0") == ""
}
