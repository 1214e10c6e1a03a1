package wire_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wxmaterial/wxmaterial/internal/wire"
)

func TestInt(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    wire.Int
		wantErr bool
	}{
		{name: "number", in: `7200`, want: 7200},
		{name: "string", in: `"1700000000"`, want: 1700000000},
		{name: "null", in: `null`, want: 0},
		{name: "empty string", in: `""`, want: 0},
		{name: "negative", in: `-1`, want: -1},
		{name: "fraction", in: `1.5`, wantErr: true},
		{name: "word", in: `"soon"`, wantErr: true},
		{name: "object", in: `{}`, wantErr: true},
	}
	for _, tt := range tests {
		var v struct{ N wire.Int }
		err := json.Unmarshal([]byte(`{"N":`+tt.in+`}`), &v)
		if (err != nil) != tt.wantErr || v.N != tt.want {
			t.Errorf("%s: got %d, %v; want %d, error %v", tt.name, v.N, err, tt.want, tt.wantErr)
		}
	}
}

func TestTime(t *testing.T) {
	var v struct{ A, B wire.Time }
	if err := json.Unmarshal([]byte(`{"A":"1700000000"}`), &v); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	if got := v.A.Or(func() time.Time { return now }); !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("A.Or = %v", got)
	}
	if got := v.B.Or(func() time.Time { return now }); !got.Equal(now.Truncate(time.Second)) {
		t.Errorf("missing B.Or = %v, want now to the second", got)
	}
	if !v.B.Time().IsZero() {
		t.Errorf("missing B.Time = %v, want zero", v.B.Time())
	}
}

func TestMediaAndURLMissing(t *testing.T) {
	tests := []struct {
		name, body, want string
		reply            interface{ Missing() string }
	}{
		{name: "media_id", body: `{"media_id":"M"}`, reply: &wire.Media{}, want: ""},
		{name: "thumb_media_id", body: `{"type":"thumb","thumb_media_id":"T"}`, reply: &wire.Media{}, want: ""},
		{name: "no id", body: `{"errcode":0,"errmsg":"ok"}`, reply: &wire.Media{}, want: "media_id"},
		{name: "url", body: `{"url":"http://x"}`, reply: &wire.URL{}, want: ""},
		{name: "no url", body: `{"url":""}`, reply: &wire.URL{}, want: "url"},
	}
	for _, tt := range tests {
		if err := json.Unmarshal([]byte(tt.body), tt.reply); err != nil {
			t.Fatal(err)
		}
		if got := tt.reply.Missing(); got != tt.want {
			t.Errorf("%s: Missing = %q, want %q", tt.name, got, tt.want)
		}
	}
	var m wire.Media
	json.Unmarshal([]byte(`{"thumb_media_id":"T"}`), &m)
	if m.ID() != "T" {
		t.Errorf("ID = %q, want the thumb's", m.ID())
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int
		wantOK   bool
	}{
		{name: "busy", body: `{"errcode":-1,"errmsg":"system error"}`, wantCode: -1, wantOK: true},
		{name: "success", body: `{"errcode":0,"errmsg":"ok"}`, wantCode: 0, wantOK: true},
		{name: "white space around", body: " \n{ \"errcode\" : 45009 }\r\n", wantCode: 45009, wantOK: true},
		{name: "other keys and nested errcodes", body: `{"detail":{"errcode":-1},"list":[{"errcode":1}],"errcode":40007}`, wantCode: 40007, wantOK: true},
		{name: "a string", body: `{"errcode":"-1","errmsg":"busy"}`},
		{name: "a fraction", body: `{"errcode":-1.0}`},
		{name: "an exponent", body: `{"errcode":1e2}`},
		{name: "null", body: `{"errcode":null}`},
		{name: "too large for an int", body: `{"errcode":123456789012345678901234567890}`},
		{name: "garbage after the object", body: `{"errcode":-1,"errmsg":"busy"}garbage`},
		{name: "a second object", body: `{"errcode":-1}{"errcode":-1}`},
		{name: "the key twice", body: `{"errcode":0,"media_id":"","errcode":-1}`},
		{name: "the key twice in two cases", body: `{"errcode":-1,"ErrCode":-1}`},
		{name: "the key in another case", body: `{"ErrCode":-1}`},
		{name: "no errcode", body: `{"errmsg":"busy"}`},
		{name: "only nested", body: `{"detail":{"errcode":-1}}`},
		{name: "not an object", body: `[{"errcode":-1}]`},
		{name: "cut short", body: `{"errcode":-1,"errmsg":"bu`},
		{name: "empty", body: ``},
		{name: "an HTML page", body: `<html>{"errcode":-1}</html>`},
		{name: "a byte-order mark", body: "\xef\xbb\xbf{\"errcode\":-1}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := wire.Verdict([]byte(tt.body))
			if code != tt.wantCode || ok != tt.wantOK {
				t.Errorf("Verdict(%q) = %d, %v; want %d, %v", tt.body, code, ok, tt.wantCode, tt.wantOK)
			}
		})
	}
}
