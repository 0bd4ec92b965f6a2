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
}

var rows = []row{
	{"ka32_rps", "GET keep-alive, 32 conns (req/s)", "%.0f"},
	{"ka32_p50", "  p50 latency (ms)", "%.3f"},
	{"ka32_p99", "  p99 latency (ms)", "%.3f"},
	{"ka32_cpu", "  proxy CPU per request (µs)", "%.1f"},
	{"json32_rps", "GET 1 KiB JSON, 32 conns (req/s)", "%.0f"},
	{"ka256_rps", "GET keep-alive, 256 conns (req/s)", "%.0f"},
	{"ka256_p50", "  p50 latency (ms)", "%.3f"},
	{"ka256_p99", "  p99 latency (ms)", "%.3f"},
	{"ka256_cpu", "  proxy CPU per request (µs)", "%.1f"},
	{"new_rps", "GET new conn per request, 6 conns (req/s)", "%.0f"},
	{"new_cpu", "  proxy CPU per request (µs)", "%.1f"},
	{"page_static_ms", "page load 300 files, static frontend (ms)", "%.1f"},
	{"page_dev_ms", "page load 300 files, dev_server path (ms)", "%.1f"},
	{"down_mibs", "download 64 MiB (MiB/s)", "%.0f"},
	{"up_mibs", "upload 64 MiB (MiB/s)", "%.0f"},
	{"sse_p50", "SSE write→read p50 (ms)", "%.3f"},
	{"sse_p99", "SSE write→read p99 (ms)", "%.3f"},
	{"sse_max", "SSE write→read max (ms)", "%.3f"},
	{"ws_rps", "WebSocket 1 KiB echo, 64 conns (rt/s)", "%.0f"},
	{"ws_p99", "  p99 round trip (ms)", "%.3f"},
	{"ws_cpu", "  proxy CPU per round trip (µs)", "%.1f"},
	{"rss_idle", "idle RSS (MiB)", "%.1f"},
	{"rss_peak", "peak RSS during the run (MiB)", "%.1f"},
	{"start_ms", "start → accepting connections (ms)", "%.1f"},
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
func printTable(w io.Writer, m map[string]measurements, runs int) {
	title := fmt.Sprintf("median of %d runs", runs)
	if runs == 1 {
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
