package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// TestSeedDemoSecondAccount: SeedDemo adds a second demo Official Account
// whose library it leaves empty, whose credentials fetch tokens, and which
// it never seeds, even when called again after the account got items.
func TestSeedDemoSecondAccount(t *testing.T) {
	e := emulator.New()
	defer e.Close()
	must(t, e.SeedDemo())
	if c := e.LibraryCounts(emulator.DemoAppID2); c != (emulator.Counts{}) {
		t.Fatalf("second demo library %+v, want empty", c)
	}
	if c := e.LibraryCounts(emulator.DemoAppID); c == (emulator.Counts{}) {
		t.Fatal("the first demo library is empty")
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	q := url.Values{"grant_type": {"client_credential"}, "appid": {emulator.DemoAppID2}, "secret": {emulator.DemoAppSecret2}}
	resp, err := http.Get(srv.URL + emulator.OfficialAccountPrefix + "/cgi-bin/token?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Errcode     int    `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token of the second demo account: %+v, %v", tok, err)
	}
	if _, err := e.SeedPermanent(emulator.DemoAppID2, "image", "a.png", []byte("\x89PNG\r\n\x1a\n")); err != nil {
		t.Fatal(err)
	}
	must(t, e.SeedDemo())
	if c := e.LibraryCounts(emulator.DemoAppID2); c != (emulator.Counts{Image: 1}) {
		t.Fatalf("second demo library after SeedDemo again: %+v, want the one image added", c)
	}
}
