package cli

import (
	"reflect"
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "9a5d7dd76b6a9678f3448c2674066bb8a06d641c"
	tests := []struct {
		name  string
		stamp string
		bi    *debug.BuildInfo
		want  string
	}{
		{"release stamp wins", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.2.3"},
		{"release stamp without build info", "v1.2.3", nil, "v1.2.3"},
		{"go install module@version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"go build in a git clone with changes", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261130043247-9a5d7dd76b6a+dirty"}, Settings: vcs(rev, "true")},
			"v0.0.0-20261130043247-9a5d7dd76b6a+dirty"},
		{"only the commit recorded", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "devel-9a5d7dd76b6a+dirty"},
		{"only a clean commit", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "devel-9a5d7dd76b6a"},
		{"-buildvcs=false, no stamp", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"no build info", "", nil, "devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.stamp, tt.bi); got != tt.want {
				t.Errorf("versionOf(%q, …) = %q, want %q", tt.stamp, got, tt.want)
			}
		})
	}
}

// TestVersionStampPath: release builds stamp cli.version with
// -ldflags "-X github.com/devproxy/devproxy/devproxy/cli.version=…"
// (.ci/run builds one and runs it); the path must not move.
func TestVersionStampPath(t *testing.T) {
	if got := reflect.TypeOf(Options{}).PkgPath(); got != "github.com/devproxy/devproxy/devproxy/cli" {
		t.Errorf("package path %q: the release build's -X github.com/devproxy/devproxy/devproxy/cli.version would stamp nothing", got)
	}
	defer func(v string) { version = v }(version)
	version = "v9.8.7"
	if code, out, _ := runMain("version"); code != 0 || out != "devproxy v9.8.7\n" {
		t.Errorf("stamped build: version printed %q (exit %d), want \"devproxy v9.8.7\\n\"", out, code)
	}
}
