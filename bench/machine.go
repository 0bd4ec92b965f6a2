package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where and when a bench run happened, for the table's
// header and the chart's subtitle.
type machine struct {
	date    time.Time
	goos    string
	goarch  string
	cpu     string // model name from /proc/cpuinfo, "" when unknown
	cores   int    // the machine's logical CPUs
	pinned  bool   // everything ran on CPU 0 (-taskset)
	gomax   int    // GOMAXPROCS of the bench (and, pinned, of devproxy)
	goVer   string
	runs    int
	loadAvg [2]string // 1-minute load average at the start and the end
}

func describeMachine(runs int, pinned bool) machine {
	model, cores := cpuInfo()
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	return machine{date: time.Now(), goos: runtime.GOOS, goarch: runtime.GOARCH, cpu: model, cores: cores,
		pinned: pinned, gomax: runtime.GOMAXPROCS(0), goVer: runtime.Version(), runs: runs, loadAvg: [2]string{loadAverage(), ""}}
}

// cpuInfo reads the CPU model and the number of logical CPUs from
// /proc/cpuinfo (Linux); elsewhere it returns "", 0.
func cpuInfo() (model string, cores int) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "", 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "processor":
			cores++
		case "model name":
			if model == "" {
				model = strings.Join(strings.Fields(val), " ")
			}
		}
	}
	return model, cores
}

// loadAverage is the 1-minute load average from /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// String is the one-line description under the table and the chart's title.
func (m machine) String() string {
	cpu := m.cpu
	if cpu == "" {
		cpu = "unknown CPU"
	}
	cores := fmt.Sprintf("%d cores", m.cores)
	if m.pinned {
		cores += ", everything pinned to CPU 0"
	}
	runs := "one run"
	if m.runs > 1 {
		runs = fmt.Sprintf("median of %d runs", m.runs)
	}
	return fmt.Sprintf("%s · %s/%s · %s · %s · %s · %s · load average %s → %s",
		m.date.Format("2006-01-02"), m.goos, m.goarch, cpu, cores, m.goVer, runs, m.loadAvg[0], m.loadAvg[1])
}
