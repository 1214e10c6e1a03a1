package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ID names the fault in the control API (GET /_emulator/faults/{id}); ids
// are "f1", "f2", ... in the order faults were injected.
func (i *InjectedFault) ID() string { return i.id }

// Remaining returns how many more calls the fault will apply to, or -1 when
// it applies until removed.
func (i *InjectedFault) Remaining() int {
	i.e.faultMu.Lock()
	defer i.e.faultMu.Unlock()
	if !i.activeLocked() {
		return 0
	}
	return i.remaining
}

// Active reports whether the fault is still in force: neither used up nor
// removed.
func (i *InjectedFault) Active() bool {
	i.e.faultMu.Lock()
	defer i.e.faultMu.Unlock()
	return i.activeLocked()
}

func (i *InjectedFault) activeLocked() bool { return slices.Contains(i.e.faults, i) }

// Fault returns the fault as injected.
func (i *InjectedFault) Fault() Fault { return i.f }

// FaultByID returns the fault id, in force or not, unless ClearFaults or
// Reset forgot it.
func (e *Emulator) FaultByID(id string) (*InjectedFault, bool) {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	for _, f := range e.faultsSeen {
		if f.id == id {
			return f, true
		}
	}
	return nil, false
}

// Faults returns the faults in force, in the order they were injected
// (which is the order in which they are tried).
func (e *Emulator) Faults() []*InjectedFault {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return slices.Clone(e.faults)
}

func (e *Emulator) faultHistory() []*InjectedFault {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return slices.Clone(e.faultsSeen)
}

// Fault actions by name, as the control API spells them.
const (
	actionErrcode      = "errcode"
	actionStatus       = "status"
	actionDropRequest  = "drop_request"
	actionDropResponse = "drop_response"
	actionTruncateBody = "truncate_body"
	actionDelay        = "delay"
	actionRevoke       = "revoke"
)

var actionNames = map[faultKind]string{
	faultErrcode:      actionErrcode,
	faultStatus:       actionStatus,
	faultDropRequest:  actionDropRequest,
	faultDropResponse: actionDropResponse,
	faultTruncate:     actionTruncateBody,
	faultDelay:        actionDelay,
	faultRevoke:       actionRevoke,
}

// maxFaultDelay bounds the delay a fault may hold a call for.
const maxFaultDelay = time.Hour

// faultRequest is the body of POST /_emulator/faults.
type faultRequest struct {
	Platform Platform          `json:"platform"`
	Path     string            `json:"path"`
	Query    map[string]string `json:"query"`
	Times    int               `json:"times"`
	Action   string            `json:"action"`
	Errcode  *int              `json:"errcode"`
	Errmsg   *string           `json:"errmsg"`
	Status   *int              `json:"status"`
	Bytes    *int64            `json:"bytes"`
	Delay    *jsonDuration     `json:"delay"`
}

// faultView is a fault as the control API shows it.
type faultView struct {
	ID        string            `json:"id"`
	Platform  Platform          `json:"platform,omitempty"`
	Path      string            `json:"path,omitempty"`
	Query     map[string]string `json:"query,omitempty"`
	Match     string            `json:"match,omitempty"`
	Action    string            `json:"action"`
	Errcode   *int              `json:"errcode,omitempty"`
	Errmsg    string            `json:"errmsg,omitempty"`
	Status    int               `json:"status,omitempty"`
	Bytes     *int64            `json:"bytes,omitempty"`
	Delay     string            `json:"delay,omitempty"`
	Describe  string            `json:"describe"`
	Hits      int               `json:"hits"`
	Remaining int               `json:"remaining"`
	Active    bool              `json:"active"`
}

// fault checks the request and builds the Fault it asks for; the error
// names the field at fault.
func (r faultRequest) fault() (Fault, error) {
	f := Fault{Platform: r.Platform, Path: r.Path, Times: r.Times}
	switch r.Platform {
	case "", OfficialAccount, WeCom:
	default:
		return Fault{}, fmt.Errorf("platform %q: want %q, %q or none (both)", r.Platform, OfficialAccount, WeCom)
	}
	if r.Path != "" && !knownPath(r.Platform, r.Path) {
		on := ""
		if r.Platform != "" {
			on = " on " + string(r.Platform)
		}
		return Fault{}, fmt.Errorf("path %q is no endpoint the emulator serves%s (give an endpoint path such as /cgi-bin/media/upload, without /oa or /work)", r.Path, on)
	}
	if len(r.Query) > 0 {
		q := maps.Clone(r.Query)
		f.Match = func(req *http.Request) bool {
			have := req.URL.Query()
			for k, v := range q {
				if !slices.Contains(have[k], v) {
					return false
				}
			}
			return true
		}
	}
	used := map[string]bool{}
	switch r.Action {
	case actionErrcode:
		if r.Errcode == nil || *r.Errcode == 0 {
			return Fault{}, fmt.Errorf("action errcode needs a non-zero errcode, e.g. -1, 45009 or 45011")
		}
		msg := ""
		if r.Errmsg != nil {
			msg = *r.Errmsg
		}
		f.Action = Errcode(*r.Errcode, msg)
		used["errcode"], used["errmsg"] = true, true
	case actionStatus:
		if r.Status == nil || *r.Status < 200 || *r.Status > 599 {
			return Fault{}, fmt.Errorf("action status needs an HTTP status from 200 to 599, e.g. 502")
		}
		f.Action = Status(*r.Status)
		used["status"] = true
	case actionDropRequest, actionDropResponse, actionTruncateBody:
		var n int64
		if r.Bytes != nil {
			n = *r.Bytes
		}
		if n < 0 {
			return Fault{}, fmt.Errorf("action %s: bytes must be 0 or more", r.Action)
		}
		f.Action = map[string]func(int64) FaultAction{
			actionDropRequest: DropRequest, actionDropResponse: DropResponse, actionTruncateBody: TruncateBody,
		}[r.Action](n)
		used["bytes"] = true
	case actionDelay:
		if r.Delay == nil || *r.Delay <= 0 || time.Duration(*r.Delay) > maxFaultDelay {
			return Fault{}, fmt.Errorf(`action delay needs a delay above 0 and at most %v: seconds (1.5) or a Go duration ("1500ms")`, maxFaultDelay)
		}
		f.Action = Delay(time.Duration(*r.Delay))
		used["delay"] = true
	case actionRevoke:
		f.Action = Revoke()
	case "":
		return Fault{}, fmt.Errorf("action is required: one of %s", strings.Join(slices.Sorted(maps.Values(actionNames)), ", "))
	default:
		return Fault{}, fmt.Errorf("action %q: want one of %s", r.Action, strings.Join(slices.Sorted(maps.Values(actionNames)), ", "))
	}
	for name, set := range map[string]bool{"errcode": r.Errcode != nil, "errmsg": r.Errmsg != nil, "status": r.Status != nil,
		"bytes": r.Bytes != nil, "delay": r.Delay != nil} {
		if set && !used[name] {
			return Fault{}, fmt.Errorf("%s does not apply to action %s", name, r.Action)
		}
	}
	return f, nil
}

// knownPath reports whether path is an endpoint of platform p (of either
// platform when p is empty) or a media URL path.
func knownPath(p Platform, path string) bool {
	if strings.HasPrefix(path, mediaURLPath) {
		return true
	}
	_, oa := oaEndpoints[path]
	_, work := workEndpoints[path]
	switch p {
	case OfficialAccount:
		return oa
	case WeCom:
		return work
	}
	return oa || work
}

// view describes the fault for the control API.
func (i *InjectedFault) view() faultView {
	i.e.faultMu.Lock()
	active := i.activeLocked()
	v := faultView{ID: i.id, Platform: i.f.Platform, Path: i.f.Path, Query: i.query, Hits: i.hits, Active: active}
	if active {
		v.Remaining = i.remaining
	}
	i.e.faultMu.Unlock()
	if i.f.Match != nil && i.query == nil {
		v.Match = "a Go predicate"
	}
	a := i.f.Action
	v.Action, v.Describe = actionNames[a.kind], a.String()
	switch a.kind {
	case faultErrcode:
		v.Errcode, v.Errmsg = &a.code, a.msg
	case faultStatus:
		v.Status = a.status
	case faultDropRequest, faultDropResponse, faultTruncate:
		v.Bytes = &a.n
	case faultDelay:
		v.Delay = a.d.String()
	}
	return v
}

// jsonDuration reads a number of seconds (1.5) or a Go duration string
// ("1500ms", "72h").
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want seconds (1.5) or a Go duration such as \"72h\" or \"1500ms\"", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f > float64(1<<62)/float64(time.Second) || f < -float64(1<<62)/float64(time.Second) {
		return fmt.Errorf("duration %s: want seconds (1.5) or a Go duration such as \"72h\" or \"1500ms\"", b)
	}
	*d = jsonDuration(f * float64(time.Second))
	return nil
}
