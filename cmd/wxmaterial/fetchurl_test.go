package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wxmaterial/wxmaterial/material"
)

// TestFetchURLOneRule: a link's reply is judged by transport's one rule for
// "file or error reply": an errcode, whatever its type, or an HTML page is
// never saved as media.
func TestFetchURLOneRule(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		wantFile                bool
		wantErr                 error
	}{
		{name: "video", contentType: "video/mp4", body: "\x00\x00\x00\x18ftypmp42", wantFile: true},
		{name: "errcode as octet-stream", contentType: "application/octet-stream", body: `{"errcode":40007,"errmsg":"invalid media_id"}`, wantErr: material.ErrNotFound},
		{name: "errcode as video", contentType: "video/mp4", body: `{"errcode":40007,"errmsg":"invalid media_id"}`, wantErr: material.ErrNotFound},
		{name: "HTML page typed as video", contentType: "video/mp4", body: "<html>login</html>"},
		{name: "HTML page", contentType: "text/html", body: "<html>502</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := fetchURL(t.Context(), srv.Client(), srv.URL+"/v.mp4")
			if tt.wantFile {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if got, _ := io.ReadAll(c); string(got) != tt.body {
					t.Errorf("file = %q", got)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("the reply came back as a file")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
