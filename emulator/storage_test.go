package emulator_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
)

// openDir serves an emulator on dir; close it with the returned func.
func openDir(t *testing.T, dir string, clock *emulator.FakeClock, opts ...emulator.Option) (*env, func()) {
	t.Helper()
	e, err := emulator.Open(append([]emulator.Option{emulator.WithDir(dir), emulator.WithClock(clock)}, opts...)...)
	must(t, err)
	srv := httptest.NewServer(e)
	v := &env{t: t, e: e, clock: clock, srv: srv, oa: srv.URL + "/oa", work: srv.URL + "/work", client: srv.Client()}
	return v, func() {
		srv.Close()
		must(t, e.Close())
	}
}

func TestDirPersistsAllState(t *testing.T) {
	dir := t.TempDir()
	clock := emulator.NewFakeClock(epoch)
	q := emulator.DefaultQuotas()
	q.WeComUploadImagePerDay = 1
	v, closeFirst := openDir(t, dir, clock, emulator.WithQuotas(q))
	must(t, v.e.AddOfficialAccount(appID, appSecret))
	must(t, v.e.AddWeComAgent(corpID, agentID, agentSecret))
	oaTok, wkTok := v.oaToken(), v.workToken()
	stable := stableToken(v, false).str("access_token")
	jpg := jpegBytes(t, 8, 8)
	temp := v.upload(withToken(v.oa+"/cgi-bin/media/upload", oaTok, "type", "image"), file("t.jpg", jpg)).str("media_id")
	perm := v.upload(withToken(v.oa+"/cgi-bin/material/add_material", oaTok, "type", "image"), file("p.jpg", jpg)).str("media_id")
	wantCode(t, v.upload(withToken(v.work+"/cgi-bin/media/uploadimg", wkTok), file("i.jpg", jpg)), 0)
	data := []byte("a file fetched by URL")
	src, _ := source(t, data)
	job := v.submit(jobRequest("file", src.URL+"/f", md5hex(data))).str("jobid")
	v.waitJobs()
	deleted := v.upload(withToken(v.oa+"/cgi-bin/material/add_material", oaTok, "type", "image"), file("d.jpg", jpg)).str("media_id")
	wantCode(t, v.postJSON(withToken(v.oa+"/cgi-bin/material/del_material", oaTok), map[string]string{"media_id": deleted}), 0)
	closeFirst()

	// A second process on the same folder sees it all.
	w, closeSecond := openDir(t, dir, clock, emulator.WithQuotas(q))
	defer closeSecond()
	must(t, w.e.AddOfficialAccount(appID, appSecret)) // as the tool does on every start
	if c := w.callOA(oaTok); c != 0 {
		t.Errorf("plain token after reopening: %d", c)
	}
	if c := w.callOA(stable); c != 0 {
		t.Errorf("stable token after reopening: %d", c)
	}
	if s := stableToken(w, false).str("access_token"); s != stable {
		t.Error("stable token changed across processes")
	}
	if resp, b := w.get(withToken(w.oa+"/cgi-bin/media/get", oaTok, "media_id", temp)); resp.StatusCode != 200 || !bytes.Equal(b, jpg) {
		t.Errorf("temporary media after reopening: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
	body, _ := marshal(t, map[string]string{"media_id": perm})
	if resp, b := w.post(withToken(w.oa+"/cgi-bin/material/get_material", oaTok), "application/json", body); !bytes.Equal(b, jpg) {
		t.Errorf("permanent media after reopening: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
	if c := w.e.LibraryCounts(appID); c.Image != 1 {
		t.Errorf("library after reopening: %+v", c)
	}
	r := w.postJSON(withToken(w.work+"/cgi-bin/media/get_upload_by_url_result", wkTok), map[string]string{"jobid": job})
	if r.num("status") != 2 {
		t.Fatalf("job after reopening: %v", r)
	}
	if resp, b := w.get(withToken(w.work+"/cgi-bin/media/get", wkTok, "media_id", r.obj("detail").str("media_id"))); !bytes.Equal(b, data) {
		t.Errorf("job media after reopening: HTTP %d %q", resp.StatusCode, b)
	}
	wantCode(t, w.upload(withToken(w.work+"/cgi-bin/media/uploadimg", wkTok), file("i.jpg", jpg)), emulator.CodeUploadImageQuota)
	if s := w.e.TokenFetches(appID); s.Plain != 1 || s.Stable != 2 {
		t.Errorf("token stats after reopening: %+v", s)
	}
	// Metadata is replaced atomically and no temporary file is left; the
	// deleted media's bytes are gone.
	ents, err := os.ReadDir(dir)
	must(t, err)
	for _, ent := range ents {
		if n := ent.Name(); n != "state.json" && n != "blobs" && n != "tmp" {
			t.Errorf("unexpected file %s in the folder", n)
		}
	}
	blobs, err := os.ReadDir(filepath.Join(dir, "blobs"))
	must(t, err)
	if len(blobs) != 4 { // temp, perm, uploadimg, job
		t.Errorf("%d blobs, want 4", len(blobs))
	}
}

func TestDirErrors(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(f, []byte("x"), 0o600))
	if _, err := emulator.Open(emulator.WithDir(f)); err == nil {
		t.Error("Open on a file: no error")
	}
	bad := t.TempDir()
	must(t, os.WriteFile(filepath.Join(bad, "state.json"), []byte("{"), 0o600))
	if _, err := emulator.Open(emulator.WithDir(bad)); err == nil {
		t.Error("Open on a corrupt state.json: no error")
	}
	defer func() {
		if recover() == nil {
			t.Error("New with a bad folder did not panic")
		}
	}()
	emulator.New(emulator.WithDir(f))
}

func TestDirForgetsMediaWhoseBytesVanished(t *testing.T) {
	dir := t.TempDir()
	clock := emulator.NewFakeClock(epoch)
	e, err := emulator.Open(emulator.WithDir(dir), emulator.WithClock(clock))
	must(t, err)
	must(t, e.AddOfficialAccount(appID, appSecret))
	id, err := e.SeedPermanent(appID, "image", "a.png", pngBytes(t, 2, 2))
	must(t, err)
	must(t, e.Close())
	blobs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	for _, b := range blobs {
		must(t, os.Remove(filepath.Join(dir, "blobs", b.Name())))
	}
	e, err = emulator.Open(emulator.WithDir(dir), emulator.WithClock(clock))
	must(t, err)
	defer e.Close()
	if _, ok := e.Media(id); ok {
		t.Error("media without bytes survived reopening")
	}
}

func TestDiscardKeepsSizeAndHash(t *testing.T) {
	v := newEnv(t, emulator.WithDiscard())
	tok := v.workToken()
	data := bytes.Repeat([]byte("discard me "), 300)
	id := v.upload(withToken(v.work+"/cgi-bin/media/upload", tok, "type", "file"), file("big.bin", data)).str("media_id")
	info, ok := v.e.Media(id)
	sum := sha256.Sum256(data)
	if !ok || info.Size != int64(len(data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Media %+v", info)
	}
	resp, b := v.get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id))
	if resp.StatusCode != 200 || !bytes.Equal(b, make([]byte, len(data))) {
		t.Errorf("download of discarded media: HTTP %d, %d bytes, want %d zeros", resp.StatusCode, len(b), len(data))
	}
	resp, b = v.get(withToken(v.work+"/cgi-bin/media/get", tok, "media_id", id), "Range", "bytes=10-19")
	if resp.StatusCode != 206 || len(b) != 10 {
		t.Errorf("range of discarded media: HTTP %d, %d bytes", resp.StatusCode, len(b))
	}
}
