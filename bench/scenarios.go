package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// target is one way to reach the backend: directly, through the plain
// reference proxy, or through devproxy.
type target struct {
	name string
	base string // http://host:port
	api  string // prefix the backend's endpoints are reached under
	proc *proc  // nil for direct
	// static is devproxy with a static frontend serving the page-load
	// files, for the page scenario; "" for the others.
	static string
}

// measurements maps a row key (see rows in report.go) to its value.
type measurements map[string]float64

// runOnce starts the backend and both proxies, measures every scenario on
// every target, and stops everything again.
func runOnce(o options, bin, dir string, run int) (map[string]measurements, error) {
	be, err := startBackend(dir)
	if err != nil {
		return nil, err
	}
	defer be.close()
	backendURL := "http://" + be.addr

	var dpArgs []string
	dpEnv := o.devEnv
	if o.quiet {
		dpArgs = append(dpArgs, "--quiet")
	}
	if o.profileDir != "" {
		dpEnv = append(dpEnv, "DEVPROXY_PROFILE="+o.profileDir)
	}
	dpConfig := fmt.Sprintf("[frontend]\ndev_server = %q\n\n[routes.\"/api\"]\ntarget = %q\nstrip_prefix = true\n", backendURL, backendURL)
	dp, err := startDevproxy(bin, dir, "devproxy", dpConfig, dpArgs, dpEnv)
	if err != nil {
		return nil, err
	}
	defer dp.stop()
	plain, err := startPlain(backendURL)
	if err != nil {
		return nil, err
	}
	defer plain.stop()

	out := map[string]measurements{}
	targets := []target{
		{name: "direct", base: backendURL},
		{name: "plain", base: "http://" + plain.addr, proc: plain},
		{name: "devproxy", base: "http://" + dp.addr, api: "/api", proc: dp},
	}
	var samplers []*rssSampler
	for _, t := range targets[1:] {
		m := measurements{"start_ms": ms(t.proc.started)}
		settle() // let the runtime finish starting before reading idle RSS
		if rss, _, err := memStatus(t.proc.pid()); err == nil {
			m["rss_idle"] = mib(rss)
		}
		out[t.name] = m
		samplers = append(samplers, sampleRSS(t.proc.pid()))
	}
	out["direct"] = measurements{}
	if o.selected(groupPage) || o.selected(groupTransfer) {
		// The static frontend is a second devproxy (one config has one
		// frontend), measured in the page and file scenarios beside the
		// others.
		st, err := startDevproxy(bin, dir, "devproxy-static", fmt.Sprintf("[frontend]\nstatic = %q\n", dir), dpArgs, nil)
		if err != nil {
			return nil, err
		}
		defer st.stop()
		targets[2].static = "http://" + st.addr
	}

	logf("measuring %s, interleaved scenario by scenario", names(rotate(targets, run)))
	for _, sc := range scenarios {
		if o.selected(sc.group) {
			measure(o, sc, rotate(targets, run), out)
		}
	}

	return finish(out, targets, samplers), nil
}

// rotate returns targets starting at index run (mod len).
func rotate(targets []target, run int) []target {
	i := run % len(targets)
	return append(append([]target{}, targets[i:]...), targets[:i]...)
}

func names(targets []target) string {
	var s []string
	for _, t := range targets {
		s = append(s, t.name)
	}
	return strings.Join(s, ", ")
}

// finish adds the peak RSS of each proxy process.
func finish(out map[string]measurements, targets []target, samplers []*rssSampler) map[string]measurements {
	for i, t := range targets[1:] {
		peak := samplers[i].close()
		if _, hwm, err := memStatus(t.proc.pid()); err == nil {
			peak = max(peak, hwm)
		}
		out[t.name]["rss_peak"] = mib(peak)
	}
	return out
}

// sliceCount is how many slices a sliced scenario's duration is cut into.
const sliceCount = 3

// scenario is one measurement, taken on every target in turn. A sliced
// one alternates between the targets slice by slice (direct, plain,
// devproxy, direct, …), so a burst of load from elsewhere on a shared
// machine hits all three alike rather than one.
type scenario struct {
	group  string // for -only
	cpuKey string // the row for the proxy's CPU time per operation, or ""
	sliced bool
	// open prepares t (clients, warm connections) and returns a func
	// that measures for d, and one that releases what open took; nil
	// measure leaves t out of the scenario.
	open   func(o options, t target) (measure func(d time.Duration) result, release func())
	record func(t target, m measurements, r result)
}

var scenarios = []scenario{
	keepAliveScenario(32, "/text", "ka32_"),
	keepAliveScenario(32, "/json", "json32_"),
	keepAliveScenario(256, "/text", "ka256_"),
	{group: groupNewConn, cpuKey: "new_cpu", sliced: true,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			c := newClient(browserConns, false)
			return func(d time.Duration) result { return loadGET(c, t.base+t.api+"/text", browserConns, d) }, c.CloseIdleConnections
		},
		record: func(t target, m measurements, r result) { m["new_rps"] = r.perSecond() }},
	{group: groupPage,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			return func(d time.Duration) result { return loadPage(t.base, d) }, func() {}
		},
		record: func(t target, m measurements, r result) {
			m["page_dev_ms"] = ms(percentile(r.lat, 50))
			if t.static == "" {
				m["page_static_ms"] = m["page_dev_ms"] // the same files, same path: there is no second frontend
			}
		}},
	{group: groupPage,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			if t.static == "" {
				return nil, nil
			}
			return func(d time.Duration) result { return loadPage(t.static, d) }, func() {}
		},
		record: func(t target, m measurements, r result) { m["page_static_ms"] = ms(percentile(r.lat, 50)) }},
	{group: groupTransfer, cpuKey: "down_cpu", sliced: true,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			return func(d time.Duration) result { return download(t.base+t.api+"/download", d) }, func() {}
		},
		record: func(t target, m measurements, r result) { m["down_mibs"] = r.mibPerSecond() }},
	{group: groupTransfer, cpuKey: "up_cpu", sliced: true,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			return func(d time.Duration) result { return upload(t.base+t.api+"/upload", d) }, func() {}
		},
		record: func(t target, m measurements, r result) { m["up_mibs"] = r.mibPerSecond() }},
	// The 64 MiB file: from the backend's file server (direct), through
	// the plain proxy, and from devproxy's static frontend.
	{group: groupTransfer, sliced: true,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			url := t.base + "/assets/" + bigFile
			if t.static != "" {
				url = t.static + "/assets/" + bigFile
			}
			return func(d time.Duration) result { return download(url, d) }, func() {}
		},
		record: func(t target, m measurements, r result) { m["file_mibs"] = r.mibPerSecond() }},
	{group: groupSSE, cpuKey: "sse_cpu",
		open: func(o options, t target) (func(time.Duration) result, func()) {
			return func(time.Duration) result { return sse(t.base + t.api + "/sse") }, func() {}
		},
		record: func(t target, m measurements, r result) {
			m["sse_p50"] = ms(percentile(r.lat, 50))
			m["sse_p99"] = ms(percentile(r.lat, 99))
			m["sse_max"] = ms(percentile(r.lat, 100))
		}},
	{group: groupWS, cpuKey: "ws_cpu", sliced: true,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			ws, err := dialWS("ws" + strings.TrimPrefix(t.base, "http") + t.api + "/ws")
			if err != nil {
				logf("  %s websocket: %v", t.name, err)
				return func(time.Duration) result { return result{errs: 1} }, func() {}
			}
			return func(d time.Duration) result { return ws.echo(d) }, ws.close
		},
		record: func(t target, m measurements, r result) {
			m["ws_rps"] = r.perSecond()
			m["ws_p99"] = ms(percentile(r.lat, 99))
		}},
}

// keepAliveScenario GETs path over conns warm keep-alive connections;
// rows are prefix+"rps", "p50", "p99" and "cpu".
func keepAliveScenario(conns int, path, prefix string) scenario {
	return scenario{group: groupKeepAlive, cpuKey: prefix + "cpu", sliced: true,
		open: func(o options, t target) (func(time.Duration) result, func()) {
			c := newClient(conns, true)
			url := t.base + t.api + path
			loadGET(c, url, conns, o.duration/10) // warm-up: opens the connections
			return func(d time.Duration) result { return loadGET(c, url, conns, d) }, c.CloseIdleConnections
		},
		record: func(t target, m measurements, r result) {
			m[prefix+"rps"] = r.perSecond()
			m[prefix+"p50"] = ms(percentile(r.lat, 50))
			m[prefix+"p99"] = ms(percentile(r.lat, 99))
		}}
}

// measure runs sc on every target and records its rows in out.
func measure(o options, sc scenario, targets []target, out map[string]measurements) {
	type state struct {
		t       target
		measure func(time.Duration) result
		release func()
		total   result
		cpu     time.Duration
	}
	var states []*state
	for _, t := range targets {
		run, release := sc.open(o, t)
		if run != nil {
			states = append(states, &state{t: t, measure: run, release: release})
		}
	}
	slices := 1
	if sc.sliced {
		slices = sliceCount
	}
	for range slices {
		for _, st := range states {
			var before time.Duration
			if st.t.proc != nil {
				before, _ = cpuTime(st.t.proc.pid())
			}
			st.total.add(st.measure(o.duration / time.Duration(slices)))
			if st.t.proc != nil {
				after, _ := cpuTime(st.t.proc.pid())
				st.cpu += after - before
			}
		}
	}
	for _, st := range states {
		st.release()
		m := out[st.t.name]
		sc.record(st.t, m, st.total)
		if sc.cpuKey != "" && st.t.proc != nil && st.total.ops > 0 {
			m[sc.cpuKey] = float64(st.cpu.Microseconds()) / float64(st.total.ops)
		}
		if st.total.errs > 0 {
			logf("  %s %s %s: %d errors", st.t.name, sc.group, strings.TrimSuffix(sc.cpuKey, "_cpu"), st.total.errs)
		}
	}
}

// percentile returns the p-th percentile (nearest rank) of lat; it sorts lat.
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(float64(len(lat))*p/100+0.5) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

// settle gives a freshly started process a moment before its idle RSS is read.
func settle() { time.Sleep(100 * time.Millisecond) }

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }
