package emulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
)

// Accounts is a set of Official Accounts and WeCom corps: what
// `wxmaterial emulator serve --accounts FILE` reads, what POST
// /_emulator/accounts takes and what GET /_emulator/accounts answers (with
// the secrets left out). docs/emulator.md shows the file.
type Accounts struct {
	OfficialAccounts []OfficialAccountConfig `json:"official_accounts,omitempty"`
	WeComCorps       []WeComCorpConfig       `json:"work_corps,omitempty"`
}

// OfficialAccountConfig is one Official Account: its app id, its AppSecret
// and, if set, the caller IPs its token endpoints accept (see
// WithAllowedIPs).
type OfficialAccountConfig struct {
	AppID      string   `json:"appid"`
	Secret     string   `json:"secret,omitempty"`
	AllowedIPs []string `json:"allowed_ips,omitempty"`
}

// WeComCorpConfig is one WeCom corp and its applications (agents).
type WeComCorpConfig struct {
	CorpID string             `json:"corpid"`
	Agents []WeComAgentConfig `json:"agents"`
}

// WeComAgentConfig is one WeCom application: its agent id, its secret and,
// if set, the caller IPs it accepts (see WithAllowedIPs).
type WeComAgentConfig struct {
	AgentID    int64    `json:"agentid"`
	Secret     string   `json:"secret,omitempty"`
	AllowedIPs []string `json:"allowed_ips,omitempty"`
}

// ParseAccounts reads Accounts from JSON, refusing unknown fields and
// trailing data, and checks them as AddAccounts would.
func ParseAccounts(data []byte) (Accounts, error) {
	var a Accounts
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return Accounts{}, fmt.Errorf("emulator: accounts: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Accounts{}, errors.New("emulator: accounts: data after the JSON object")
	}
	if err := a.Validate(); err != nil {
		return Accounts{}, err
	}
	return a, nil
}

// Validate checks that every account has its id and secret, that allowed
// IPs parse and that no id, and no secret within a corp, appears twice. The
// error names the entry at fault.
func (a Accounts) Validate() error {
	seen := map[string]bool{}
	for i, oa := range a.OfficialAccounts {
		at := fmt.Sprintf("official_accounts[%d]", i)
		switch {
		case oa.AppID == "":
			return fmt.Errorf("emulator: accounts: %s: appid is required", at)
		case oa.Secret == "":
			return fmt.Errorf("emulator: accounts: %s (%s): secret is required", at, oa.AppID)
		case seen[oa.AppID]:
			return fmt.Errorf("emulator: accounts: %s: appid %s appears twice", at, oa.AppID)
		}
		seen[oa.AppID] = true
		if err := checkIPs(oa.AllowedIPs); err != nil {
			return fmt.Errorf("emulator: accounts: %s (%s): %w", at, oa.AppID, err)
		}
	}
	corps := map[string]bool{}
	for i, c := range a.WeComCorps {
		at := fmt.Sprintf("work_corps[%d]", i)
		switch {
		case c.CorpID == "":
			return fmt.Errorf("emulator: accounts: %s: corpid is required", at)
		case corps[c.CorpID]:
			return fmt.Errorf("emulator: accounts: %s: corpid %s appears twice", at, c.CorpID)
		case len(c.Agents) == 0:
			return fmt.Errorf("emulator: accounts: %s (%s): a corp needs at least one agent", at, c.CorpID)
		}
		corps[c.CorpID] = true
		agents, secrets := map[int64]bool{}, map[string]bool{}
		for j, ag := range c.Agents {
			at := fmt.Sprintf("work_corps[%d].agents[%d]", i, j)
			switch {
			case ag.Secret == "":
				return fmt.Errorf("emulator: accounts: %s (agent %d of %s): secret is required", at, ag.AgentID, c.CorpID)
			case agents[ag.AgentID]:
				return fmt.Errorf("emulator: accounts: %s: agent %d of %s appears twice", at, ag.AgentID, c.CorpID)
			case secrets[ag.Secret]:
				return fmt.Errorf("emulator: accounts: %s: agent %d of %s has the secret of another agent of the corp", at, ag.AgentID, c.CorpID)
			}
			agents[ag.AgentID], secrets[ag.Secret] = true, true
			if err := checkIPs(ag.AllowedIPs); err != nil {
				return fmt.Errorf("emulator: accounts: %s (agent %d of %s): %w", at, ag.AgentID, c.CorpID, err)
			}
		}
	}
	return nil
}

func checkIPs(ips []string) error {
	for _, s := range ips {
		if _, _, err := net.ParseCIDR(s); err == nil {
			continue
		}
		if net.ParseIP(s) == nil {
			return fmt.Errorf("allowed_ips: %q is neither an IP nor a CIDR range", s)
		}
	}
	return nil
}

// AddAccounts checks a and then adds (or updates) each account with
// AddOfficialAccount and AddWeComAgent. Nothing is added when a is invalid.
func (e *Emulator) AddAccounts(a Accounts) error {
	if err := a.Validate(); err != nil {
		return err
	}
	for _, oa := range a.OfficialAccounts {
		if err := e.AddOfficialAccount(oa.AppID, oa.Secret, WithAllowedIPs(oa.AllowedIPs...)); err != nil {
			return err
		}
	}
	for _, c := range a.WeComCorps {
		for _, ag := range c.Agents {
			if err := e.AddWeComAgent(c.CorpID, ag.AgentID, ag.Secret, WithAllowedIPs(ag.AllowedIPs...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListAccounts returns every account the emulator knows, sorted by id, with
// the secrets left out: they can be set but not read back.
func (e *Emulator) ListAccounts() Accounts {
	e.mu.Lock()
	defer e.mu.Unlock()
	var a Accounts
	for _, oa := range e.st.OA {
		a.OfficialAccounts = append(a.OfficialAccounts, OfficialAccountConfig{AppID: oa.AppID, AllowedIPs: slices.Clone(oa.AllowIPs)})
	}
	slices.SortFunc(a.OfficialAccounts, func(x, y OfficialAccountConfig) int { return strings.Compare(x.AppID, y.AppID) })
	for _, c := range e.st.Corps {
		wc := WeComCorpConfig{CorpID: c.CorpID, Agents: []WeComAgentConfig{}}
		for _, ag := range c.Agents {
			wc.Agents = append(wc.Agents, WeComAgentConfig{AgentID: ag.AgentID, AllowedIPs: slices.Clone(ag.AllowIPs)})
		}
		slices.SortFunc(wc.Agents, func(x, y WeComAgentConfig) int { return cmp.Compare(x.AgentID, y.AgentID) })
		a.WeComCorps = append(a.WeComCorps, wc)
	}
	slices.SortFunc(a.WeComCorps, func(x, y WeComCorpConfig) int { return strings.Compare(x.CorpID, y.CorpID) })
	return a
}
