package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// stateFile is the name of the metadata file in the WithDir folder; media
// bytes live beside it under blobs/.
const stateFile = "state.json"

const stateVersion = 1

type stateOnDisk struct {
	Version int    `json:"version"`
	State   *state `json:"state"`
}

// load reads the folder's state.json, if any, and reconciles it with the
// stored blobs: media whose bytes are missing are forgotten, bytes no media
// refers to are removed, and jobs that were running when the previous
// process stopped are marked failed (830003).
func (e *Emulator) load() error {
	path := filepath.Join(e.cfg.dir, stateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	disk := stateOnDisk{State: newState()} // absent maps stay empty, not nil
	if err := json.Unmarshal(b, &disk); err != nil {
		return fmt.Errorf("emulator: reading %s: %w", path, err)
	}
	if disk.Version != stateVersion || disk.State == nil {
		return fmt.Errorf("emulator: %s has unknown version %d", path, disk.Version)
	}
	st := disk.State
	for _, c := range st.Corps {
		if c.Agents == nil {
			c.Agents = map[int64]*agent{}
		}
	}
	for _, j := range st.Jobs {
		if j.Status == jobRunning {
			j.Status, j.Code, j.Msg = jobFailed, codeJobDownload, message(codeJobDownload)
		}
	}
	if ds, ok := e.blobs.(*dirStore); ok {
		keys, err := ds.keys()
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		have := make(map[string]bool, len(keys))
		for _, k := range keys {
			have[k] = true
		}
		used := map[string]bool{}
		for id, m := range st.Media {
			if m.Blob == "" {
				continue
			}
			if !have[m.Blob] {
				e.log.Warn("emulator: forgetting media whose bytes are missing", "media_id", id)
				delete(st.Media, id)
				continue
			}
			used[m.Blob] = true
		}
		for _, k := range keys {
			if !used[k] {
				_ = ds.remove(k)
			}
		}
	}
	e.st = st
	return nil
}

// persist writes the state to the WithDir folder if it changed, atomically
// (a temporary file renamed over state.json). Writes are serialised, and
// each marshals the state when its turn comes, so a later write never loses
// to an earlier one. Without WithDir it only clears the dirty mark.
func (e *Emulator) persist() {
	e.persistMu.Lock()
	defer e.persistMu.Unlock()
	e.mu.Lock()
	if !e.dirty {
		e.mu.Unlock()
		return
	}
	e.dirty = false
	if e.cfg.dir == "" {
		e.mu.Unlock()
		return
	}
	b, err := json.Marshal(stateOnDisk{Version: stateVersion, State: e.st})
	e.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(filepath.Join(e.cfg.dir, stateFile), b)
	}
	if err != nil {
		e.persistErr = fmt.Errorf("emulator: writing state: %w", err)
		e.log.Error("emulator: writing state", "err", err)
		e.mu.Lock()
		e.dirty = true
		e.mu.Unlock()
	}
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
