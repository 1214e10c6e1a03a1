package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/wxmaterial/wxmaterial/material"
)

// Environment variables holding credentials.
const (
	envAppID    = "WECHAT_APPID"
	envSecret   = "WECHAT_SECRET"
	envCorpID   = "WECOM_CORPID"
	envAgentID  = "WECOM_AGENTID"
	envWeComKey = "WECOM_SECRET"
)

// globals are the flags every command takes.
type globals struct {
	platform string
	appID    string
	corpID   string
	agentID  string
	secret   string
	stable   bool
	baseURL  string
	dataDir  string
	json     bool
	verbose  bool
	redisURL string // --redis (redis.go)
}

// globalFlagNames are the names register defines.
var globalFlagNames = map[string]bool{
	"platform": true, "appid": true, "corpid": true, "agentid": true, "secret": true,
	"stable-token": true, "base-url": true, "data-dir": true, "json": true, "v": true, "redis": true,
}

// isGlobalFlag reports whether name is a global flag.
func isGlobalFlag(name string) bool { return globalFlagNames[name] }

// register defines the global flags on fs, with the current values as
// defaults.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.platform, "platform", g.platform, "`platform`: oa (WeChat Official Account) or work (WeCom); default: oa, or work when only WeCom credentials are given")
	fs.StringVar(&g.appID, "appid", g.appID, "Official Account `appid` (default $"+envAppID+")")
	fs.StringVar(&g.corpID, "corpid", g.corpID, "WeCom `corpid` (default $"+envCorpID+")")
	fs.StringVar(&g.agentID, "agentid", g.agentID, "WeCom application `agentid` (default $"+envAgentID+")")
	fs.StringVar(&g.secret, "secret", g.secret, "the AppSecret or the WeCom application `secret` (default $"+envSecret+" or $"+envWeComKey+"; prefer the environment: a flag shows in the process list)")
	fs.BoolVar(&g.stable, "stable-token", g.stable, "fetch Official Account tokens with cgi-bin/stable_token (shared safely with other programs of the same account)")
	fs.StringVar(&g.baseURL, "base-url", g.baseURL, "send API calls to `URL` instead of the platform's host, e.g. a 'wxmaterial emulator serve' address plus /oa or /work")
	fs.StringVar(&g.dataDir, "data-dir", g.dataDir, "`folder` where the embedded emulator keeps its state (default: the user's cache folder, wxmaterial/emulator)")
	fs.BoolVar(&g.json, "json", g.json, "print results as JSON on stdout")
	fs.BoolVar(&g.verbose, "v", g.verbose, "log each HTTP call to stderr (never a token, a secret or a query string)")
	g.registerRedis(fs)
}

// account is the resolved target of a run: a platform, its credentials and
// where to reach it. It is never printed whole: secret stays inside.
type account struct {
	platform material.Platform
	appID    string // Official Account
	corpID   string // WeCom
	agentID  int64  // WeCom
	secret   string
	stable   bool
	baseURL  string // "" for the platform's own host
	embedded bool   // no credentials: run the embedded emulator
}

// id names the account for messages and manifests: an appid, or corpid/agentid.
func (acc account) id() string {
	if acc.platform == material.WeCom {
		return acc.corpID + "/" + strconv.FormatInt(acc.agentID, 10)
	}
	return acc.appID
}

// parsePlatform reads a --platform value; "" means not chosen.
func parsePlatform(s string) (material.Platform, error) {
	switch strings.ToLower(s) {
	case "":
		return "", nil
	case "oa", "officialaccount", "wechat", "mp":
		return material.OfficialAccount, nil
	case "work", "wecom", "qy":
		return material.WeCom, nil
	}
	return "", usagef("unknown platform %q: use oa (WeChat Official Account) or work (WeCom)", s)
}

// resolve decides the platform and the credentials from the flags and the
// environment. Flags win over the environment. No credentials at all for
// the chosen platform selects the embedded emulator; some but not all is a
// usage error naming what is missing.
func (a *app) resolve() (account, error) {
	g := a.g
	p, err := parsePlatform(g.platform)
	if err != nil {
		return account{}, err
	}
	env := func(flagValue, name string) string {
		if flagValue != "" {
			return flagValue
		}
		return strings.TrimSpace(a.getenv(name))
	}
	if p == "" {
		switch {
		case g.appID != "":
			p = material.OfficialAccount
		case g.corpID != "" || g.agentID != "":
			p = material.WeCom
		case a.getenv(envAppID) == "" && a.getenv(envSecret) == "" && (a.getenv(envCorpID) != "" || a.getenv(envAgentID) != ""):
			p = material.WeCom
		default:
			p = material.OfficialAccount
		}
	}
	acc := account{platform: p, stable: g.stable, baseURL: strings.TrimRight(g.baseURL, "/")}
	var missing, given []string
	check := func(v, what string) {
		if v == "" {
			missing = append(missing, what)
		} else {
			given = append(given, what)
		}
	}
	switch p {
	case material.OfficialAccount:
		acc.appID, acc.secret = env(g.appID, envAppID), env(g.secret, envSecret)
		check(acc.appID, "--appid or $"+envAppID)
		check(acc.secret, "--secret or $"+envSecret)
		if g.corpID != "" || g.agentID != "" {
			return account{}, usagef("--corpid and --agentid are WeCom credentials, not for --platform oa")
		}
	case material.WeCom:
		var agent string
		acc.corpID, agent, acc.secret = env(g.corpID, envCorpID), env(g.agentID, envAgentID), env(g.secret, envWeComKey)
		check(acc.corpID, "--corpid or $"+envCorpID)
		check(agent, "--agentid or $"+envAgentID)
		check(acc.secret, "--secret or $"+envWeComKey)
		if agent != "" {
			n, err := strconv.ParseInt(agent, 10, 64)
			if err != nil || n <= 0 {
				return account{}, usagef("agentid %q is not a positive number", agent)
			}
			acc.agentID = n
		}
		if g.appID != "" {
			return account{}, usagef("--appid is an Official Account credential, not for --platform work")
		}
		if g.stable {
			return account{}, usagef("--stable-token is for the Official Account only")
		}
	}
	switch {
	case len(given) == 0 && acc.baseURL != "":
		return account{}, usagef("--base-url needs credentials: give %s ('wxmaterial emulator serve' prints its demo credentials)", strings.Join(missing, ", "))
	case len(given) == 0:
		acc.embedded = true
	case len(missing) > 0:
		return account{}, usagef("incomplete %s credentials: missing %s", p, strings.Join(missing, ", "))
	}
	return acc, nil
}

// String describes the account without its secret.
func (acc account) String() string {
	return fmt.Sprintf("%s %s", acc.platform, acc.id())
}
