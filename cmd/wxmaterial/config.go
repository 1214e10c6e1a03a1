package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// demoSecrets are the embedded emulator's demo Official Accounts: appid →
// secret.
var demoSecrets = map[string]string{
	emulator.DemoAppID:  emulator.DemoAppSecret,
	emulator.DemoAppID2: emulator.DemoAppSecret2,
}

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
	stable   bool // --stable-token: the default; kept for the scripts that give it
	plain    bool // --plain-token
	baseURL  string
	dataDir  string
	json     bool
	verbose  bool
	quiet    bool
	redisURL string // --redis (redis.go)
}

// register defines the global flags on fs, with the current values as
// defaults.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.platform, "platform", g.platform, "`platform`: oa (WeChat Official Account) or work (WeCom); default: oa, or work when only WeCom credentials are given")
	fs.StringVar(&g.appID, "appid", g.appID, "Official Account `appid` (default $"+envAppID+"); a demo appid of the embedded emulator ("+emulator.DemoAppID+", "+emulator.DemoAppID2+") selects that demo account unless --base-url is given (HTTPS_PROXY does not change it)")
	fs.StringVar(&g.corpID, "corpid", g.corpID, "WeCom `corpid` (default $"+envCorpID+")")
	fs.StringVar(&g.agentID, "agentid", g.agentID, "WeCom application `agentid` (default $"+envAgentID+")")
	fs.StringVar(&g.secret, "secret", g.secret, "the AppSecret or the WeCom application `secret` (default $"+envSecret+" or $"+envWeComKey+"; prefer the environment: a flag shows in the process list)")
	fs.BoolVar(&g.plain, "plain-token", g.plain, "fetch Official Account tokens with the plain cgi-bin/token instead of cgi-bin/stable_token. RISK: every fetch replaces the account's token, so every other server of the account that uses the plain token gets 40001 within 5 minutes, and each run spends one of the 2000 fetches a day")
	fs.BoolVar(&g.stable, "stable-token", g.stable, "fetch Official Account tokens with cgi-bin/stable_token: the default (it leaves the plain token of the account's other servers alone)")
	fs.StringVar(&g.baseURL, "base-url", g.baseURL, "send API calls to `URL` instead of the platform's host, e.g. a 'wxmaterial emulator serve' address plus /oa or /work")
	fs.StringVar(&g.dataDir, "data-dir", g.dataDir, "`folder` where the embedded emulator keeps its state (default: the user's cache folder, wxmaterial/emulator)")
	fs.BoolVar(&g.json, "json", g.json, "print results as JSON on stdout, and errors as a JSON object on stderr")
	fs.BoolVar(&g.verbose, "v", g.verbose, "log each HTTP call to stderr (never a token, a secret or a query string), and say when the embedded emulator is used")
	g.registerRedis(fs)
	fs.BoolVar(&g.quiet, "q", g.quiet, "quiet: no status lines, notes or progress bars on stderr; results, warnings and errors only")
}

// isGlobalFlag reports whether name is a global flag.
func isGlobalFlag(name string) bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var g globals
	g.register(fs)
	return fs.Lookup(name) != nil
}

// check refuses global flags that exclude each other.
func (g *globals) check() error {
	switch {
	case g.quiet && g.verbose:
		return usagef("-q and -v exclude each other")
	case g.plain && g.stable:
		return usagef("--plain-token and --stable-token exclude each other")
	}
	return nil
}

// account is the resolved target of a run: a platform, its credentials and
// where to reach it. It is never printed whole: secret stays inside.
type account struct {
	platform material.Platform
	appID    string // Official Account
	corpID   string // WeCom
	agentID  int64  // WeCom
	secret   string
	plain    bool   // fetch Official Account tokens with cgi-bin/token, not cgi-bin/stable_token
	baseURL  string // "" for the platform's own host
	embedded bool   // no credentials, or a demo appid: run the embedded emulator
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

// resolve decides the platform and the credentials of the command line's
// account from the global flags and the environment.
func (a *app) resolve() (account, error) {
	return resolveAccount(a.g, a.getenv, sourceNames)
}

// names are the flag and environment variable names of an account's
// settings: the global flags' (--appid, WECHAT_APPID), or those of copy's
// target (--to-appid, TO_WECHAT_APPID).
type names struct{ flag, env string } // prefixes of each

// sourceNames are the names of the global flags and their variables.
var sourceNames = names{}

func (n names) flagName(name string) string { return "--" + n.flag + name }
func (n names) envName(name string) string  { return n.env + name }

// either names a setting's flag and its variable: "--appid or $WECHAT_APPID".
func (n names) either(flagName, envName string) string {
	return n.flagName(flagName) + " or $" + n.envName(envName)
}

// resolveAccount decides the platform and the credentials from the flags
// g and the environment (the variables n names). Flags win over the
// environment. No credentials at all for the chosen platform selects the
// embedded emulator, and so does the appid of one of its demo Official
// Accounts without a base URL (the secret is then optional); some but not
// all credentials is a usage error naming what is missing.
func resolveAccount(g globals, getenv func(string) string, n names) (account, error) {
	p, err := parsePlatform(g.platform)
	if err != nil {
		return account{}, err
	}
	env := func(flagValue, name string) string {
		if flagValue != "" {
			return flagValue
		}
		return strings.TrimSpace(getenv(n.envName(name)))
	}
	if p == "" {
		switch {
		case g.appID != "":
			p = material.OfficialAccount
		case g.corpID != "" || g.agentID != "":
			p = material.WeCom
		case getenv(n.envName(envAppID)) == "" && getenv(n.envName(envSecret)) == "" && (getenv(n.envName(envCorpID)) != "" || getenv(n.envName(envAgentID)) != ""):
			p = material.WeCom
		default:
			p = material.OfficialAccount
		}
	}
	acc := account{platform: p, plain: g.plain, baseURL: strings.TrimRight(g.baseURL, "/")}
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
		if demo, ok := demoSecrets[acc.appID]; ok && acc.baseURL == "" {
			if acc.secret == "" {
				acc.secret = demo
			}
			acc.embedded = true
		}
		check(acc.appID, n.either("appid", envAppID))
		check(acc.secret, n.either("secret", envSecret))
		if g.corpID != "" || g.agentID != "" {
			return account{}, usagef("%s and %s are WeCom credentials, not for %s oa", n.flagName("corpid"), n.flagName("agentid"), n.flagName("platform"))
		}
	case material.WeCom:
		var agent string
		acc.corpID, agent, acc.secret = env(g.corpID, envCorpID), env(g.agentID, envAgentID), env(g.secret, envWeComKey)
		check(acc.corpID, n.either("corpid", envCorpID))
		check(agent, n.either("agentid", envAgentID))
		check(acc.secret, n.either("secret", envWeComKey))
		if agent != "" {
			v, err := strconv.ParseInt(agent, 10, 64)
			if err != nil || v <= 0 {
				return account{}, usagef("%s %q is not a positive number", strings.TrimPrefix(n.flagName("agentid"), "--"), agent)
			}
			acc.agentID = v
		}
		if g.appID != "" {
			return account{}, usagef("%s is an Official Account credential, not for %s work", n.flagName("appid"), n.flagName("platform"))
		}
		if g.stable || g.plain {
			return account{}, usagef("%s for the Official Account only", tokenFlags(n))
		}
	}
	switch {
	case acc.embedded:
	case len(given) == 0 && acc.baseURL != "":
		return account{}, usagef("%s needs credentials: give %s ('wxmaterial emulator serve' prints its demo credentials)", n.flagName("base-url"), strings.Join(missing, ", "))
	case len(given) == 0:
		acc.embedded = true
	case len(missing) > 0:
		return account{}, usagef("incomplete %s credentials: missing %s", p, strings.Join(missing, ", "))
	}
	return acc, nil
}

// tokenFlags names the token flags of an account, with their verb: the
// global flags' two, or the target's one.
func tokenFlags(n names) string {
	if n == sourceNames {
		return "--stable-token and --plain-token are"
	}
	return n.flagName("plain-token") + " is"
}

// String describes the account without its secret.
func (acc account) String() string {
	return fmt.Sprintf("%s %s", acc.platform, acc.id())
}
