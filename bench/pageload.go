//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The page-load group: a generated Vite app of pageModules ES modules (a
// tree of imports, no dependencies, no network) loaded in headless
// Chromium until every module ran, straight from Vite (HTTP/1.1), through
// devproxy over HTTP/1.1 and through devproxy over HTTPS/HTTP/2. Each run
// starts a fresh Vite per way, so the first load is cold (Vite transforms
// every module on first request); the reloads after it are warm (Vite
// answers 304 to the browser's revalidations). The ways are interleaved,
// in a rotating order, so a busy moment on a shared machine hits all.

const (
	pageModules   = 1000
	pageFanout    = 10 // imports per module: 1 + 10 + 100 + 889 modules
	pageWarmLoads = 3  // reloads per run; their median is the run's warm time
	viteStartWait = 60 * time.Second
)

// pageWay is one way the browser reaches the app.
type pageWay struct {
	key, label string
	devproxy   bool
	https      bool
}

var pageWays = []pageWay{
	{"vite", "Vite directly (HTTP/1.1)", false, false},
	{"dp_h1", "devproxy, HTTP/1.1", true, false},
	{"dp_h2", "devproxy, HTTPS + HTTP/2", true, true},
}

// pageResult is one run of one way.
type pageResult struct {
	Cold  float64   `json:"cold"`
	Warm  []float64 `json:"warm"`
	Ran   int       `json:"ran"`
	Proto string    `json:"proto"`
	Error string    `json:"error"`
}

func runPageLoad(o options, root, bin, dir string) error {
	testdata := filepath.Join(root, "e2e", "testdata")
	for _, need := range []string{"node_modules/vite/bin/vite.js", "node_modules/playwright-core/package.json"} {
		if _, err := os.Stat(filepath.Join(testdata, need)); err != nil {
			return fmt.Errorf("pageload needs e2e/testdata's npm packages: run (cd e2e/testdata && npm ci)")
		}
	}
	app := filepath.Join(dir, "app")
	if err := generateApp(app); err != nil {
		return err
	}
	// devproxy's CA and an NSS database that trusts it, in a HOME of the
	// bench's own: the browser checks the certificate as a user's does.
	home := filepath.Join(dir, "home")
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	trust := exec.Command(bin, "trust", "--store", "nss")
	trust.Env = append(os.Environ(), env...)
	if out, err := trust.CombinedOutput(); err != nil {
		return fmt.Errorf("devproxy trust --store nss: %v\n%s", err, out)
	}
	drv, err := startPageDriver(root, testdata, env)
	if err != nil {
		return err
	}
	defer drv.close()

	results := map[string][]pageResult{}
	for run := range o.runs {
		for i := range pageWays {
			way := pageWays[(i+run)%len(pageWays)]
			logf("pageload run %d of %d: %s", run+1, o.runs, way.label)
			r, err := loadOnce(drv, way, bin, dir, testdata, app, env)
			if err != nil {
				return fmt.Errorf("%s: %w", way.label, err)
			}
			results[way.key] = append(results[way.key], r)
		}
	}
	printPageTable(os.Stdout, results, o.runs)
	return nil
}

// loadOnce starts Vite (and devproxy) fresh, loads the app cold, reloads
// it warm, and stops them again.
func loadOnce(drv *pageDriver, way pageWay, bin, dir, testdata, app string, env []string) (pageResult, error) {
	vite, viteAddr, err := startVite(testdata, app)
	if err != nil {
		return pageResult{}, err
	}
	defer stopGroup(vite)
	url := "http://" + viteAddr + "/"
	if way.devproxy {
		addr, err := freeAddr()
		if err != nil {
			return pageResult{}, err
		}
		_, port, _ := net.SplitHostPort(addr)
		listen := "localhost:" + port
		url = "http://localhost:" + port + "/"
		if way.https {
			listen = "https://" + listen
			url = "https://localhost:" + port + "/"
		}
		cfg := filepath.Join(dir, way.key+".toml")
		text := fmt.Sprintf("listen = %q\n[frontend]\ndev_server = \"http://%s\"\n", listen, viteAddr)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			return pageResult{}, err
		}
		cmd := exec.Command(bin, "serve", "--config", cfg)
		cmd.Env = append(os.Environ(), env...)
		dp, err := startProc(way.key, cmd, addr)
		if err != nil {
			return pageResult{}, err
		}
		defer dp.stop()
	}
	r, err := drv.load(url)
	if err != nil {
		return r, err
	}
	if r.Ran != pageModules {
		return r, fmt.Errorf("%d of %d modules ran", r.Ran, pageModules)
	}
	if want := map[bool]string{true: "h2", false: "http/1.1"}[way.https]; r.Proto != want {
		return r, fmt.Errorf("the page came over %q, want %s", r.Proto, want)
	}
	return r, nil
}

// generateApp writes index.html and a tree of pageModules modules: each
// imports up to pageFanout children and counts itself in window.__ran; the
// entry module's body, which runs last, sets window.__done.
func generateApp(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return err
	}
	html := `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module" src="/src/m0.js"></script></body></html>`
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(html), 0o644); err != nil {
		return err
	}
	for i := range pageModules {
		var b strings.Builder
		var kids []int
		for k := i*pageFanout + 1; k <= i*pageFanout+pageFanout && k < pageModules; k++ {
			kids = append(kids, k)
			fmt.Fprintf(&b, "import { v as v%d } from './m%d.js';\n", k, k)
		}
		fmt.Fprintf(&b, "export const v = %d", i)
		for _, k := range kids {
			fmt.Fprintf(&b, " + v%d", k)
		}
		fmt.Fprintf(&b, ";\nwindow.__ran = (window.__ran || 0) + 1;\n// padding, so a module is the size of a small source file\n// %s\n", strings.Repeat("x", 1500))
		if i == 0 {
			b.WriteString("window.__done = performance.now();\n")
		}
		if err := os.WriteFile(filepath.Join(dir, "src", fmt.Sprintf("m%d.js", i)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// startVite runs Vite from e2e/testdata on app and waits until it answers.
func startVite(testdata, app string) (*exec.Cmd, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("node", filepath.Join(testdata, "node_modules", "vite", "bin", "vite.js"),
		"--port", port, "--strictPort", "--host", "127.0.0.1", "--clearScreen", "false", "--logLevel", "warn")
	cmd.Dir = app
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stopGroup ends Vite and anything it spawned
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("starting vite: %w", err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(viteStartWait)
	for time.Now().Before(deadline) {
		// Only the dev server's own page: fetching a module would warm it.
		if res, err := client.Get("http://" + addr + "/@vite/client"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return cmd, addr, nil
			}
		}
		time.Sleep(50 * time.Millisecond) // polling is the only signal Vite gives
	}
	stopGroup(cmd)
	return nil, "", fmt.Errorf("vite did not answer within %v", viteStartWait)
}

// stopGroup ends a process started with Setpgid and its children.
func stopGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }() // exits when the process does
	select {
	case <-done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// pageDriver is bench/pageload.mjs and its Chromium.
type pageDriver struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPageDriver(root, testdata string, env []string) (*pageDriver, error) {
	cmd := exec.Command("node", filepath.Join(root, "bench", "pageload.mjs"))
	cmd.Env = append(append(os.Environ(), env...), "E2E_TESTDATA="+testdata)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the page driver: %w", err)
	}
	d := &pageDriver{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if !d.out.Scan() {
		d.close()
		return nil, fmt.Errorf("chromium did not start (needs /usr/bin/chromium or $CHROMIUM)")
	}
	return d, nil
}

func (d *pageDriver) load(url string) (pageResult, error) {
	job, _ := json.Marshal(map[string]any{"url": url, "warm": pageWarmLoads})
	if _, err := d.in.Write(append(job, '\n')); err != nil {
		return pageResult{}, err
	}
	if !d.out.Scan() {
		return pageResult{}, fmt.Errorf("the page driver exited")
	}
	var r pageResult
	if err := json.Unmarshal(d.out.Bytes(), &r); err != nil {
		return r, err
	}
	if r.Error != "" {
		return r, fmt.Errorf("loading %s: %s", url, r.Error)
	}
	return r, nil
}

func (d *pageDriver) close() {
	d.in.Close()
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }() // exits when node does
	select {
	case <-done:
	case <-time.After(stopGrace):
		_ = d.cmd.Process.Kill()
		<-done
	}
}

// printPageTable prints the medians and their ratio to Vite's.
func printPageTable(w io.Writer, results map[string][]pageResult, runs int) {
	med := func(vs []float64) float64 {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		if len(vs) == 0 {
			return 0
		}
		if len(vs)%2 == 0 {
			return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
		}
		return vs[len(vs)/2]
	}
	cold, warm := map[string]float64{}, map[string]float64{}
	for key, rs := range results {
		var c, wm []float64
		for _, r := range rs {
			c = append(c, r.Cold)
			wm = append(wm, med(r.Warm))
		}
		cold[key], warm[key] = med(c), med(wm)
	}
	fmt.Fprintf(w, "\npage load, %d ES modules, until every module ran; median of %d interleaved run(s)\n", pageModules, runs)
	fmt.Fprintf(w, "%-30s %10s %8s %10s %8s\n", "", "cold (ms)", "/ Vite", "warm (ms)", "/ Vite")
	fmt.Fprintln(w, strings.Repeat("-", 70))
	for _, way := range pageWays {
		fmt.Fprintf(w, "%-30s %10.0f %7.2f× %10.0f %7.2f×\n", way.label, cold[way.key], cold[way.key]/cold["vite"], warm[way.key], warm[way.key]/warm["vite"])
	}
}
