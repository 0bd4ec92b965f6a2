package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// row is one line of the table.
type row struct {
	key, label string
	format     string // for the three value columns
	higher     bool   // higher is better (requests/s, MiB/s); else lower is
	chart      string // the row's title in docs/bench.svg; "" leaves it out of the chart
}

var rows = []row{
	{"ka32_rps", "GET keep-alive, 32 conns (req/s)", "%.0f", true, "GET keep-alive, 32 connections (requests/s)"},
	{"ka32_p50", "  p50 latency (ms)", "%.3f", false, ""},
	{"ka32_p99", "  p99 latency (ms)", "%.3f", false, "  p99 latency at 32 connections (ms)"},
	{"ka32_cpu", "  proxy CPU per request (µs)", "%.1f", false, ""},
	{"json32_rps", "GET 1 KiB JSON, 32 conns (req/s)", "%.0f", true, "GET 1 KiB JSON, 32 connections (requests/s)"},
	{"ka256_rps", "GET keep-alive, 256 conns (req/s)", "%.0f", true, "GET keep-alive, 256 connections (requests/s)"},
	{"ka256_p50", "  p50 latency (ms)", "%.3f", false, ""},
	{"ka256_p99", "  p99 latency (ms)", "%.3f", false, "  p99 latency at 256 connections (ms)"},
	{"ka256_cpu", "  proxy CPU per request (µs)", "%.1f", false, ""},
	{"new_rps", "GET new conn per request, 6 conns (req/s)", "%.0f", true, "GET on a new connection each, 6 at a time (requests/s)"},
	{"new_cpu", "  proxy CPU per request (µs)", "%.1f", false, ""},
	{"page_static_ms", "page load 300 files, static frontend (ms)", "%.1f", false, "page load, 300 files from the static frontend (ms)"},
	{"page_dev_ms", "page load 300 files, dev_server path (ms)", "%.1f", false, "page load, 300 files from the dev server (ms)"},
	{"down_mibs", "download 64 MiB (MiB/s)", "%.0f", true, "download 64 MiB (MiB/s)"},
	{"up_mibs", "upload 64 MiB (MiB/s)", "%.0f", true, "upload 64 MiB (MiB/s)"},
	{"file_mibs", "64 MiB file, static frontend (MiB/s)", "%.0f", true, "a 64 MiB file from the static frontend (MiB/s)"},
	{"sse_p50", "SSE write→read p50 (ms)", "%.3f", false, ""},
	{"sse_p99", "SSE write→read p99 (ms)", "%.3f", false, "server-sent event, write → read p99 (ms)"},
	{"sse_max", "SSE write→read max (ms)", "%.3f", false, ""},
	{"ws_rps", "WebSocket 1 KiB echo, 64 conns (rt/s)", "%.0f", true, "WebSocket 1 KiB echo, 64 connections (round trips/s)"},
	{"ws_p99", "  p99 round trip (ms)", "%.3f", false, ""},
	{"ws_cpu", "  proxy CPU per round trip (µs)", "%.1f", false, ""},
	{"rss_idle", "idle RSS (MiB)", "%.1f", false, ""},
	{"rss_peak", "peak RSS during the run (MiB)", "%.1f", false, "peak memory (RSS) during the run (MiB)"},
	{"start_ms", "start → accepting connections (ms)", "%.1f", false, ""},
}

// median folds several runs into one value per cell.
func median(runs []map[string]measurements) map[string]measurements {
	out := map[string]measurements{}
	for _, name := range []string{"direct", "plain", "devproxy"} {
		out[name] = measurements{}
		for _, r := range rows {
			var vs []float64
			for _, run := range runs {
				if v, ok := run[name][r.key]; ok {
					vs = append(vs, v)
				}
			}
			if len(vs) == 0 {
				continue
			}
			slices.Sort(vs)
			v := vs[len(vs)/2]
			if len(vs)%2 == 0 {
				v = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
			}
			out[name][r.key] = v
		}
	}
	return out
}

// printTable writes the table with devproxy/direct and devproxy/plain ratios.
func printTable(w io.Writer, m map[string]measurements, mach machine) {
	title := fmt.Sprintf("median of %d runs", mach.runs)
	if mach.runs == 1 {
		title = "one run"
	}
	fmt.Fprintf(w, "\n%-44s %11s %11s %11s %10s %10s\n", title, "direct", "plain", "devproxy", "dp/direct", "dp/plain")
	fmt.Fprintln(w, strings.Repeat("-", 44+4*12+11))
	cell := func(name string, r row) (float64, string) {
		v, ok := m[name][r.key]
		if !ok {
			return 0, "-"
		}
		return v, fmt.Sprintf(r.format, v)
	}
	ratio := func(a, b float64, okA, okB bool) string {
		if !okA || !okB || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	for _, r := range rows {
		d, ds := cell("direct", r)
		p, ps := cell("plain", r)
		x, xs := cell("devproxy", r)
		if ds == "-" && ps == "-" && xs == "-" {
			continue // a scenario group left out with -only
		}
		fmt.Fprintf(w, "%-44s %11s %11s %11s %10s %10s\n", r.label, ds, ps, xs,
			ratio(x, d, xs != "-", ds != "-"), ratio(x, p, xs != "-", ps != "-"))
	}
}

// goal is one of the performance targets (issue 17), checked on the medians.
type goal struct {
	what   string
	key    string
	versus string  // "direct" or "plain": a ratio; "" compares the value itself
	atMost bool    // the goal is a ceiling, not a floor
	limit  float64 // the ratio or value that meets it
}

var goals = []goal{
	{"keep-alive GET, 32 conns: ≥ 1.5× plain", "ka32_rps", "plain", false, 1.5},
	{"keep-alive GET, 256 conns: ≥ 1.5× plain", "ka256_rps", "plain", false, 1.5},
	{"p99 at 32 conns: ≤ 1.5× direct", "ka32_p99", "direct", true, 1.5},
	{"download 64 MiB: ≥ 0.8× direct", "down_mibs", "direct", false, 0.8},
	{"upload 64 MiB: ≥ 0.8× direct", "up_mibs", "direct", false, 0.8},
	{"WebSocket echo: ≥ 0.7× direct", "ws_rps", "direct", false, 0.7},
	{"peak RSS: ≤ 30 MiB", "rss_peak", "", true, 30},
}

// printGoals says, for each target, what was measured and whether it is met.
func printGoals(w io.Writer, m map[string]measurements) {
	fmt.Fprintln(w, "\ntargets")
	for _, g := range goals {
		x, ok := m["devproxy"][g.key]
		if !ok {
			continue
		}
		got, shown := x, fmt.Sprintf("%.1f", x)
		if g.versus != "" {
			v, ok := m[g.versus][g.key]
			if !ok || v == 0 {
				continue
			}
			got, shown = x/v, fmt.Sprintf("%.2f×", x/v)
		}
		met := got >= g.limit
		if g.atMost {
			met = got <= g.limit
		}
		verdict := "met"
		if !met {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %-44s %8s  %s\n", g.what, shown, verdict)
	}
}

const interpretation = `
Reading these numbers:
  - Everything (load generator, backend, proxies) shares this machine's CPUs, so a
    proxy's requests/s is bounded by how much CPU it leaves to the other two; the
    ratios, measured minutes apart in one run, are what carry over between machines.
  - A shared or busy machine is noisy: run with -runs 3 (or run three times) and read
    the medians; single runs of the latency rows can differ by 20% or more.
  - For requests/s and MiB/s higher is better; for latency, page load, CPU, RSS and
    start time lower is better. "proxy CPU" is user+system time from /proc/<pid>/stat
    divided by the requests served (10 ms tick resolution over the whole phase).
  - -taskset pins everything to CPU 0, the setting the issue's reference numbers use.
`
