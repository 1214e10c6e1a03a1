package emulator

import (
	"fmt"
	"slices"
)

// AddOfficialAccount registers an Official Account that may fetch tokens
// with appID and secret. Calling it again with the same appID updates the
// secret and options; calling it with the same values changes nothing, so a
// tool may call it on every start.
func (e *Emulator) AddOfficialAccount(appID, secret string, opts ...AccountOption) error {
	if appID == "" || secret == "" {
		return fmt.Errorf("emulator: AddOfficialAccount: appID and secret are required")
	}
	var ac accountConfig
	for _, o := range opts {
		if err := o(&ac); err != nil {
			return err
		}
	}
	e.mu.Lock()
	a := e.st.OA[appID]
	if a == nil {
		a = &oaAccount{AppID: appID}
		e.st.OA[appID] = a
		e.touch()
	}
	if a.Secret != secret || !slices.Equal(a.AllowIPs, ac.allowIPs) {
		a.Secret, a.AllowIPs = secret, ac.allowIPs
		e.touch()
	}
	e.mu.Unlock()
	e.persist()
	return e.Err()
}

// AddWeComAgent registers the WeCom application agentID of corp corpID, whose
// secret fetches its tokens. A corp holds many agents; their temporary media
// ids are shared across the corp. Secrets must differ between the agents of
// a corp. Calling it again with the same values changes nothing.
func (e *Emulator) AddWeComAgent(corpID string, agentID int64, secret string, opts ...AccountOption) error {
	if corpID == "" || secret == "" {
		return fmt.Errorf("emulator: AddWeComAgent: corpID and secret are required")
	}
	var ac accountConfig
	for _, o := range opts {
		if err := o(&ac); err != nil {
			return err
		}
	}
	e.mu.Lock()
	c := e.st.Corps[corpID]
	if c == nil {
		c = &corp{CorpID: corpID, Agents: map[int64]*agent{}}
		e.st.Corps[corpID] = c
		e.touch()
	}
	for id, other := range c.Agents {
		if id != agentID && other.Secret == secret {
			e.mu.Unlock()
			return fmt.Errorf("emulator: AddWeComAgent: agent %d of corp %s already has this secret", id, corpID)
		}
	}
	a := c.Agents[agentID]
	if a == nil {
		a = &agent{AgentID: agentID}
		c.Agents[agentID] = a
		e.touch()
	}
	if a.Secret != secret || !slices.Equal(a.AllowIPs, ac.allowIPs) {
		a.Secret, a.AllowIPs = secret, ac.allowIPs
		e.touch()
	}
	e.mu.Unlock()
	e.persist()
	return e.Err()
}

// TokenStats counts the token calls an account answered successfully.
type TokenStats struct {
	Plain  int `json:"plain"`  // Official Account cgi-bin/token (each one minted a new token)
	Stable int `json:"stable"` // Official Account cgi-bin/stable_token, forced or not
	WeCom  int `json:"work"`   // WeCom gettoken, summed over the corp's agents
}

// TokenFetches returns how many tokens the Official Account appID or the
// WeCom corp corpID fetched successfully since it was added.
func (e *Emulator) TokenFetches(id string) TokenStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s TokenStats
	if a := e.st.OA[id]; a != nil {
		s.Plain, s.Stable = a.PlainFetches, a.StableFetches
	}
	if c := e.st.Corps[id]; c != nil {
		for _, a := range c.Agents {
			s.WeCom += a.Fetches
		}
	}
	return s
}

// RevokeToken invalidates token early, as WeCom may do at any time; calls
// with it then answer CodeRevokedToken. It reports whether the token was
// known.
func (e *Emulator) RevokeToken(token string) bool {
	e.mu.Lock()
	t := e.st.Tokens[token]
	if t != nil && !t.Revoked {
		t.Revoked = true
		e.touch()
	}
	e.mu.Unlock()
	e.persist()
	return t != nil
}

// RevokeAccountTokens revokes every token of the Official Account appID or
// of every agent of the WeCom corp corpID, and returns how many it revoked.
func (e *Emulator) RevokeAccountTokens(id string) int {
	e.mu.Lock()
	n := 0
	for _, t := range e.st.Tokens {
		if t.Owner == id && !t.Revoked {
			t.Revoked = true
			n++
		}
	}
	if n > 0 {
		e.touch()
	}
	e.mu.Unlock()
	e.persist()
	return n
}
