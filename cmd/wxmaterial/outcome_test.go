package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wxmaterial/wxmaterial/emulator"
	"github.com/wxmaterial/wxmaterial/material"
)

// TestOutcomeUnknownSaysWhatToRun: an add to the library whose reply was
// lost tells the user which command shows whether the item is there (list,
// by kind, on the account added to) and what to look for, never a Go
// function; and that command does show the item the add made.
func TestOutcomeUnknownSaysWhatToRun(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// The platform adds the item, and the reply is lost.
	s.Inject(emulator.Fault{Path: "/cgi-bin/material/add_material", Times: -1, Action: emulator.DropResponse(0)})
	imageName, png := sample(t, material.KindImage)
	thumbName, jpeg := sample(t, material.KindThumb)
	env, flags := s.oa("", "")
	env2, flags2 := s.oa(emulator.DemoAppID2, emulator.DemoAppSecret2)
	copyEnv := append(env, "TO_WECHAT_APPID="+emulator.DemoAppID2, "TO_WECHAT_SECRET="+emulator.DemoAppSecret2)

	var up []uploadResult
	cli(t, env, append(flags, "upload", "--json", writeFile(t, "to-copy.png", png))...).decode(t, &up)

	tests := []struct {
		name string
		env  []string
		args []string
		want string // in the message: the command to run
		item string // the name to look for
		// The run that shows the item.
		listEnv   []string
		listFlags []string
	}{
		{name: "upload --permanent", env: env, args: append(flags, "upload", "--permanent", writeFile(t, imageName, png)),
			want: "run 'wxmaterial list --kind image' with the same account flags", item: imageName, listEnv: env, listFlags: flags},
		{name: "a thumb, listed as an image", env: env, args: append(flags, "upload", "--permanent", "--kind", "thumb", writeFile(t, thumbName, jpeg)),
			want: "run 'wxmaterial list --kind image' (the library lists thumbs as images) with the same account flags", item: thumbName, listEnv: env, listFlags: flags},
		{name: "copy into another account's library", env: copyEnv, args: append(flags, "copy", "--to-base-url", s.url+emulator.OfficialAccountPrefix, "--to-library", up[0].MediaID),
			want: "run 'wxmaterial list --kind image' with the target's credentials (--appid " + emulator.DemoAppID2 + ")", item: up[0].MediaID + ".png", listEnv: env2, listFlags: flags2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.env, tt.args...)
			r.fails(t, exitFailure, tt.want)
			if !strings.Contains(r.stderr, "look for \""+tt.item+"\" updated at ") || strings.Contains(r.stderr, "FindAdded") {
				t.Errorf("the message does not say what to look for, or names a Go function:\n%s", r.stderr)
			}
			var items []listedItem
			cli(t, tt.listEnv, append(tt.listFlags, "list", "--kind", "image", "--json")...).decode(t, &items)
			found := 0
			for _, it := range items {
				if it.Name == tt.item {
					found++
				}
			}
			if found != 1 {
				t.Errorf("list --kind image shows %d items named %q, want the one the add made: %+v", found, tt.item, items)
			}
		})
	}

	// With --json, the error says so too.
	r := cli(t, env, append(flags, "--json", "upload", "--permanent", writeFile(t, "again.png", png))...)
	var got errorReport
	if err := json.Unmarshal([]byte(r.stderr), &got); err != nil || !got.OutcomeUnknown || !strings.Contains(got.Message, "wxmaterial list --kind image") {
		t.Errorf("with --json: %v\n%s", err, r.stderr)
	}
}
