package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestChartIsWellFormedAndComplete: the SVG parses as XML, has an <svg>
// root, and names every charted scenario with devproxy's ratios.
func TestChartIsWellFormedAndComplete(t *testing.T) {
	t.Parallel()
	m := map[string]measurements{"direct": {}, "plain": {}, "devproxy": {}}
	for i, r := range rows {
		m["direct"][r.key] = float64(100 + i)
		m["plain"][r.key] = float64(40 + i)
		m["devproxy"][r.key] = float64(60 + i)
	}
	delete(m["direct"], "rss_peak") // as measured: direct is no process
	mach := machine{date: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), goos: "linux", goarch: "amd64",
		cpu: `Weird <CPU> & "Co"`, cores: 2, goVer: "go1.26", runs: 3, loadAvg: [2]string{"7.1", "9.3"}}
	svg := chartSVG(m, mach)

	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			texts.Write(tok)
			texts.WriteByte('\n')
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	got := texts.String()
	for _, r := range rows {
		if r.chart == "" {
			continue
		}
		if !strings.Contains(got, trimIndent(r.chart)) {
			t.Errorf("chart lacks scenario %q", r.chart)
		}
	}
	for _, want := range []string{"0.60× direct", "1.50× plain", `Weird <CPU> & "Co"`, "2026-11-30", "linux/amd64", "go1.26", "median of 3 runs", "load average 7.1 → 9.3"} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}
