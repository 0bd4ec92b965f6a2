package export_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/devproxy/devproxy/internal/testkit"
)

const readme = "../../README.md"

// TestReadmeShowsTheExport keeps README's export section true: its
// exported nginx block and Caddyfile are what export writes for
// devproxy.toml.example (go test -update rewrites them), and its table of
// known differences names every row an engine is known to fail.
func TestReadmeShowsTheExport(t *testing.T) {
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	example := exportCases[slices.IndexFunc(exportCases, func(c exportCase) bool { return c.name == "example" })]
	for _, r := range renderers {
		out, _, err := r.render(loadCase(t, example), example.opts)
		if err != nil {
			t.Fatal(err)
		}
		fence := map[string]string{"nginx": "```nginx\n", "caddy": "```caddyfile\n"}[r.name]
		summary := "<code>devproxy export " + r.name + "</code> for"
		start := strings.Index(text, summary)
		if start < 0 {
			t.Fatalf("README has no <summary> with %q", summary)
		}
		open := strings.Index(text[start:], fence)
		end := strings.Index(text[start+open+len(fence):], "```\n")
		if open < 0 || end < 0 {
			t.Fatalf("README has no %q block after %q", fence, summary)
		}
		from, to := start+open+len(fence), start+open+len(fence)+end
		if text[from:to] == out {
			continue
		}
		if *update {
			text = text[:from] + out + text[to:]
			continue
		}
		t.Errorf("README's %s block is not what export writes for devproxy.toml.example (go test -update rewrites it):\n%s", r.name, lineDiff(text[from:to], out))
	}
	if *update {
		testkit.WriteFile(t, readme, text)
	}
	for _, s := range suites {
		for _, r := range s.rows {
			if len(r.known) > 0 && !strings.Contains(text, "\n| "+r.name+" |") {
				t.Errorf("README's known differences have no row %q (failed by %v)", r.name, r.known)
			}
		}
	}
}
