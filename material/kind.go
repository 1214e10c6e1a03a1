package material

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is the type of a piece of media as the platforms name it in their
// "type" parameters.
type Kind string

// The kinds of media. Not every platform has every kind: the Official Account
// has thumb but no file, WeCom has file but no thumb, and news exists only in
// the Official Account permanent library.
const (
	KindImage Kind = "image"
	KindVoice Kind = "voice"
	KindVideo Kind = "video"
	KindThumb Kind = "thumb"
	KindFile  Kind = "file"
	KindNews  Kind = "news"
)

// kinds lists every kind, in a stable order.
var kinds = []Kind{KindImage, KindVoice, KindVideo, KindThumb, KindFile, KindNews}

// Kinds returns every kind, in a stable order. It is a copy.
func Kinds() []Kind { return slices.Clone(kinds) }

// ParseKind returns the Kind named s (case-insensitive). An unknown name
// gives an error matching ErrInvalidInput that lists the valid names.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k.Valid() {
		return k, nil
	}
	return "", &ValidationError{Field: "kind", Value: s, Problem: fmt.Sprintf("unknown kind (want one of %s)", joinKinds(kinds)), Err: []error{ErrInvalidInput}}
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	for _, v := range kinds {
		if k == v {
			return true
		}
	}
	return false
}

// String returns the wire name of the kind.
func (k Kind) String() string { return string(k) }

func joinKinds(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Platform names one of the two platforms.
type Platform string

// The platforms.
const (
	OfficialAccount Platform = "officialaccount" // WeChat Official Account (公众号), api.weixin.qq.com
	WeCom           Platform = "work"            // WeCom (企业微信) app, qyapi.weixin.qq.com
)

// String returns a human name for the platform, for messages.
func (p Platform) String() string {
	switch p {
	case OfficialAccount:
		return "Official Account"
	case WeCom:
		return "WeCom"
	}
	return string(p)
}

// API names a family of upload endpoints. Limits differ between them.
type API string

// The upload API families.
const (
	APITemporary   API = "temporary"     // media/upload: temporary media kept 3 days
	APIPermanent   API = "permanent"     // material/add_material: the Official Account permanent library
	APIImage       API = "uploadimg"     // media/uploadimg: images for rich text, answered with a URL
	APIUploadByURL API = "upload_by_url" // WeCom media/upload_by_url: an asynchronous job fetching a URL
	APIAttachment  API = "attachment"    // WeCom media/upload_attachment
)
