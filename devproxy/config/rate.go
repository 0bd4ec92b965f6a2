package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Rate is a bandwidth in bytes per second; 0 means unlimited.
//
// Written rates follow the networking convention: a lower-case b is a bit,
// an upper-case B a byte, and k, M, G are powers of 1000 (SI), as in
// Chrome DevTools' throttling profiles and every ISP's "Mbps"; Ki, Mi, Gi
// are powers of 1024. So "1Mbps" is 1,000,000 bits = 125,000 bytes per
// second, "64KB/s" is 64,000 bytes and "64KiB/s" is 65,536 bytes per second.
type Rate int64

// rateUnits are the accepted units, with their size in bits per second.
var rateUnits = []struct {
	suffix string
	bits   float64
}{
	{"bps", 1}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9},
	{"bit/s", 1}, {"kbit/s", 1e3}, {"Mbit/s", 1e6}, {"Gbit/s", 1e9},
	{"B/s", 8}, {"kB/s", 8e3}, {"MB/s", 8e6}, {"GB/s", 8e9},
	{"KiB/s", 8 << 10}, {"MiB/s", 8 << 20}, {"GiB/s", 8 << 30},
}

// unitIs reports whether a written unit is suffix. The SI prefix letter may
// be written in either case ("mbps" can only mean megabits, "KB/s" is
// kilobytes), but b and B never are: "MBps" is refused, not guessed.
func unitIs(unit, suffix string) bool {
	if unit == suffix {
		return true
	}
	if len(unit) < 2 || len(suffix) < 2 || !strings.ContainsRune("kKmMgG", rune(suffix[0])) || strings.HasPrefix(suffix[1:], "i") {
		return false
	}
	return strings.EqualFold(unit[:1], suffix[:1]) && unit[1:] == suffix[1:]
}

// rateWant is what a rate may look like, for error messages.
const rateWant = `a rate such as "1Mbps", "500kbps" (bits per second, k/M/G = 1000) or "64KB/s", "1MiB/s" (bytes per second; KiB = 1024)`

var errNotRate = errors.New("not a rate")

// ParseRate reads a rate such as "1Mbps", "500 kbps", "64KB/s" or
// "1.5MiB/s". It accepts only rates of at least one byte per second.
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, errNotRate
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	if err != nil {
		return 0, errNotRate
	}
	unit := strings.TrimSpace(t[i:])
	for _, u := range rateUnits {
		if !unitIs(unit, u.suffix) {
			continue
		}
		bytes := n * u.bits / 8
		if bytes < 1 {
			return 0, fmt.Errorf("%s is less than one byte per second", strings.TrimSpace(s))
		}
		return Rate(bytes + 0.5), nil
	}
	return 0, errNotRate
}

// String writes r in bits per second with the largest SI prefix that keeps
// it at least 1 ("1Mbps", "400kbps", "1.048576Mbps"); it is exact, so two
// different rates never print the same.
func (r Rate) String() string {
	if r == 0 {
		return "unlimited"
	}
	bits := float64(r) * 8
	switch {
	case bits >= 1e9:
		return strconv.FormatFloat(bits/1e9, 'f', -1, 64) + "Gbps"
	case bits >= 1e6:
		return strconv.FormatFloat(bits/1e6, 'f', -1, 64) + "Mbps"
	case bits >= 1e3:
		return strconv.FormatFloat(bits/1e3, 'f', -1, 64) + "kbps"
	}
	return strconv.FormatFloat(bits, 'f', -1, 64) + "bps"
}

// Throttle caps the bandwidth of bodies in each direction. The zero value
// throttles nothing.
type Throttle struct {
	// Down caps responses (and a WebSocket's frames to the browser).
	Down Rate
	// Up caps request bodies (and a WebSocket's frames from the browser).
	Up Rate
}

// IsZero reports whether t throttles nothing.
func (t Throttle) IsZero() bool { return t.Down == 0 && t.Up == 0 }

// String is "off", one rate when both directions share it, else
// "down X, up Y".
func (t Throttle) String() string {
	switch {
	case t.IsZero():
		return "off"
	case t.Down == t.Up:
		return t.Down.String()
	}
	return "down " + t.Down.String() + ", up " + t.Up.String()
}
