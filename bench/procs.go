package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

const (
	startDeadline = 10 * time.Second       // a proxy that is not up by then has failed
	startPoll     = 200 * time.Microsecond // resolution of the start-time measurement
	stopGrace     = 5 * time.Second
)

// proc is a proxy under test running as its own process, so its CPU time,
// RSS and start time are its own.
type proc struct {
	name    string
	cmd     *exec.Cmd
	addr    string        // host:port it accepts on
	started time.Duration // process start → first accepted connection
	logs    *countingWriter
}

// buildDevproxy compiles the devproxy command from the module root into
// dir; with profile, it includes the profiling hook (profile.go).
func buildDevproxy(root, dir string, profile bool) (string, error) {
	bin := filepath.Join(dir, "devproxy")
	args := []string{"build", "-o", bin}
	if profile {
		args = append(args, "-tags", "devproxyprofile")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building devproxy: %w", err)
	}
	return bin, nil
}

// startDevproxy writes config into dir/<name>.toml and runs bin serve on it.
func startDevproxy(bin, dir, name, config string, extraArgs []string, env []string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("listen = %q\n%s", addr, config)), 0o644); err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--config", path}, extraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return startProc(name, cmd, addr)
}

// startPlain re-executes this binary as the plain httputil.ReverseProxy.
func startPlain(target string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-plainproxy-listen", addr, "-plainproxy-target", target)
	return startProc("plain", cmd, addr)
}

func startProc(name string, cmd *exec.Cmd, addr string) (*proc, error) {
	// Logs go to a pipe drained as fast as a terminal would, so the proxy
	// pays for formatting and writing them but the bench's output stays clean.
	logs := &countingWriter{}
	cmd.Stdout, cmd.Stderr = logs, logs
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, addr: addr, logs: logs}
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			p.started = time.Since(t0)
			c.Close()
			return p, nil
		}
		if time.Since(t0) > startDeadline {
			p.stop()
			return nil, fmt.Errorf("%s did not accept connections within %v: %w", name, startDeadline, err)
		}
		time.Sleep(startPoll) // polling is the measurement here: the process gives no other signal
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits for a clean exit (devproxy writes its
// profiles on the way out), killing it after stopGrace.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }() // exits when the process does
	select {
	case <-done:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// countingWriter discards what a proxy logs and counts the bytes.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(b []byte) (int, error) { w.n += int64(len(b)); return len(b), nil }

var _ io.Writer = (*countingWriter)(nil)

var errNoProc = errors.New("no /proc entry")
