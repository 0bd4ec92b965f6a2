package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

const (
	// stopGrace is how long a process group has to exit after SIGTERM
	// before it gets SIGKILL; dev servers close their watchers in well under it.
	stopGrace = 5 * time.Second
	// readyPoll is how often a starting command's port or URL is tried.
	readyPoll = 200 * time.Millisecond
	// outputDrain bounds the wait for a killed group's last output lines.
	outputDrain = 2 * time.Second
)

// colors tell interleaved output apart, as concurrently and foreman do.
var colors = []string{"\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m", "\x1b[91m"}

const colorReset = "\x1b[0m"

// Supervisor runs the configured commands, each in its own process group,
// and takes every group down on Stop. It never restarts anything: a command
// that exits is reported and stays down.
type Supervisor struct {
	log   *slog.Logger
	procs []*proc
	// onExit, once set with OnExit, is told the ready address of a
	// command that exited on its own.
	onExit atomic.Pointer[func(readyAddr string)]
}

// proc is one running command.
type proc struct {
	config.Process
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the command (the group leader) has exited
	output   chan struct{} // closed once every writer of its output has gone
	lifeline *os.File      // the watchdog's pipe (see startWatchdog); closed by Stop, or by the kernel when devproxy dies
	mu       sync.Mutex
	stopping bool
	ready    bool
	exit     string // how it ended, once it has
}

// Status is one row of the status page's process table.
type Status struct {
	Name    string `json:"name"`
	Command string `json:"command"`
	PID     int    `json:"pid"`
	State   string `json:"state"` // "starting", "running", "ready", "exited"
	Exit    string `json:"exit,omitempty"`
}

// Status reports each process for the status page.
func (sv *Supervisor) Status() []Status {
	out := make([]Status, 0, len(sv.procs))
	for _, pr := range sv.procs {
		pr.mu.Lock()
		st := Status{Name: pr.Name, Command: pr.Command, PID: pr.cmd.Process.Pid, State: "running", Exit: pr.exit}
		switch {
		case pr.exit != "":
			st.State = "exited"
		case pr.ready:
			st.State = "ready"
		case pr.Ready != "":
			st.State = "starting"
		}
		pr.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// Start starts each process and returns at once; readiness and
// exits are logged as they happen. out receives the prefixed output lines;
// color paints the prefixes. watchdog is the command line that runs
// Watchdog — devproxy's own binary with its hidden watchdog command — put
// beside each command to take its group down if devproxy dies without
// stopping it; nil runs none. Processes already started are stopped if a
// later one cannot start.
func Start(ps []config.Process, out io.Writer, color bool, log *slog.Logger, watchdog []string) (*Supervisor, error) {
	for _, p := range ps {
		// A port that answers before the command runs belongs to something
		// else (often yesterday's dev server): the new one would move to
		// another port (Vite does) and devproxy would silently proxy to
		// the old one.
		if p.Ready != "" && isReady(p.Ready) {
			return nil, fmt.Errorf("%s: %s already answers before devproxy started %q; an old %s is probably still running. Stop it, or remove the command from the config to use the running one",
				p.Name, p.Ready, p.Command, p.Name)
		}
	}
	sv := &Supervisor{log: log}
	width := 0
	for _, p := range ps {
		width = max(width, len(p.Name))
	}
	lines := &lineWriter{w: out}
	for i, p := range ps {
		prefix := fmt.Sprintf("%-*s | ", width, p.Name)
		if color {
			prefix = colors[i%len(colors)] + prefix + colorReset
		}
		pr, err := sv.start(p, lines, prefix, watchdog)
		if err != nil {
			sv.Stop()
			return nil, fmt.Errorf("starting %s (%s): %w", p.Name, p.Command, err)
		}
		sv.procs = append(sv.procs, pr)
	}
	return sv, nil
}

func (sv *Supervisor) start(p config.Process, lines *lineWriter, prefix string, watchdog []string) (*proc, error) {
	cmd := shellCommand(p.Command)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdin = nil // /dev/null: a dev server must not steal devproxy's terminal input
	setProcessGroup(cmd)
	// One pipe for stdout and stderr, read until every process in the group
	// has closed it, not just sh: a grandchild's output is still printed,
	// and Wait does not hang on a pipe a grandchild holds.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	w.Close() // the children hold their own copies
	// Windows: into its job object before it runs (elsewhere a no-op).
	if err := joinGroup(cmd); err != nil {
		_ = cmd.Wait() // joinGroup has killed it
		r.Close()
		return nil, err
	}
	// Before anything can reap the command: the watchdog joins its process
	// group, which exists as long as the leader is not reaped.
	lifeline, err := startWatchdog(watchdog, cmd.Process.Pid)
	if err != nil {
		signalGroup(cmd, cmd.Process.Pid, sigKill)
		_ = cmd.Wait()
		r.Close()
		return nil, fmt.Errorf("starting its watchdog: %w", err)
	}
	pr := &proc{Process: p, cmd: cmd, lifeline: lifeline, exited: make(chan struct{}), output: make(chan struct{})}
	sv.log.Info("process started", "name", p.Name, "command", p.Command, "pid", cmd.Process.Pid)
	go func() { // exits at EOF: once every process holding the pipe has exited or closed it
		defer close(pr.output)
		defer r.Close()
		lines.copyPrefixed(r, prefix)
	}()
	go func() { // exits when the command exits
		err := cmd.Wait()
		pr.mu.Lock()
		stopping := pr.stopping
		pr.exit = exitStatus(err)
		pr.mu.Unlock()
		close(pr.exited)
		if stopping {
			return
		}
		// The proxy hears it first: once the log says so, a request for the
		// command's port fails at once instead of waiting for a restart.
		if f := sv.onExit.Load(); f != nil && p.Ready != "" {
			(*f)(web.DialAddr(p.Ready))
		}
		sv.log.Warn("process exited; devproxy keeps running and will not restart it", "name", p.Name, "exit", exitStatus(err))
	}()
	if p.Ready != "" {
		go sv.waitReady(pr) // exits when the process is ready or has exited
	}
	return pr, nil
}

// exitStatus describes how a command ended: "exit status 1", "signal: killed".
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		// The shell in front of the command reports a command killed by
		// signal N as exit status 128+N; say which signal.
		if code := ee.ExitCode(); shellReportsSignals && code > 128 && code < 128+32 {
			return fmt.Sprintf("%s (killed by %s)", ee.ProcessState, syscall.Signal(code-128))
		}
		return ee.ProcessState.String()
	}
	return err.Error()
}

// ExitedServing returns the name and exit status of a command devproxy
// started whose ready address is addr and that has exited.
func (sv *Supervisor) ExitedServing(addr string) (name, exit string, ok bool) {
	if sv == nil {
		return "", "", false
	}
	for _, pr := range sv.procs {
		pr.mu.Lock()
		e := pr.exit
		pr.mu.Unlock()
		if e != "" && pr.Ready != "" && web.SameLocalAddr(web.DialAddr(pr.Ready), addr) {
			return pr.Name, e, true
		}
	}
	return "", "", false
}

// StartingServing returns the name and command of a command devproxy
// started whose ready address is addr and that is neither ready nor exited
// yet: the dev server that is still starting.
func (sv *Supervisor) StartingServing(addr string) (name, command string, ok bool) {
	if sv == nil {
		return "", "", false
	}
	for _, pr := range sv.procs {
		pr.mu.Lock()
		starting := pr.exit == "" && !pr.ready
		pr.mu.Unlock()
		if starting && pr.Ready != "" && web.SameLocalAddr(web.DialAddr(pr.Ready), addr) {
			return pr.Name, pr.Command, true
		}
	}
	return "", "", false
}

// waitReady polls the process's port or URL until it answers.
func (sv *Supervisor) waitReady(pr *proc) {
	start := time.Now()
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for {
		if isReady(pr.Ready) {
			pr.mu.Lock()
			pr.ready = true
			pr.mu.Unlock()
			sv.log.Info("process ready", "name", pr.Name, "ready", pr.Ready, "after", time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-pr.exited:
			return
		case <-t.C:
		}
	}
}

// isReady reports whether target (host:port or an http(s) URL) answers.
func isReady(target string) bool {
	if strings.Contains(target, "://") {
		client := &http.Client{Timeout: readyPoll * 5}
		res, err := client.Get(target)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode < 500
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyPoll*5)
	defer cancel()
	conn, err := web.DialLocal(ctx, &net.Dialer{Timeout: readyPoll}, "tcp", target)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// OnExit registers f to be told the ready address (host:port) of a
// command that exits on its own, not stopped by Stop. It replaces an
// earlier f.
func (sv *Supervisor) OnExit(f func(readyAddr string)) {
	if sv != nil {
		sv.onExit.Store(&f)
	}
}

// Stop terminates every process group: SIGTERM, then SIGKILL for groups
// still alive after stopGrace. It returns when they are gone (or the grace
// has run out) and their last output has been printed.
func (sv *Supervisor) Stop() {
	if sv == nil {
		return
	}
	if len(sv.procs) > 0 {
		sv.log.Info("stopping the commands devproxy started", "count", len(sv.procs))
	}
	var wg sync.WaitGroup
	for _, pr := range sv.procs {
		wg.Go(func() { pr.stop(sv.log) }) // exits within stopGrace + outputDrain
	}
	wg.Wait()
}

func (pr *proc) stop(log *slog.Logger) {
	pr.mu.Lock()
	pr.stopping = true
	pr.mu.Unlock()
	pid := pr.cmd.Process.Pid
	// The group outlives its leader (sh) when the command backgrounded
	// something, so signal the group even if the leader has exited.
	signalGroup(pr.cmd, pid, sigTerm)
	deadline := time.Now().Add(stopGrace)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for groupAlive(pr.cmd, pid) && time.Now().Before(deadline) {
		<-t.C
	}
	if groupAlive(pr.cmd, pid) {
		log.Warn("process did not stop after SIGTERM; killing it", "name", pr.Name, "grace", stopGrace)
		signalGroup(pr.cmd, pid, sigKill)
	}
	select {
	case <-pr.exited:
	case <-time.After(outputDrain):
	}
	select {
	case <-pr.output:
	case <-time.After(outputDrain): // a process outside the group still holds the pipe
	}
	if pr.lifeline != nil {
		pr.lifeline.Close()
	}
	log.Info("process stopped", "name", pr.Name)
}

// lineWriter writes whole lines from several processes to one writer, so
// lines never interleave mid-way.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// maxLine splits an endless line (a progress bar without newlines) so
// memory stays bounded.
const maxLine = 64 << 10

func (lw *lineWriter) copyPrefixed(r io.Reader, prefix string) {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			var b strings.Builder
			b.WriteString(prefix)
			b.Write(line)
			if line[len(line)-1] != '\n' {
				b.WriteByte('\n')
			}
			lw.mu.Lock()
			_, _ = io.WriteString(lw.w, b.String())
			lw.mu.Unlock()
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}
