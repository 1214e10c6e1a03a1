package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionResult is what version prints: the build information the Go
// toolchain wrote into the binary.
type versionResult struct {
	Version  string `json:"version"`            // the module's version: a tag, a pseudo-version, or (devel) for a build in a checkout
	Revision string `json:"revision,omitempty"` // the commit built, when the build recorded it
	Time     string `json:"time,omitempty"`     // the commit's time
	Modified bool   `json:"modified,omitempty"` // the checkout had changes not committed
	Go       string `json:"go"`                 // the Go release that built it
	Platform string `json:"platform"`           // GOOS/GOARCH
}

// runVersion is "wxmaterial version" and "wxmaterial --version".
func runVersion(ctx context.Context, a *app, args []string) error {
	fs := a.flags("version")
	rest, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	v := buildVersion()
	return a.emit(v, func(w io.Writer) { fmt.Fprintln(w, v) })
}

// buildVersion reads the build information of the running binary.
func buildVersion() versionResult {
	v := versionResult{Version: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Go = bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

// String is the text version: "wxmaterial v1.2.0 (commit 0123456789ab,
// 2025-03-01T08:00:00Z, modified) go1.25.0 linux/amd64".
func (v versionResult) String() string {
	var b strings.Builder
	b.WriteString("wxmaterial " + v.Version)
	if v.Revision != "" {
		detail := []string{"commit " + v.Revision[:min(12, len(v.Revision))]}
		if v.Time != "" {
			detail = append(detail, v.Time)
		}
		if v.Modified {
			detail = append(detail, "modified")
		}
		b.WriteString(" (" + strings.Join(detail, ", ") + ")")
	}
	b.WriteString(" " + v.Go + " " + v.Platform)
	return b.String()
}
