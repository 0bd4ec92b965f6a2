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
}

// measurements maps a row key (see rows in report.go) to its value.
type measurements map[string]float64

// runOnce starts the backend and both proxies, measures every scenario on
// every target, and stops everything again.
func runOnce(o options, bin, dir string) (map[string]measurements, error) {
	be, err := startBackend(dir)
	if err != nil {
		return nil, err
	}
	defer be.close()
	backendURL := "http://" + be.addr

	var dpArgs, dpEnv []string
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

	for _, t := range targets {
		logf("measuring %s", t.name)
		measureTarget(o, t, out[t.name])
	}

	if !o.selected(groupPage) {
		return finish(out, targets, samplers), nil
	}
	// The static frontend is a second devproxy: one config has one frontend.
	st, err := startDevproxy(bin, dir, "devproxy-static", fmt.Sprintf("[frontend]\nstatic = %q\n", dir), dpArgs, nil)
	if err != nil {
		return nil, err
	}
	logf("devproxy static frontend: page load")
	out["devproxy"]["page_static_ms"] = measurePage(o, target{name: "devproxy-static", base: "http://" + st.addr})
	st.stop()
	return finish(out, targets, samplers), nil
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

// measureTarget fills m with every load row for t.
func measureTarget(o options, t target, m measurements) {
	d := o.duration
	cpu := func(run func() result, key string) result {
		var before time.Duration
		if t.proc != nil {
			before, _ = cpuTime(t.proc.pid())
		}
		r := run()
		if t.proc != nil && r.ops > 0 {
			after, _ := cpuTime(t.proc.pid())
			m[key] = float64((after - before).Microseconds()) / float64(r.ops)
		}
		if r.errs > 0 {
			logf("  %s %s: %d errors", t.name, strings.TrimSuffix(key, "_cpu"), r.errs)
		}
		return r
	}

	for _, conns := range []int{32, 256} {
		if !o.selected(groupKeepAlive) {
			break
		}
		c := newClient(conns, true)
		url := t.base + t.api + "/text"
		loadGET(c, url, conns, d/10) // warm-up: opens the connections
		r := cpu(func() result { return loadGET(c, url, conns, d) }, fmt.Sprintf("ka%d_cpu", conns))
		k := fmt.Sprintf("ka%d_", conns)
		m[k+"rps"] = r.perSecond()
		m[k+"p50"] = ms(percentile(r.lat, 50))
		m[k+"p99"] = ms(percentile(r.lat, 99))
		if conns == 32 {
			url := t.base + t.api + "/json"
			r := cpu(func() result { return loadGET(c, url, conns, d) }, "json32_cpu")
			m["json32_rps"] = r.perSecond()
		}
		c.CloseIdleConnections()
	}

	if o.selected(groupNewConn) {
		nc := newClient(browserConns, false)
		r := cpu(func() result { return loadGET(nc, t.base+t.api+"/text", browserConns, d) }, "new_cpu")
		m["new_rps"] = r.perSecond()
	}

	if o.selected(groupPage) {
		page := measurePage(o, t)
		m["page_dev_ms"] = page
		if t.proc == nil || t.name == "plain" {
			m["page_static_ms"] = page // the same files, same path: there is no second frontend
		}
	}

	if o.selected(groupTransfer) {
		r := cpu(func() result { return download(t.base+t.api+"/download", d) }, "down_cpu")
		m["down_mibs"] = r.mibPerSecond()
		r = cpu(func() result { return upload(t.base+t.api+"/upload", d) }, "up_cpu")
		m["up_mibs"] = r.mibPerSecond()
	}
	if o.selected(groupSSE) {

		r := cpu(func() result { return sse(t.base + t.api + "/sse") }, "sse_cpu")
		m["sse_p50"] = ms(percentile(r.lat, 50))
		m["sse_p99"] = ms(percentile(r.lat, 99))
		m["sse_max"] = ms(percentile(r.lat, 100))
	}
	if o.selected(groupWS) {

		ws := "ws" + strings.TrimPrefix(t.base, "http") + t.api + "/ws"
		r := cpu(func() result { return wsEcho(ws, d) }, "ws_cpu")
		m["ws_rps"] = r.perSecond()
		m["ws_p99"] = ms(percentile(r.lat, 99))
	}
}

// measurePage returns the median page-load time in milliseconds.
func measurePage(o options, t target) float64 {
	r := loadPage(t.base, o.duration)
	if r.errs > 0 {
		logf("  %s page load: %d errors", t.name, r.errs)
	}
	return ms(percentile(r.lat, 50))
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
