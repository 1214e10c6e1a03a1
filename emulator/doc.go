// Package emulator is a stateful fake of the token and media ("素材")
// endpoints of WeChat Official Accounts and WeCom. The full overview is
// written in a later commit.
package emulator
