package emulator

import "time"

// workToken serves GET cgi-bin/gettoken: one token per agent secret,
// returned again (with its remaining lifetime) until it expires or is
// revoked.
func (c *call) workToken() {
	q := c.r.URL.Query()
	corpID, secret := q.Get("corpid"), q.Get("corpsecret")
	switch {
	case corpID == "":
		c.fail(codeMissingAppID, "corpid missing")
		return
	case secret == "":
		c.fail(codeMissingSecret, "corpsecret missing")
		return
	}
	e := c.e
	e.mu.Lock()
	code, msg := 0, ""
	var tok string
	var expiresIn int
	var ag *agent
	co := e.st.Corps[corpID]
	if co == nil {
		code, msg = codeBadAppID, "invalid corpid"
	} else {
		for _, a := range co.Agents {
			if a.Secret == secret {
				ag = a
			}
		}
		if ag == nil {
			code, msg = codeInvalidCredential, "invalid credential"
		}
	}
	switch {
	case code != 0:
	case !ipAllowed(ag.AllowIPs, c.r.RemoteAddr):
		code = codeIPNotAllowedWork
	case e.cfg.quotas.WeComTokenPerDay > 0 && ag.TokenToday.get(dayKey(c.now)) >= e.cfg.quotas.WeComTokenPerDay:
		code = codeQuota
	default:
		if cur := e.st.Tokens[ag.Token]; cur.usable(c.now) {
			tok, expiresIn = ag.Token, cur.remaining(c.now)
		} else {
			tok = e.mintLocked(WeCom, tokenWork, corpID, ag.AgentID, c.now)
			ag.Token, expiresIn = tok, int(tokenLife/time.Second)
		}
		ag.TokenToday.add(dayKey(c.now))
		ag.Fetches++
		e.touch()
	}
	e.mu.Unlock()
	if code != 0 {
		c.fail(code, msg)
		return
	}
	c.ok("access_token", tok, "expires_in", expiresIn)
}
