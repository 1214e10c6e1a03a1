package emulator

import (
	"fmt"
	"time"
)

const (
	tokenLife = 7200 * time.Second
	// plainOverlap is how long the previous cgi-bin/token token keeps
	// working after a new one is fetched.
	plainOverlap = 5 * time.Minute
	// stableRenewal is how long before expiry a normal stable_token call
	// already gets a new token (the old one lives on until it expires).
	stableRenewal = 5 * time.Minute
)

// mintLocked issues a new token. The caller holds e.mu.
func (e *Emulator) mintLocked(p Platform, kind, owner string, agentID int64, now time.Time) string {
	tok := randomID(102) // 136 characters, like the real ones
	e.st.Tokens[tok] = &tokenRec{Platform: p, Kind: kind, Owner: owner, AgentID: agentID, Issued: now, Expires: now.Add(tokenLife)}
	e.touch()
	return tok
}

// retireLocked stops tok from being accepted at the latest at t. The caller
// holds e.mu.
func (e *Emulator) retireLocked(tok string, t time.Time) {
	rec := e.st.Tokens[tok]
	if rec == nil {
		return
	}
	if t.After(rec.Expires) {
		t = rec.Expires
	}
	if rec.DeadAt.IsZero() || t.Before(rec.DeadAt) {
		rec.DeadAt = t
		e.touch()
	}
}

// usable reports whether a token record is accepted at now.
func (t *tokenRec) usable(now time.Time) bool {
	return t != nil && !t.Revoked && now.Before(t.Expires) && (t.DeadAt.IsZero() || now.Before(t.DeadAt))
}

// remaining is the expires_in of a token at now: never more than a fresh
// token's, even for one issued later than now (state kept in a data
// directory and reopened on an earlier clock).
func (t *tokenRec) remaining(now time.Time) int {
	return int(min(max(t.Expires.Sub(now), 0), tokenLife) / time.Second)
}

// oaAccountFor checks appid, secret and caller IP the way both Official
// Account token endpoints do. The caller holds e.mu.
func (e *Emulator) oaAccountFor(appID, secret, remote string) (*oaAccount, int, string) {
	switch {
	case appID == "":
		return nil, codeMissingAppID, ""
	case secret == "":
		return nil, codeMissingSecret, ""
	}
	a := e.st.OA[appID]
	if a == nil {
		return nil, codeBadAppID, ""
	}
	if !ipAllowed(a.AllowIPs, remote) {
		ip := callerIP(remote)
		return nil, codeIPNotAllowedOA, fmt.Sprintf("invalid ip %s ipv6 ::ffff:%s, not in whitelist", ip, ip)
	}
	if a.Secret != secret {
		return nil, codeBadSecret, ""
	}
	return a, 0, ""
}

// oaToken serves GET cgi-bin/token: every call mints a new token; the
// previous one keeps working 5 more minutes and the one before it dies now.
func (c *call) oaToken() {
	q := c.r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		c.fail(codeBadGrantType, "")
		return
	}
	e := c.e
	e.mu.Lock()
	a, code, msg := e.oaAccountFor(q.Get("appid"), q.Get("secret"), c.r.RemoteAddr)
	if code == 0 {
		if limit := e.cfg.quotas.OATokenPerDay; limit > 0 && a.PlainToday.get(dayKey(c.now)) >= limit {
			code = codeQuota
		}
	}
	var tok string
	if code == 0 {
		if a.PrevPlain != "" {
			e.retireLocked(a.PrevPlain, c.now)
		}
		if a.Plain != "" {
			e.retireLocked(a.Plain, c.now.Add(plainOverlap))
		}
		tok = e.mintLocked(OfficialAccount, tokenPlain, a.AppID, 0, c.now)
		a.PrevPlain, a.Plain = a.Plain, tok
		a.PlainToday.add(dayKey(c.now))
		a.PlainFetches++
	}
	e.mu.Unlock()
	if code != 0 {
		c.fail(code, msg)
		return
	}
	c.ok("access_token", tok, "expires_in", int(tokenLife/time.Second))
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// oaStableToken serves POST cgi-bin/stable_token: the same token until it
// nears expiry or a forced refresh replaces it (immediately, no overlap).
func (c *call) oaStableToken() {
	var req stableTokenRequest
	if !c.readJSON(&req) {
		return
	}
	if req.GrantType != "client_credential" {
		c.fail(codeBadGrantType, "")
		return
	}
	e := c.e
	q := e.cfg.quotas
	e.mu.Lock()
	a, code, msg := e.oaAccountFor(req.AppID, req.Secret, c.r.RemoteAddr)
	var tok string
	var expiresIn int
	switch {
	case code != 0:
	case req.ForceRefresh:
		day := dayKey(c.now)
		if q.StableForcePerDay > 0 && a.ForcedToday.get(day) >= q.StableForcePerDay {
			code = CodeStableForceDailyCap
			break
		}
		if gap := time.Duration(q.StableForceIntervalSeconds) * time.Second; gap > 0 && !a.LastForced.IsZero() && c.now.Sub(a.LastForced) < gap {
			code = CodeStableForceTooSoon
			break
		}
		if a.Stable != "" {
			e.retireLocked(a.Stable, c.now)
		}
		tok = e.mintLocked(OfficialAccount, tokenStable, a.AppID, 0, c.now)
		a.Stable, a.LastForced = tok, c.now
		a.ForcedToday.add(day)
		expiresIn = int(tokenLife / time.Second)
	default:
		if cur := e.st.Tokens[a.Stable]; cur.usable(c.now) && cur.Expires.Sub(c.now) > stableRenewal {
			tok, expiresIn = a.Stable, cur.remaining(c.now)
			break
		}
		tok = e.mintLocked(OfficialAccount, tokenStable, a.AppID, 0, c.now)
		a.Stable = tok
		expiresIn = int(tokenLife / time.Second)
	}
	if code == 0 {
		a.StableFetches++
		e.touch()
	}
	e.mu.Unlock()
	if code != 0 {
		c.fail(code, msg)
		return
	}
	c.ok("access_token", tok, "expires_in", expiresIn)
}
