package config

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// The keys of the simulation tables.
var (
	simulateKeys = []string{"network", "delay", "throttle"}
	throttleKeys = []string{"down", "up"}
	failKeys     = []string{"rate", "mode"}
)

// Simulate is the [simulate] table: network conditions for every request
// devproxy serves, routes and frontend alike. The zero value simulates
// nothing.
type Simulate struct {
	// Network is the preset the table names ("slow-3g"), or "".
	Network string
	// Delay is added to every request, before its response headers.
	Delay time.Duration
	// Throttle caps the bandwidth of all bodies together, as one slow link
	// that every request shares.
	Throttle Throttle
}

// IsZero reports whether s simulates nothing.
func (s Simulate) IsZero() bool { return s.Delay == 0 && s.Throttle.IsZero() }

// String describes s for the banner and reload lines.
func (s Simulate) String() string {
	if s.IsZero() {
		return "off"
	}
	var parts []string
	if s.Network != "" {
		parts = append(parts, s.Network)
	}
	parts = append(parts, "delay "+s.Delay.String(), "throttle "+s.Throttle.String())
	return strings.Join(parts, " ")
}

// Fail makes a share of a route's requests fail. The zero value fails none.
type Fail struct {
	// Rate is the share of requests that fail, from 0 to 1.
	Rate float64
	// Mode is FailStatus (a 503 page that says it is simulated) or
	// FailReset (the connection is dropped without an answer).
	Mode string
}

// The fail modes.
const (
	FailStatus = "503"
	FailReset  = "reset"
)

// String is "off", or the share and mode: "10% 503".
func (f Fail) String() string {
	if f.Rate == 0 {
		return "off"
	}
	return fmt.Sprintf("%s%% %s", formatFloat(f.Rate*100), f.Mode)
}

// Network is a named set of network conditions, as Chrome DevTools'
// throttling presets: a latency added to every request and a bandwidth.
type Network struct {
	Name string
	// Title is what Chrome DevTools calls it.
	Title    string
	Delay    time.Duration
	Throttle Throttle
}

// Networks are the presets [simulate] network and the status page's "slow"
// switch offer, fastest last. The numbers are Chrome DevTools' own
// (front_end/core/sdk/NetworkManager.ts: Slow3GConditions,
// Slow4GConditions, Fast4GConditions); DevTools renamed "Slow 3G" to "3G"
// and "Fast 3G" to "Slow 4G" in 2024 without changing them.
var Networks = []Network{
	{Name: "slow-3g", Title: `DevTools "3G" (formerly "Slow 3G")`, Delay: 2000 * time.Millisecond, Throttle: Throttle{Down: 50_000, Up: 50_000}},
	{Name: "fast-3g", Title: `DevTools "Slow 4G" (formerly "Fast 3G")`, Delay: 562500 * time.Microsecond, Throttle: Throttle{Down: 180_000, Up: 84_375}},
	{Name: "fast-4g", Title: `DevTools "Fast 4G"`, Delay: 165 * time.Millisecond, Throttle: Throttle{Down: 1_012_500, Up: 168_750}},
}

// networkAliases are DevTools' current names for the presets.
var networkAliases = map[string]string{"3g": "slow-3g", "slow-4g": "fast-3g"}

// LookupNetwork finds a preset by name (any case; DevTools' current names
// "3g" and "slow-4g" too).
func LookupNetwork(name string) (Network, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if alias, ok := networkAliases[name]; ok {
		name = alias
	}
	for _, n := range Networks {
		if n.Name == name {
			return n, true
		}
	}
	return Network{}, false
}

func networkList() []string {
	names := make([]string, len(Networks))
	for i, n := range Networks {
		names[i] = n.Name
	}
	return names
}

// networkNames is networkList quoted, for an error's want: "slow-3g", "fast-3g".
func networkNames() string {
	names := networkList()
	for i, n := range names {
		names[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(names, ", ")
}

// readSimulate reads the top-level [simulate] table.
func (cr *configReader) readSimulate(tbl map[string]any) Simulate {
	path := []string{"simulate"}
	cr.checkKeys(tbl, path, simulateKeys)
	var s Simulate
	if name, ok := cr.str(tbl, path, "network"); ok {
		n, found := LookupNetwork(name)
		if !found {
			cr.failValue(with(path, "network"), fmt.Sprintf("simulate.network = %q is not a network devproxy knows", name),
				"one of "+networkNames(), cr.fixValue(with(path, "network"), quote(cmp.Or(suggest(name, networkList()), "fast-3g"))))
		} else {
			s.Network, s.Delay, s.Throttle = n.Name, n.Delay, n.Throttle
		}
	}
	// Explicit keys refine the preset.
	if _, ok := tbl["delay"]; ok {
		s.Delay = cr.delay(tbl, path)
	}
	if _, ok := tbl["throttle"]; ok {
		s.Throttle = cr.throttle(tbl, path)
	}
	return s
}

// delaySyntax is a delay key's: a bare integer is taken for milliseconds,
// and a negative delay is called so.
var delaySyntax = durationSyntax{
	want:     `a duration of 0 or more, waited before each response's headers, e.g. "300ms"`,
	intUnit:  "ms",
	sep:      " = ",
	example:  `"300ms"`,
	trim:     true,
	negative: true,
}

// delay reads a delay key: a duration of zero or more.
func (cr *configReader) delay(tbl map[string]any, path []string) time.Duration {
	return cr.durationAs(tbl, path, "delay", 0, delaySyntax)
}

// throttle reads a throttle key: one rate for both directions, or a table
// with down and up.
func (cr *configReader) throttle(tbl map[string]any, path []string) Throttle {
	v, ok := tbl["throttle"]
	if !ok {
		return Throttle{}
	}
	key := with(path, "throttle")
	switch v := v.(type) {
	case string:
		r := cr.rate(key, v)
		return Throttle{Down: r, Up: r}
	case map[string]any:
		cr.checkKeys(v, key, throttleKeys)
		var t Throttle
		for _, dir := range throttleKeys {
			raw, set := v[dir]
			if !set {
				continue
			}
			s, isStr := raw.(string)
			if !isStr {
				cr.typeErr(with(key, dir), raw, rateWant, cr.fixValue(with(key, dir), `"1Mbps"`))
				continue
			}
			if dir == "down" {
				t.Down = cr.rate(with(key, dir), s)
			} else {
				t.Up = cr.rate(with(key, dir), s)
			}
		}
		return t
	default:
		cr.typeErr(key, v, rateWant+`, or a table { down = "1.6Mbps", up = "750kbps" }`, cr.fixValue(key, `"1Mbps"`))
		return Throttle{}
	}
}

// rate reads one written rate at key.
func (cr *configReader) rate(key []string, s string) Rate {
	r, err := ParseRate(s)
	if err == nil {
		return r
	}
	fix := cr.fixValue(key, `"1Mbps"`)
	if t := strings.TrimSpace(s); strings.HasSuffix(t, "Bps") && len(t) > 3 {
		fix = cr.fixValue(key, quote(strings.TrimSuffix(t, "Bps")+"B/s")) // "MBps": bytes, written as devproxy spells them
	}
	msg := fmt.Sprintf("%s = %q is not a rate", DisplayKey(key), s)
	if err != errNotRate {
		msg = fmt.Sprintf("%s = %q: %v", DisplayKey(key), s, err)
	}
	cr.failValue(key, msg, rateWant, fix)
	return 0
}

// readFail reads a route's fail key: a share of requests (a 503 each), or
// a table with rate and mode.
func (cr *configReader) readFail(tbl map[string]any, path []string) Fail {
	v, ok := tbl["fail"]
	if !ok {
		return Fail{}
	}
	key := with(path, "fail")
	f := Fail{Mode: FailStatus}
	switch v := v.(type) {
	case map[string]any:
		cr.checkKeys(v, key, failKeys)
		if raw, set := v["rate"]; set {
			f.Rate = cr.share(with(key, "rate"), raw)
		} else {
			cr.failKey(key, fmt.Sprintf("%s has no rate", DisplayKey(key)), "the share of requests that fail, from 0 to 1",
				cmp.Or(cr.fixValue(key, `{ rate = 0.1, mode = "reset" }`), cr.fixUnderHeader(key, "rate = 0.1")))
		}
		if mode, ok := cr.str(v, key, "mode"); ok {
			if mode != FailStatus && mode != FailReset {
				cr.failValue(with(key, "mode"), fmt.Sprintf("%s = %q is not a fail mode", DisplayKey(with(key, "mode")), mode),
					`"503" (a 503 page that says it is simulated) or "reset" (the connection is dropped)`, cr.fixValue(with(key, "mode"), `"reset"`))
			} else {
				f.Mode = mode
			}
		}
	default:
		f.Rate = cr.share(key, v)
	}
	return f
}

// share reads a number from 0 to 1.
func (cr *configReader) share(key []string, v any) float64 {
	want := "a share of requests from 0 to 1, e.g. 0.1 for 10%"
	var x float64
	switch n := v.(type) {
	case float64:
		x = n
	case int64:
		x = float64(n)
	case string:
		fix := ""
		if pct, ok := strings.CutSuffix(strings.TrimSpace(n), "%"); ok {
			var p float64
			if _, err := fmt.Sscanf(pct, "%g", &p); err == nil {
				fix = cr.fixValue(key, formatFloat(p/100))
			}
		}
		cr.typeErr(key, v, want+" (a number, not a string)", fix)
		return 0
	default:
		cr.typeErr(key, v, want, "")
		return 0
	}
	if x < 0 || x > 1 {
		fix := cr.fixValue(key, "0.1")
		if x > 1 && x <= 100 && x == float64(int(x)) {
			fix = cr.fixValue(key, formatFloat(x/100)) // written as a percentage
		}
		cr.failValue(key, fmt.Sprintf("%s = %s is outside 0..1", DisplayKey(key), formatFloat(x)), want, fix)
		return 0
	}
	return x
}

// formatFloat writes x without trailing zeros: 0.1, 25, 12.5.
func formatFloat(x float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.6f", x), "0"), ".")
}
