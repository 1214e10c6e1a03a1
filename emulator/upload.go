package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const mb = 1 << 20

// rule is what one upload endpoint accepts for one kind of media.
type rule struct {
	max, min   int64    // accepted sizes, inclusive
	formats    []string // accepted formats (by bytes and by extension); nil accepts any
	tooBig     int      // code for size > max
	tooSmall   int      // code for 0 < size < min
	badFormat  int      // code for a format outside formats
	maxSeconds int64    // longest accepted voice (measured by voiceMeter), 0 = no check
}

var (
	oaTempRules = map[string]rule{
		"image": {max: 10 * mb, formats: []string{fmtJPEG, fmtPNG, fmtGIF}, tooBig: codeBadImageSize, badFormat: codeBadFileTypeOA},
		"voice": {max: 2 * mb, formats: []string{fmtAMR, fmtMP3}, tooBig: codeBadVoiceSize, badFormat: codeBadFileTypeOA, maxSeconds: 60},
		"video": {max: 10 * mb, formats: []string{fmtMP4}, tooBig: codeBadVideoSize, badFormat: codeBadFileTypeOA},
		"thumb": {max: 64 << 10, formats: []string{fmtJPEG}, tooBig: codeBadThumbSize, badFormat: codeBadFileTypeOA},
	}
	oaPermanentRules = map[string]rule{
		"image": {max: 10 * mb, formats: []string{fmtBMP, fmtPNG, fmtJPEG, fmtGIF}, tooBig: codeBadImageSize, badFormat: codeUnsupportedFile},
		"voice": {max: 2 * mb, formats: []string{fmtMP3, fmtWMA, fmtWAV, fmtAMR}, tooBig: codeBadVoiceSize, badFormat: codeUnsupportedFile, maxSeconds: 60},
		"video": {max: 10 * mb, formats: []string{fmtMP4}, tooBig: codeBadVideoSize, badFormat: codeUnsupportedFile},
		"thumb": {max: 64 << 10, formats: []string{fmtJPEG}, tooBig: codeBadThumbSize, badFormat: codeUnsupportedFile},
	}
	// Below 1 MB: 1 MB itself is refused.
	oaUploadImageRule = rule{max: mb - 1, formats: []string{fmtJPEG, fmtPNG}, tooBig: codeBadImageSize, badFormat: codeBadFileTypeOA}

	// WeCom accepts only files of more than 5 bytes.
	workRules = map[string]rule{
		"image": {min: 6, max: 10 * mb, formats: []string{fmtJPEG, fmtPNG}, tooBig: codeBadImageSize, tooSmall: codeBadFileSize, badFormat: codeBadFileWork},
		"voice": {min: 6, max: 2 * mb, formats: []string{fmtAMR}, tooBig: codeTooLarge, tooSmall: codeBadFileSize, badFormat: codeVoiceNotAMR, maxSeconds: 60},
		"video": {min: 6, max: 10 * mb, formats: []string{fmtMP4}, tooBig: codeBadVideoSize, tooSmall: codeBadFileSize, badFormat: codeBadFileWork},
		"file":  {min: 6, max: 20 * mb, tooBig: codeTooLarge, tooSmall: codeBadFileSize},
	}
	workUploadImageRule = rule{min: 6, max: 2 * mb, formats: []string{fmtJPEG, fmtPNG}, tooBig: codeBadImageSize, tooSmall: codeBadFileSize, badFormat: codeBadFileWork}
)

// receiveUpload reads an upload and checks its media part against r,
// answering failures itself. On success the caller must defer u.abort()
// (a no-op once the bytes are committed).
func (c *call) receiveUpload(r rule) (*upload, string, bool) {
	u, ok := c.readUpload(r.max, r.maxSeconds > 0)
	if !ok {
		return nil, "", false
	}
	format, ok := c.checkUpload(u, r)
	if !ok {
		u.abort()
		return nil, "", false
	}
	return u, format, true
}

// checkUpload applies r to the media part of u and answers the error itself
// when it fails. It returns the detected format.
func (c *call) checkUpload(u *upload, r rule) (string, bool) {
	m := u.media
	switch {
	case m == nil:
		c.failHint(codeMissingMedia, "", "no multipart part named media")
		return "", false
	case m.starOnly:
		c.failHint(codeMissingMedia, "", `filename* (RFC 2231) is not read; send filename="..." with the raw UTF-8 name`)
		return "", false
	case !m.hasFilename:
		c.failHint(codeMissingMedia, "", "the media part has no filename")
		return "", false
	case strings.ContainsAny(m.filename, `/\`):
		c.failHint(codeMissingMedia, "", "the filename must be a base name, not a path")
		return "", false
	case m.filename == "." || m.filename == "..":
		c.failHint(CodeDotFileName, "", "the filename must name a file, not "+m.filename)
		return "", false
	case c.platform == WeCom && m.hasLength && m.fileLength != strconv.FormatInt(m.size, 10):
		c.failHint(CodeFileLengthMismatch, "", fmt.Sprintf("filelength %q is not the part's size, %d bytes", m.fileLength, m.size))
		return "", false
	case m.size == 0:
		c.fail(codeEmptyMedia, "")
		return "", false
	case m.size < r.min:
		c.fail(r.tooSmall, "")
		return "", false
	case m.size > r.max:
		c.fail(r.tooBig, "")
		return "", false
	}
	format := detectFormat(m.head)
	if r.formats != nil && (!contains(r.formats, format) || !contains(r.formats, extFormat(m.filename))) {
		c.failHint(r.badFormat, "", "accepted: "+strings.Join(r.formats, ", ")+" (judged by the bytes and by the extension)")
		return "", false
	}
	if r.maxSeconds > 0 {
		if d, ok := m.voice.duration(m.size); ok && d > time.Duration(r.maxSeconds)*time.Second {
			c.failHint(codeVoiceTooLong, "", fmt.Sprintf("the voice plays %.3f s, over %d s", d.Seconds(), r.maxSeconds))
			return "", false
		}
	}
	return format, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// newMediaID returns an id shaped like the platform's.
func newMediaID(p Platform) string {
	if p == WeCom {
		return "3" + randomID(47)
	}
	return randomID(48)
}

// newMedia describes an uploaded file about to be stored.
func (c *call) newMedia(owner, family, kind string, m *mediaPart, format string) *mediaRec {
	ext, ct := typeOf(format, m.filename)
	rec := &mediaRec{
		ID:          newMediaID(c.platform),
		Platform:    c.platform,
		Owner:       owner,
		Family:      family,
		Kind:        kind,
		Name:        m.filename,
		Ext:         ext,
		ContentType: ct,
		Size:        m.size,
		SHA256:      m.sha256,
		MD5:         m.md5,
		Created:     c.now,
	}
	if family == familyTemporary || family == familyMass {
		rec.Expires = c.now.Add(temporaryLife)
	}
	return rec
}

// storeUpload commits the upload's bytes and adds rec to the state if admit
// (run under the lock; nil admits all) returns 0; otherwise it answers
// admit's code. It answers failures itself and reports success.
func (c *call) storeUpload(u *upload, rec *mediaRec, admit func() int) bool {
	key, err := u.media.blob.commit()
	u.media.blob = nil
	if err != nil {
		c.e.log.Error("emulator: storing an upload", "err", err)
		c.fail(codeBusy, "")
		return false
	}
	rec.Blob = key
	if code := c.e.insertMedia(rec, admit); code != 0 {
		_ = c.e.blobs.remove(key)
		c.fail(code, "")
		return false
	}
	return true
}

// insertMedia adds rec to the state if admit (run under the lock) allows.
func (e *Emulator) insertMedia(rec *mediaRec, admit func() int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if admit != nil {
		if code := admit(); code != 0 {
			return code
		}
	}
	rec.Seq = e.nextSeq()
	e.st.Media[rec.ID] = rec
	e.indexAdd(rec)
	e.touch()
	return 0
}

// lookup returns a copy of the media record id if the platform's account
// owner holds it and it has not expired (an expired one is forgotten).
func (e *Emulator) lookup(p Platform, owner, id string, now time.Time) (mediaRec, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.st.Media[id]
	if m == nil || m.Platform != p || m.Owner != owner {
		return mediaRec{}, false
	}
	if m.expired(now) {
		e.dropMediaLocked(id)
		return mediaRec{}, false
	}
	return *m, true
}

// mediaURL is the token-free URL under which the emulator serves a media
// record's bytes (image url, video_url, down_url).
func (c *call) mediaURL(key string) string {
	if key == "" {
		return ""
	}
	return c.base + mediaURLPath + key
}
