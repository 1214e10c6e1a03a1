// Package wire holds JSON types for the platforms' loosely typed fields,
// shared by the clients and the token fetchers.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Int is an integer the platforms send as a JSON number or as a string
// holding one (documents disagree: WeCom documents created_at and a job's
// status as strings and sends numbers). null, "" and a missing field are 0.
type Int int64

// UnmarshalJSON accepts 7200, "7200" and null.
func (i *Int) UnmarshalJSON(b []byte) error {
	s := bytes.TrimSpace(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if len(s) == 0 || string(s) == "null" {
		*i = 0
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(s, &n); err != nil {
		return fmt.Errorf("%.40q is not a number", b)
	}
	v, err := n.Int64()
	if err != nil {
		return fmt.Errorf("%.40q is not an integer", b)
	}
	*i = Int(v)
	return nil
}

// Time is a Unix time in seconds, sent as an Int.
type Time Int

// UnmarshalJSON accepts what Int accepts.
func (t *Time) UnmarshalJSON(b []byte) error { return (*Int)(t).UnmarshalJSON(b) }

// Or returns t as a time, or now() to the second when the platform gave none.
func (t Time) Or(now func() time.Time) time.Time {
	if t <= 0 {
		return now().Truncate(time.Second)
	}
	return time.Unix(int64(t), 0)
}

// Time returns t as a time; the zero time when the platform gave none.
func (t Time) Time() time.Time {
	if t <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0)
}

// Media is the reply of the calls that make media: media/upload on both
// platforms, WeCom's upload_attachment and the Official Account's
// add_material. A thumb's id may come in thumb_media_id. (The mass-send
// uploadnews and uploadvideo have their own reply type in officialaccount:
// their id is media_id only.)
type Media struct {
	Type         string `json:"type"`
	MediaID      string `json:"media_id"`
	ThumbMediaID string `json:"thumb_media_id"`
	URL          string `json:"url"`
	CreatedAt    Time   `json:"created_at"`
}

// ID is the media id, from media_id or else thumb_media_id.
func (m *Media) ID() string {
	if m.MediaID != "" {
		return m.MediaID
	}
	return m.ThumbMediaID
}

// Missing tells the transport (transport.Required) that a reply without an
// id is no answer: the media may have been made all the same.
func (m *Media) Missing() string {
	if m.ID() == "" {
		return "media_id"
	}
	return ""
}

// URL is the reply of uploadimg on both platforms.
type URL struct {
	URL string `json:"url"`
}

// Missing tells the transport that a reply without url is no answer.
func (u *URL) Missing() string {
	if u.URL == "" {
		return "url"
	}
	return ""
}

// Verdict reads body as a platform's verdict on a request: the errcode of
// a reply that is exactly one valid JSON object (white space around it
// allowed, nothing else), whose top level has exactly one errcode key
// (keys are compared without regard to case, as encoding/json matches
// them, and the one found must be spelled "errcode"), whose value is a
// JSON integer: no quotes, fraction or exponent, within an int. Anything
// else is not a verdict, and ok is false: a reply that is not the
// platform's plain word cannot say that the platform did not act.
func Verdict(body []byte) (code int, ok bool) {
	if !json.Valid(body) {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, false
	}
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, false
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, false
		}
		if !strings.EqualFold(key, "errcode") {
			continue
		}
		if found || key != "errcode" {
			return 0, false
		}
		found = true
		if code, ok = jsonInt(raw); !ok {
			return 0, false
		}
	}
	return code, found
}

// jsonInt parses a JSON number that is an integer within an int.
func jsonInt(raw []byte) (int, bool) {
	s := string(raw)
	if s == "" || strings.ContainsAny(s, ".eE\"") {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
