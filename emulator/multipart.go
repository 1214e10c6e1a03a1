package emulator

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
)

// maxFieldValue bounds the form fields (such as a video's description) an
// upload handler reads.
const maxFieldValue = 64 << 10

// upload is a parsed multipart request body.
type upload struct {
	media  *mediaPart        // the first part named "media"
	fields map[string]string // small parts without a filename, by name
}

// mediaPart is the file part of an upload, read to its end: its bytes are
// in blob unless it was larger than the storage limit.
type mediaPart struct {
	filename    string // raw filename parameter
	hasFilename bool
	starOnly    bool   // only an RFC 2231 filename* was sent
	fileLength  string // the filelength parameter as sent (WeCom)
	hasLength   bool
	contentType string
	size        int64
	sha256, md5 string
	head        []byte
	voice       *voiceMeter // nil unless the endpoint measures voices
	blob        blobWriter  // nil when over the storage limit
}

// readUpload reads a multipart body to its end, keeping the bytes of the
// part named "media" (up to storeLimit bytes) in a new blob, measuring its
// playback length when voice is set, and recording every part in the
// request log. It answers the error itself (44001 for a body that is not
// multipart/form-data) and returns false then. The caller must commit or
// abort u.media.blob.
func (c *call) readUpload(storeLimit int64, voice bool) (*upload, bool) {
	mr, err := c.r.MultipartReader()
	if err != nil {
		// Typically a Content-Type set by hand without the boundary.
		c.fail(codeEmptyMedia, "")
		return nil, false
	}
	u := &upload{fields: map[string]string{}}
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			u.abort()
			if c.r.Context().Err() != nil {
				return nil, false
			}
			c.fail(codeEmptyMedia, "malformed multipart body")
			return nil, false
		}
		raw := p.Header.Get("Content-Disposition")
		params := dispositionParams(raw)
		lp := Part{
			FormName:           params["name"],
			FileName:           params["filename"],
			FileNameStar:       params["filename*"],
			ContentDisposition: raw,
			ContentType:        p.Header.Get("Content-Type"),
		}
		_, hasName := params["filename"]
		isFile := hasName || lp.FileNameStar != ""
		var w io.Writer = io.Discard
		var value *strings.Builder
		var mp *mediaPart
		if lp.FormName == "media" && u.media == nil {
			mp = &mediaPart{filename: lp.FileName, hasFilename: hasName && lp.FileName != "",
				starOnly: !hasName && lp.FileNameStar != "", contentType: lp.ContentType}
			mp.fileLength, mp.hasLength = params["filelength"]
			mp.blob, err = c.e.blobs.create()
			if err != nil {
				u.abort()
				c.e.log.Error("emulator: storing an upload", "err", err)
				c.fail(codeBusy, "")
				return nil, false
			}
			u.media = mp
			if g, ok := mp.blob.(interface{ grow(int64) }); ok && c.r.ContentLength > 0 {
				g.grow(min(c.r.ContentLength, storeLimit))
			}
			w = io.MultiWriter(&headWriter{b: &mp.head}, &limitWriter{w: mp, n: storeLimit})
			if voice {
				mp.voice = newVoiceMeter()
				w = io.MultiWriter(w, mp.voice)
			}
		} else if !isFile {
			value = &strings.Builder{}
			w = &limitWriter{w: value, n: maxFieldValue}
		}
		sh, m5 := sha256.New(), md5.New()
		n, err := io.Copy(io.MultiWriter(w, sh, m5), p)
		lp.Size = n
		lp.SHA256 = hex.EncodeToString(sh.Sum(nil))
		if value != nil && n <= maxFieldValue {
			if n <= maxLoggedValue {
				lp.Value = value.String()
			}
			if _, seen := u.fields[lp.FormName]; !seen {
				u.fields[lp.FormName] = value.String()
			}
		}
		c.entry.Parts = append(c.entry.Parts, lp)
		if mp != nil {
			mp.size, mp.sha256, mp.md5 = n, lp.SHA256, hex.EncodeToString(m5.Sum(nil))
		}
		if err != nil {
			u.abort()
			if c.r.Context().Err() != nil {
				return nil, false
			}
			c.fail(codeEmptyMedia, "malformed multipart body")
			return nil, false
		}
	}
	if u.media != nil && u.media.size > storeLimit {
		u.media.blob.abort()
		u.media.blob = nil
	}
	return u, true
}

func (u *upload) abort() {
	if u.media != nil && u.media.blob != nil {
		u.media.blob.abort()
		u.media.blob = nil
	}
}

// Write stores media bytes.
func (m *mediaPart) Write(p []byte) (int, error) { return m.blob.Write(p) }

// headWriter keeps the first sniffLen bytes written to it.
type headWriter struct{ b *[]byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if k := sniffLen - len(*h.b); k > 0 {
		*h.b = append(*h.b, p[:min(k, len(p))]...)
	}
	return len(p), nil
}

// limitWriter passes on at most n bytes and silently drops the rest.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if int64(len(q)) > l.n {
		q = q[:l.n]
	}
	k, err := l.w.Write(q)
	l.n -= int64(k)
	if err != nil {
		return k, err
	}
	return len(p), nil
}

// dispositionParams parses the parameters of a raw Content-Disposition
// header. Unlike mime.ParseMediaType it keeps filename exactly as sent (raw
// UTF-8 included) and does not let filename* stand in for filename: the
// platforms read only filename (docs/wire.md §3).
func dispositionParams(raw string) map[string]string {
	params := map[string]string{}
	s := raw
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[i+1:]
	} else {
		return params
	}
	for {
		s = strings.TrimLeft(s, " \t;")
		if s == "" {
			return params
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return params
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			val = b.String()
			s = s[min(i+1, len(s)):]
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		if _, dup := params[key]; !dup {
			params[key] = val
		}
	}
}
