package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/wxmaterial/wxmaterial/internal/wire"
)

// BodyKind is what a reply's body holds, as Classify judges it.
type BodyKind int

// The kinds of body Classify tells apart.
const (
	// BodyFile is file bytes: the media itself.
	BodyFile BodyKind = iota + 1
	// BodyJSON is a JSON object that is not an error reply: an Official
	// Account video link ({"video_url": ...}), a permanent video's
	// description or a news item.
	BodyJSON
	// BodyError is an error reply, never to be taken for media: an HTTP
	// status other than 200 and 206, a JSON object with a non-zero errcode,
	// an HTML or XML page, a reply typed JSON that is not a JSON object, an
	// empty body.
	BodyError
)

// String returns "file", "JSON" or "error".
func (k BodyKind) String() string {
	switch k {
	case BodyFile:
		return "file"
	case BodyJSON:
		return "JSON"
	case BodyError:
		return "error"
	}
	return "unknown"
}

// peekLimit bounds how far Classify reads ahead of the caller: an error
// envelope is a few hundred bytes, and a file is never read further.
const peekLimit = 64 << 10

// Classify answers "is this body the file or an error reply?" for a reply
// to a download. It is the one rule every download path applies (API
// downloads, DownloadLink, HD voice, Range chunks, and the token transport
// looking for a rejected token): it peeks at the first bytes of the body
// and puts them back, so resp.Body still yields every byte, and nothing but
// the peek (at most 64 KiB, and only for a body that starts like JSON) is
// read ahead.
//
// The body decides first; headers can only make the verdict stricter:
//
//   - an HTTP status other than 200 and 206 is an error, whatever the body;
//   - a 206 (Partial Content) is an error unless it answers a request that
//     carried "Range: bytes=first-last" (or "bytes=first-", resp.Request's
//     header) with "Content-Range: bytes first-end/total", end at most last
//     and under total, and a Content-Length, when there is one, of exactly
//     those bytes: a fragment is never taken for the whole file. Such an
//     error also matches ErrLength;
//   - a body that starts (after white space) with '{' is an error when the
//     object's top level has a non-zero or malformed errcode (null included;
//     of several, any that is not 0 counts), whatever the
//     Content-Type and Content-Disposition say. Without one it is a file
//     when a header says so (a Content-Disposition, or a media type other
//     than JSON, text and application/octet-stream; a WeCom "file" may be
//     a JSON document), and a JSON reply otherwise;
//   - an empty body is an error;
//   - without a Content-Disposition, an HTML type, a body that starts with
//     '<', or a JSON type on a body that is not an object is an error page;
//   - anything else is a file.
//
// An errcode is looked for in the first 64 KiB of the body: a platform's
// error reply is far smaller.
func Classify(resp *http.Response) BodyKind { return classify(resp).kind }

// verdict is Classify's finding, with the errcode of an error envelope.
type verdict struct {
	kind    BodyKind
	code    int  // the errcode found, when has
	has     bool // the body's top level holds an errcode
	why     string
	partial bool   // a 206 that does not answer the request's Range: why says how
	whole   []byte // the whole body, when it ended within the peek
}

// peekedBody is a body Classify has looked at: the peeked bytes, then the
// rest. It keeps the verdict so that a second look costs nothing.
type peekedBody struct {
	io.Reader
	closer  io.Closer
	verdict verdict
}

func (p *peekedBody) Close() error { return p.closer.Close() }

// classify is Classify with the errcode it found.
func classify(resp *http.Response) verdict {
	if p, ok := resp.Body.(*peekedBody); ok {
		return p.verdict
	}
	head, rerr := peek(resp.Body)
	v := judgeBody(resp.StatusCode, resp.Header, head, rerr == nil || rerr == io.EOF)
	if rerr == io.EOF {
		v.whole = head
	}
	if v.kind != BodyError && resp.StatusCode == http.StatusPartialContent {
		asked := ""
		if resp.Request != nil {
			asked = resp.Request.Header.Get("Range")
		}
		if why := partialMismatch(asked, resp.Header.Get("Content-Range"), resp.ContentLength); why != "" {
			v = verdict{kind: BodyError, why: why, partial: true, whole: v.whole}
		}
	}
	rest := resp.Body
	var r io.Reader = bytes.NewReader(head)
	switch {
	case rerr == io.EOF:
	case rerr != nil:
		r = io.MultiReader(r, errReader{rerr})
	default:
		r = io.MultiReader(r, rest)
	}
	resp.Body = &peekedBody{Reader: r, closer: rest, verdict: v}
	return v
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// peek reads the start of a body: up to the first byte that is not white
// space or a byte-order mark and, when that byte opens a JSON object, on to
// the end of the body or peekLimit bytes. It returns io.EOF when the body
// ended within the peek.
func peek(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= peekLimit {
				return buf, nil
			}
			grown := make([]byte, len(buf), min(2*cap(buf), peekLimit))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
		if i := firstByte(buf); i >= 0 && buf[i] != '{' {
			return buf, nil
		}
	}
}

// firstByte returns the index of the first byte of b that is not white
// space or part of a UTF-8 byte-order mark, or -1.
func firstByte(b []byte) int {
	i := 0
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n':
			i++
		case bytes.HasPrefix(b[i:], []byte("\xef\xbb\xbf")):
			i += 3
		case len(b)-i < 3 && bytes.HasPrefix([]byte("\xef\xbb\xbf"), b[i:]):
			return -1 // a mark cut by the peek so far
		default:
			return i
		}
	}
	return -1
}

// judgeBody is the rule of Classify on a reply's status, headers and first
// bytes; ended says head is the whole body.
func judgeBody(status int, h http.Header, head []byte, ended bool) verdict {
	if status != http.StatusOK && status != http.StatusPartialContent {
		env := scanEnvelope(head[max(firstByte(head), 0):], ended)
		return verdict{kind: BodyError, code: env.code, has: env.has && !env.malformed, why: "HTTP status"}
	}
	disposition := h.Get("Content-Disposition") != ""
	mt := mediaType(h.Get("Content-Type"))
	i := firstByte(head)
	switch {
	case i < 0 && ended:
		return verdict{kind: BodyError, why: "empty reply"}
	case i < 0:
		if disposition {
			return verdict{kind: BodyFile}
		}
		return verdict{kind: BodyError, why: "a reply of white space"}
	case head[i] == '{':
		env := scanEnvelope(head[i:], ended)
		switch {
		case env.malformed:
			return verdict{kind: BodyError, why: "malformed errcode"}
		case env.has && env.code != 0:
			return verdict{kind: BodyError, code: env.code, has: true, why: "errcode"}
		case disposition || fileType(mt):
			return verdict{kind: BodyFile}
		}
		return verdict{kind: BodyJSON, has: env.has}
	case disposition:
		return verdict{kind: BodyFile}
	case head[i] == '<' || mt == "text/html" || mt == "application/xhtml+xml":
		return verdict{kind: BodyError, why: "an HTML or XML page"}
	case jsonType(mt):
		return verdict{kind: BodyError, why: "a reply typed " + mt + " that is not a JSON object"}
	}
	return verdict{kind: BodyFile}
}

// partialMismatch says why a 206 reply with Content-Range contentRange and
// Content-Length length (-1 when unknown) does not answer a request whose
// Range header was asked ("" when it had none), or returns "" when it does.
// The reason holds numbers only, never header text.
func partialMismatch(asked, contentRange string, length int64) string {
	a, b, total, rangeOK := parseContentRange(contentRange)
	held := "a fragment"
	if rangeOK {
		held = fmt.Sprintf("bytes %d-%d of %d", a, b, total)
	}
	if asked == "" {
		return held + ", in answer to a request for the whole file"
	}
	first, last, ok := parseRange(asked)
	switch {
	case !ok:
		return held + ", in answer to a Range this client does not send"
	case !rangeOK:
		return fmt.Sprintf("no Content-Range \"bytes first-last/total\" with the bytes %d-%s asked for", first, lastText(last))
	case a != first || (last >= 0 && b > last):
		return fmt.Sprintf("%s, in answer to a request for bytes %d-%s", held, first, lastText(last))
	case length >= 0 && length != b-a+1:
		return fmt.Sprintf("%s with a Content-Length of %d", held, length)
	}
	return ""
}

// parseRange parses a Range header of one range, "bytes=first-last" or
// "bytes=first-" (last is then -1), the ones this package sends.
func parseRange(h string) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found {
		return 0, 0, false
	}
	fs, ls, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	first, err := strconv.ParseInt(fs, 10, 64)
	if err != nil || first < 0 {
		return 0, 0, false
	}
	if ls == "" {
		return first, -1, true
	}
	last, err = strconv.ParseInt(ls, 10, 64)
	if err != nil || last < first {
		return 0, 0, false
	}
	return first, last, true
}

func lastText(last int64) string {
	if last < 0 {
		return ""
	}
	return strconv.FormatInt(last, 10)
}

func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		// A malformed type still names itself before any parameter.
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

func jsonType(mt string) bool {
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// fileType reports a media type that names a file: not JSON, not text, not
// the type of anything at all.
func fileType(mt string) bool {
	return mt != "" && !jsonType(mt) && !strings.HasPrefix(mt, "text/") && mt != "application/octet-stream"
}

// envelopeScan is what the top level of a JSON object says about errcode
// and errmsg.
type envelopeScan struct {
	has       bool   // an errcode key is present
	code      int    // its value: of several, the first that is not 0
	malformed bool   // its value is not an integer nor a string holding one (null included)
	msg       string // the errmsg, when it is a string
	complete  bool   // the object ended within the bytes scanned
	valid     bool   // the object is valid JSON, with nothing after it (only when complete)
}

// scanEnvelope reads the top level of the JSON object b starts with for
// errcode and errmsg. Keys match case-insensitively, as encoding/json
// matches them; of a repeated errcode, the first that is not 0 counts (see
// set), of a repeated errmsg the last. whole says b is the
// whole reply: it is then decoded by encoding/json itself, which keeps no
// copy of the values it skips; otherwise b may be cut short (a peek) and
// its top level is read token by token as far as it goes. It is the one
// reader of the envelope, for a peek and for a whole reply alike.
func scanEnvelope(b []byte, whole bool) envelopeScan {
	if whole {
		return decodeEnvelope(b)
	}
	var s envelopeScan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return s
	}
	for {
		t, err := dec.Token()
		if err != nil {
			return s // cut short, or not JSON
		}
		if t == json.Delim('}') {
			s.complete = true
			_, err := dec.Token()
			s.valid = err == io.EOF
			return s
		}
		key, _ := t.(string)
		var raw json.RawMessage
		switch {
		case strings.EqualFold(key, "errcode"), strings.EqualFold(key, "errmsg"):
			if dec.Decode(&raw) != nil {
				return s
			}
			s.set(key, raw)
		default:
			if skipValue(dec) != nil {
				return s
			}
		}
	}
}

// decodeEnvelope is scanEnvelope on a whole reply.
func decodeEnvelope(b []byte) envelopeScan {
	var env struct {
		Errcode json.RawMessage `json:"errcode"`
		Errmsg  json.RawMessage `json:"errmsg"`
	}
	s := envelopeScan{complete: true}
	if i := firstByte(b); i < 0 || b[i] != '{' || json.Unmarshal(b, &env) != nil {
		// Not one JSON object: look at what its top level says anyway.
		s = scanEnvelope(b[max(firstByte(b), 0):], false)
		s.valid = false
		return s
	}
	if env.Errcode != nil {
		// Read every errcode the object gives, not only the last one
		// encoding/json keeps: one of them may say error.
		return scanEnvelope(b[firstByte(b):], false)
	}
	s.valid = true
	if env.Errmsg != nil {
		s.set("errmsg", env.Errmsg)
	}
	return s
}

// set records the value of errcode or errmsg. Of an errcode given more
// than once, the first that is not 0 counts (a malformed one included): an
// object that says error anywhere is an error reply.
func (s *envelopeScan) set(key string, raw json.RawMessage) {
	if !strings.EqualFold(key, "errcode") {
		var msg string
		if json.Unmarshal(raw, &msg) == nil {
			s.msg = msg
		}
		return
	}
	if s.has && (s.malformed || s.code != 0) {
		return
	}
	var n wire.Int
	if err := n.UnmarshalJSON(raw); err != nil || int64(int(n)) != int64(n) || string(raw) == "null" {
		s.has, s.code, s.malformed = true, 0, true
		return
	}
	s.has, s.code, s.malformed = true, int(n), false
}

// skipValue reads past the next value without keeping it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth <= 0 {
			if depth < 0 {
				return errors.New("unbalanced JSON")
			}
			return nil
		}
	}
}
