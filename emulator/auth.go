package emulator

import "time"

// principal is who a business call acts for.
type principal struct {
	owner   string // appid or corpid
	agentID int64  // WeCom only
}

// auth checks the access_token of a business call, answering the error
// itself when it fails: missing → 41001; never issued (or issued by the
// other platform) → CodeOAInvalidToken / CodeWeComInvalidToken; superseded
// (rotated out more than 5 minutes ago, or replaced by a forced
// stable_token refresh) → CodeOAInvalidToken; revoked → CodeRevokedToken;
// expired → 42001; WeCom caller IP not allowed → 60020.
func (c *call) auth() (principal, bool) {
	tok := c.r.URL.Query().Get("access_token")
	if tok == "" {
		c.fail(codeMissingToken, "")
		return principal{}, false
	}
	p, code := c.e.checkToken(c.platform, tok, c.r.RemoteAddr, c.now)
	if code != 0 {
		c.fail(code, "")
		return principal{}, false
	}
	return p, true
}

func (e *Emulator) checkToken(pl Platform, tok, remote string, now time.Time) (principal, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	unknown := CodeOAInvalidToken
	if pl == WeCom {
		unknown = CodeWeComInvalidToken
	}
	t := e.st.Tokens[tok]
	switch {
	case t == nil || t.Platform != pl:
		return principal{}, unknown
	case t.Revoked:
		return principal{}, CodeRevokedToken
	case !t.DeadAt.IsZero() && !now.Before(t.DeadAt) && t.DeadAt.Before(t.Expires):
		return principal{}, CodeOAInvalidToken
	case !now.Before(t.Expires):
		return principal{}, codeExpiredToken
	}
	p := principal{owner: t.Owner, agentID: t.AgentID}
	if pl == WeCom {
		co := e.st.Corps[t.Owner]
		if co == nil || co.Agents[t.AgentID] == nil {
			return principal{}, unknown
		}
		if !ipAllowed(co.Agents[t.AgentID].AllowIPs, remote) {
			return principal{}, codeIPNotAllowedWork
		}
	}
	return p, 0
}
