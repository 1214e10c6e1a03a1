package emulator

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// chunkLimit is the largest piece of a WeCom media that media/get sends:
// larger media must be fetched with Range chunks of at most this size, else
// 830002 (WithRangeChunkLimit).
func (e *Emulator) chunkLimit() int64 {
	if e.cfg.chunkLimit > 0 {
		return e.cfg.chunkLimit
	}
	return DefaultRangeChunkLimit
}

// sendMedia streams a media record's bytes from storage. With ranges (WeCom)
// it honours a single "Range: bytes=..." with 206 and Content-Range, always
// sends Accept-Ranges, and answers 830002 when more than the chunk limit
// would be sent at once.
func (c *call) sendMedia(m mediaRec, contentType, disposition string, ranges bool) {
	start, length, partial := int64(0), m.Size, false
	if ranges {
		if rg := c.r.Header.Get("Range"); rg != "" {
			a, n, valid, satisfiable := parseRange(rg, m.Size)
			if valid && !satisfiable {
				c.w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", m.Size))
				c.httpError(http.StatusRequestedRangeNotSatisfiable, "416 Requested Range Not Satisfiable")
				return
			}
			if valid {
				start, length, partial = a, n, true
			}
		}
		if limit := c.e.chunkLimit(); m.Size > limit && length > limit {
			c.fail(codeJobTooLargeForGet, "")
			return
		}
	}
	rd, err := c.e.blobs.open(m.Blob, m.Size)
	if err != nil {
		c.e.log.Error("emulator: opening media bytes", "media_id", m.ID, "err", err)
		c.fail(codeBadMediaID, "")
		return
	}
	defer rd.Close()
	c.drain()
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	h["Content-disposition"] = []string{disposition} // spelled as the platforms do
	h.Set("Cache-Control", "no-cache, must-revalidate")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if ranges {
		h.Set("Accept-Ranges", "bytes")
	}
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, m.Size))
	}
	c.entry.Status = status
	c.w.WriteHeader(status)
	if _, err := io.Copy(c.w, io.NewSectionReader(rd, start, length)); err != nil {
		c.e.log.Debug("emulator: download cut short", "media_id", m.ID, "err", err)
	}
}

// parseRange parses a single-range "bytes=a-b", "bytes=a-" or "bytes=-n"
// header against size. valid is false for anything else (which is then
// ignored, as RFC 9110 allows, multiple ranges included); satisfiable is
// false when the range starts past the end.
func parseRange(h string, size int64) (start, length int64, valid, satisfiable bool) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, false
	}
	if a == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, false
		}
		if n == 0 || size == 0 {
			return 0, 0, true, false
		}
		n = min(n, size)
		return size - n, n, true, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return 0, 0, false, false
	}
	last := size - 1
	if b != "" {
		last, err = strconv.ParseInt(b, 10, 64)
		if err != nil || last < first {
			return 0, 0, false, false
		}
		last = min(last, size-1)
	}
	if first >= size {
		return 0, 0, true, false
	}
	return first, last - first + 1, true, true
}

// workDisposition is WeCom's Content-disposition for name: plain for ASCII
// names; for others the RFC 5987 form first and the raw bytes after, as
// observed.
func workDisposition(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return `attachment; filename*=utf-8''` + url.PathEscape(name) + `; filename="` + name + `"`
		}
	}
	return `attachment; filename="` + name + `"`
}

// serveMediaURL serves the token-free URLs the emulator hands out (image
// url, video_url, down_url) with Range support, like a CDN.
func (c *call) serveMediaURL(key string) {
	c.e.mu.Lock()
	var m mediaRec
	id, ok := c.e.urls[key]
	if ok {
		rec := c.e.st.Media[id]
		ok = rec != nil && !rec.expired(c.now)
		if ok {
			m = *rec
		}
	}
	c.e.mu.Unlock()
	if !ok || (c.r.Method != http.MethodGet && c.r.Method != http.MethodHead) {
		c.httpError(http.StatusNotFound, "404 Not Found")
		return
	}
	rd, err := c.e.blobs.open(m.Blob, m.Size)
	if err != nil {
		c.httpError(http.StatusNotFound, "404 Not Found")
		return
	}
	defer rd.Close()
	c.w.Header().Set("Content-Type", m.ContentType)
	sw := &statusWriter{ResponseWriter: c.w, status: http.StatusOK}
	http.ServeContent(sw, c.r, "", time.Time{}, rd)
	c.entry.Status = sw.status
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
