// Command bench measures devproxy against a direct connection to a backend
// and against a plain httputil.ReverseProxy, on loopback, in one run.
//
//	go run ./bench                 # one run, about 2–3 minutes
//	go run ./bench -runs 3         # medians of three runs
//	go run ./bench -taskset        # everything pinned to CPU 0
//
// devproxy is built from this checkout and runs as its own process, so its
// CPU time, RSS and start time are read from /proc for it alone.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// options are the bench's flags.
type options struct {
	duration   time.Duration
	runs       int
	quiet      bool
	profileDir string
	svg        string          // where to write the chart; "" for nowhere
	devEnv     []string        // extra environment for devproxy (-devproxy-env)
	only       map[string]bool // scenario groups to run; empty means all
}

// Scenario groups for -only.
const (
	groupKeepAlive = "keepalive"
	groupNewConn   = "newconn"
	groupPage      = "page"
	groupTransfer  = "transfer"
	groupSSE       = "sse"
	groupWS        = "ws"
	// groupPageLoad (Vite + Chromium, a few minutes) runs only when named.
	groupPageLoad = "pageload"
)

// selected reports whether the scenario group g is selected.
func (o options) selected(g string) bool {
	if g == groupPageLoad {
		return o.only[g]
	}
	return len(o.only) == 0 || o.only[g]
}

// onlyPageLoad reports whether pageload is the only group asked for.
func (o options) onlyPageLoad() bool { return len(o.only) == 1 && o.only[groupPageLoad] }

const pinnedEnv = "DEVPROXY_BENCH_PINNED" // set in the re-executed, pinned bench

func main() {
	var o options
	flag.DurationVar(&o.duration, "d", 3*time.Second, "duration of each load phase")
	flag.IntVar(&o.runs, "runs", 1, "runs to take the median of")
	flag.BoolVar(&o.quiet, "quiet", false, "run devproxy with --quiet (by default it logs every request to a pipe the bench drains)")
	flag.StringVar(&o.profileDir, "profile", "", "write devproxy's CPU and allocation profiles into this directory")
	only := flag.String("only", "", "comma-separated scenario groups to run: keepalive,newconn,page,transfer,sse,ws (default all), and pageload (only when named: 1,000-module Vite app in Chromium)")
	pin := flag.Bool("taskset", false, "pin the bench, backend and proxies to CPU 0 with taskset")
	plainListen := flag.String("plainproxy-listen", "", "internal: run as the plain reference proxy on this address")
	plainTarget := flag.String("plainproxy-target", "", "internal: the plain proxy's backend")
	devEnv := flag.String("devproxy-env", "", "comma-separated KEY=VALUE pairs for devproxy's environment, e.g. GODEBUG=http2server=0 to compare a setting against the default")
	svg := flag.String("svg", "docs/bench.svg", "write the chart here (relative to the module root); written only when every scenario group ran, unless this flag is given")
	flag.Parse()
	o.svg = *svg
	if *devEnv != "" {
		o.devEnv = strings.Split(*devEnv, ",")
	}
	svgSet := false
	flag.Visit(func(f *flag.Flag) { svgSet = svgSet || f.Name == "svg" })

	if *only != "" {
		o.only = map[string]bool{}
		for _, g := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(g)] = true
		}
		if !svgSet {
			o.svg = "" // a chart of some scenarios would replace README's whole one
		}
	}
	if *plainListen != "" {
		if err := runPlainProxy(*plainListen, *plainTarget); err != nil {
			fmt.Fprintln(os.Stderr, "plainproxy:", err)
			os.Exit(1)
		}
		return
	}
	if *pin && os.Getenv(pinnedEnv) == "" {
		os.Exit(reexecPinned())
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.runs < 1 || o.duration <= 0 {
		return fmt.Errorf("-runs and -d must be positive")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "devproxy-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.profileDir != "" {
		if o.profileDir, err = filepath.Abs(o.profileDir); err != nil {
			return err
		}
	}
	bin, err := buildDevproxy(root, dir, o.profileDir != "")
	if err != nil {
		return err
	}
	fmt.Printf("devproxy bench: %s %s/%s, %d CPUs, GOMAXPROCS %d, phases of %v, devproxy logging %s\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), o.duration,
		map[bool]string{true: "off (--quiet)", false: "every request to a drained pipe"}[o.quiet])
	if os.Getenv(pinnedEnv) != "" {
		fmt.Println("pinned to CPU 0 (taskset)")
	}
	if o.selected(groupPageLoad) {
		if err := runPageLoad(o, root, bin, dir); err != nil {
			return fmt.Errorf("pageload: %w", err)
		}
		if o.onlyPageLoad() {
			return nil
		}
	}
	mach := describeMachine(o.runs, os.Getenv(pinnedEnv) != "")
	var all []map[string]measurements
	for i := range o.runs {
		logf("run %d of %d", i+1, o.runs)
		m, err := runOnce(o, bin, dir, i)
		if err != nil {
			return err
		}
		all = append(all, m)
	}
	mach.loadAvg[1] = loadAverage()
	med := median(all)
	printTable(os.Stdout, med, mach)
	fmt.Println(mach)
	printGoals(os.Stdout, med)
	fmt.Print(interpretation)
	if o.svg != "" {
		path := o.svg
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if err := writeChart(path, med, mach); err != nil {
			return err
		}
		fmt.Println("chart written to", path)
	}
	return nil
}

// reexecPinned runs this binary again under taskset -c 0; children inherit
// the affinity, and Go sizes GOMAXPROCS from it.
func reexecPinned() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	cmd := exec.Command("taskset", append([]string{"-c", "0", self}, os.Args[1:]...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), pinnedEnv+"=1")
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "bench: taskset:", err)
		return 1
	}
	return 0
}

// moduleRoot finds the directory holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run the bench inside the devproxy module (no go.mod found)")
		}
		dir = parent
	}
}
