package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
)

// The chart is plain SVG written here, so the bench needs no plotting
// library and README shows the same run as its table. Each charted row of
// the table becomes one block: a bar each for direct, plain and devproxy,
// scaled to the block's largest value, with the values written beside the
// bars and devproxy's ratios to the other two.

const (
	chartWidth  = 980
	barX        = 100 // where the bars start, after "direct", "plain", "devproxy"
	barMax      = 520 // the longest bar
	barHeight   = 14
	barGap      = 3
	blockTitle  = 22 // the row title above a block's bars
	blockGap    = 12
	headerLines = 3
)

// series are the three things measured, in the order drawn.
var series = []struct{ name, color string }{
	{"direct", "#9aa5b1"},
	{"plain", "#5b8fd6"},
	{"devproxy", "#e8590c"},
}

// writeChart writes the SVG for m to path, creating its directory.
func writeChart(path string, m map[string]measurements, mach machine) error {
	svg := chartSVG(m, mach)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, svg, 0o644)
}

// chartSVG renders every charted row that has a value for devproxy.
func chartSVG(m map[string]measurements, mach machine) []byte {
	var charted []row
	for _, r := range rows {
		if _, ok := m["devproxy"][r.key]; ok && r.chart != "" {
			charted = append(charted, r)
		}
	}
	blockH := blockTitle + len(series)*(barHeight+barGap) + blockGap
	top := 20 + headerLines*18
	height := top + len(charted)*blockH + 30

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	text(&b, 16, 24, "16", "bold", "#111", "devproxy vs a direct connection vs a plain Go httputil.ReverseProxy")
	text(&b, 16, 44, "12", "normal", "#444", mach.String())
	text(&b, 16, 62, "12", "normal", "#444", "Each block is scaled to its largest value; ratios are devproxy's. Higher is better for requests/s and MiB/s, lower for ms and MiB.")

	y := top
	for _, r := range charted {
		title := r.chart
		if r.higher {
			title += " · higher is better"
		} else {
			title += " · lower is better"
		}
		text(&b, 16, y+14, "13", "bold", "#222", trimIndent(title))
		y += blockTitle
		top := 0.0
		for _, s := range series {
			top = max(top, m[s.name][r.key])
		}
		for _, s := range series {
			v, ok := m[s.name][r.key]
			text(&b, 16, y+barHeight-3, "12", "normal", "#333", s.name)
			switch {
			case !ok:
				text(&b, barX, y+barHeight-3, "12", "normal", "#888", "not measured")
			default:
				w := 0.0
				if top > 0 {
					w = v / top * barMax
				}
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", barX, y, max(w, 1), barHeight, s.color)
				label := fmt.Sprintf(r.format, v)
				if s.name == "devproxy" {
					label += ratios(m, r)
				}
				weight := "normal"
				if s.name == "devproxy" {
					weight = "bold"
				}
				text(&b, barX+int(max(w, 1))+6, y+barHeight-3, "12", weight, "#222", label)
			}
			y += barHeight + barGap
		}
		y += blockGap
	}
	text(&b, 16, height-12, "11", "normal", "#666", "Written by go run ./bench (bench/chart.go); the table in README's Performance section is the same run.")
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// ratios is devproxy's value over direct's and plain's, as in the table.
func ratios(m map[string]measurements, r row) string {
	x := m["devproxy"][r.key]
	s := ""
	for _, other := range []string{"direct", "plain"} {
		if v, ok := m[other][r.key]; ok && v > 0 {
			s += fmt.Sprintf(" · %.2f× %s", x/v, other)
		}
	}
	return s
}

func trimIndent(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// text writes one escaped <text> element.
func text(b *bytes.Buffer, x, y int, size, weight, color, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%s" font-weight="%s" fill="%s">`, x, y, size, weight, color)
	_ = xml.EscapeText(b, []byte(s))
	b.WriteString("</text>\n")
}
