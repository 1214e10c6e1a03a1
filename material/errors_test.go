package material_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxmaterial/wxmaterial/material"
)

func TestAPIErrorIs(t *testing.T) {
	tests := []struct {
		name      string
		err       *material.APIError
		want      []error
		notWant   []error
		retryable bool
		token     bool
	}{
		{name: "OA not found", err: &material.APIError{Platform: material.OfficialAccount, Code: 40007}, want: []error{material.ErrNotFound}, notWant: []error{material.ErrTooLarge}},
		{name: "WeCom not found", err: &material.APIError{Platform: material.WeCom, Code: 40007}, want: []error{material.ErrNotFound}},
		{name: "busy", err: &material.APIError{Platform: material.WeCom, Code: -1}, want: []error{material.ErrBusy}, retryable: true},
		{name: "OA 40001 rejects the token", err: &material.APIError{Platform: material.OfficialAccount, Code: 40001}, want: []error{material.ErrUnauthorized}, token: true},
		{name: "expired token", err: &material.APIError{Platform: material.WeCom, Code: 42001}, want: []error{material.ErrUnauthorized}, token: true},
		{name: "OA 40004 is a bad type", err: &material.APIError{Platform: material.OfficialAccount, Code: 40004}, want: []error{material.ErrUnsupported}, notWant: []error{material.ErrInvalidFormat}},
		{name: "WeCom 40004 is a bad file", err: &material.APIError{Platform: material.WeCom, Code: 40004}, want: []error{material.ErrInvalidFormat}, notWant: []error{material.ErrUnsupported}},
		{name: "OA 40005 is a bad format", err: &material.APIError{Platform: material.OfficialAccount, Code: 40005}, want: []error{material.ErrInvalidFormat}},
		{name: "WeCom 41005 is missing media, as on the Official Account", err: &material.APIError{Platform: material.WeCom, Code: 41005}, want: []error{material.ErrEmpty, material.ErrInvalidInput}},
		{name: "quota", err: &material.APIError{Platform: material.OfficialAccount, Code: 45009}, want: []error{material.ErrQuota}},
		{name: "minute quota retries", err: &material.APIError{Platform: material.OfficialAccount, Code: 45011}, want: []error{material.ErrQuota}, retryable: true},
		{name: "WeCom concurrency", err: &material.APIError{Platform: material.WeCom, Code: 45033}, want: []error{material.ErrBusy}, retryable: true},
		{name: "too large", err: &material.APIError{Platform: material.WeCom, Code: 45001}, want: []error{material.ErrTooLarge, material.ErrInvalidSize}, notWant: []error{material.ErrTooLong}},
		{name: "voice too long", err: &material.APIError{Platform: material.OfficialAccount, Code: 45007}, want: []error{material.ErrTooLong, material.ErrTooLarge, material.ErrInvalidSize}},
		{name: "offline API", err: &material.APIError{Platform: material.OfficialAccount, Code: 45106}, want: []error{material.ErrUnsupported}},
		{name: "HTTP 503", err: &material.APIError{Platform: material.OfficialAccount, HTTPStatus: 503}, want: []error{material.ErrBusy}, retryable: true},
		{name: "HTTP 412", err: &material.APIError{Platform: material.OfficialAccount, HTTPStatus: 412}, want: []error{material.ErrInvalidInput}},
		{name: "unknown code", err: &material.APIError{Platform: material.WeCom, Code: 99999}, notWant: []error{material.ErrNotFound, material.ErrBusy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = tt.err
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(%v, %v) = false", err, w)
				}
			}
			for _, w := range tt.notWant {
				if errors.Is(err, w) {
					t.Errorf("errors.Is(%v, %v) = true", err, w)
				}
			}
			if got := tt.err.Retryable(); got != tt.retryable {
				t.Errorf("Retryable = %v, want %v", got, tt.retryable)
			}
			if got := tt.err.TokenRejected(); got != tt.token {
				t.Errorf("TokenRejected = %v, want %v", got, tt.token)
			}
		})
	}
}

func TestAPIErrorString(t *testing.T) {
	err := &material.APIError{Platform: material.OfficialAccount, Op: "cgi-bin/media/get", Code: 40007, Message: "invalid media_id", RequestID: "6500a1b2-1c2d3e4f-5a6b7c8d"}
	want := "Official Account cgi-bin/media/get: errcode 40007: invalid media_id (rid 6500a1b2-1c2d3e4f-5a6b7c8d)"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	status := &material.APIError{Platform: material.WeCom, Op: "cgi-bin/media/get", HTTPStatus: 502}
	if got := status.Error(); !strings.Contains(got, "HTTP 502 Bad Gateway") {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseErrmsg(t *testing.T) {
	tests := []struct {
		name, in, msg, rid string
	}{
		{name: "OA rid", in: "invalid media_id rid: 6500a1b2-1c2d3e4f-5a6b7c8d", msg: "invalid media_id", rid: "6500a1b2-1c2d3e4f-5a6b7c8d"},
		{name: "OA hint and rid", in: "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r hint: [Ez0bzA0492e331] rid: 6500a1b2-1c2d3e4f-5a6b7c8d", msg: "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r", rid: "6500a1b2-1c2d3e4f-5a6b7c8d"},
		{name: "WeCom", in: "invalid media_id, hint: [1699000000_44_abc], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=40007", msg: "invalid media_id", rid: "1699000000_44_abc"},
		{name: "plain", in: "ok", msg: "ok"},
	}
	for _, tt := range tests {
		msg, rid := material.ParseErrmsg(tt.in)
		if diff := cmp.Diff([]string{tt.msg, tt.rid}, []string{msg, rid}); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestJobError(t *testing.T) {
	tests := []struct {
		code int
		want error
	}{
		{code: 830001, want: material.ErrFetchFailed},
		{code: 830003, want: material.ErrFetchFailed},
		{code: 45001, want: material.ErrTooLarge},
		{code: 301019, want: material.ErrChecksum},
	}
	for _, tt := range tests {
		err := error(&material.JobError{JobID: "j1", Code: tt.code, Message: "x"})
		if !errors.Is(err, tt.want) {
			t.Errorf("JobError %d does not match %v", tt.code, tt.want)
		}
	}
}

func TestURLUploadValidate(t *testing.T) {
	ok := material.URLUpload{Kind: material.KindVideo, Filename: "a.mp4", URL: "https://example.com/a.mp4", MD5: strings.Repeat("a", 32)}
	got, err := ok.Validate()
	if err != nil || got.Scene != 1 {
		t.Fatalf("Validate = %+v, %v; want scene 1, nil", got, err)
	}
	tests := []struct {
		name   string
		change func(*material.URLUpload)
		want   error
		text   string
	}{
		{name: "scene", change: func(u *material.URLUpload) { u.Scene = 2 }, want: material.ErrInvalidInput, text: "only scene 1"},
		{name: "image kind", change: func(u *material.URLUpload) { u.Kind = material.KindImage }, want: material.ErrUnsupported, text: "only video (MP4) and file"},
		{name: "long filename", change: func(u *material.URLUpload) { u.Filename = strings.Repeat("名", 43) + ".mp4" }, want: material.ErrInvalidInput, text: "128-byte limit"},
		{name: "no filename", change: func(u *material.URLUpload) { u.Filename = "" }, want: material.ErrInvalidInput, text: "missing file name"},
		{name: "dot filename", change: func(u *material.URLUpload) { u.Filename = "." }, want: material.ErrInvalidInput, text: `the file name "." names no file`},
		{name: "dot-dot filename", change: func(u *material.URLUpload) { u.Filename = "clips/.." }, want: material.ErrInvalidInput, text: `the file name ".." names no file`},
		{name: "long url", change: func(u *material.URLUpload) { u.URL = "https://example.com/" + strings.Repeat("a", 1010) }, want: material.ErrInvalidInput, text: "1024-byte limit"},
		{name: "bad md5", change: func(u *material.URLUpload) { u.MD5 = "xyz" }, want: material.ErrInvalidInput, text: "32 hexadecimal"},
		{name: "relative url", change: func(u *material.URLUpload) { u.URL = "/a.mp4" }, want: material.ErrInvalidInput, text: "absolute http"},
		{name: "url with user and password", change: func(u *material.URLUpload) { u.URL = "https://u:p4ss@example.com/x" }, want: material.ErrInvalidInput, text: "user info"},
		{name: "url with a user", change: func(u *material.URLUpload) { u.URL = "http://u@example.com/x" }, want: material.ErrInvalidInput, text: "credentials"},
		{name: "filename up two folders", change: func(u *material.URLUpload) { u.Filename = "../../a.bin" }, want: material.ErrInvalidInput, text: `"../../a.bin" has a folder part`},
		{name: "filename in a folder", change: func(u *material.URLUpload) { u.Filename = "a/b.bin" }, want: material.ErrInvalidInput, text: `such as "b.bin"`},
		{name: "filename with a backslash", change: func(u *material.URLUpload) { u.Filename = `c:\a.bin` }, want: material.ErrInvalidInput, text: "folder part"},
	}
	for _, tt := range tests {
		u := ok
		tt.change(&u)
		_, err := u.Validate()
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: err = %v, want %v containing %q", tt.name, err, tt.want, tt.text)
		}
		if err != nil && strings.Contains(err.Error(), "p4ss") {
			t.Errorf("%s: err = %q shows the URL's password", tt.name, err)
		}
	}
}
