//go:build unix

package process

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// setProcessGroup puts the command in a new process group, so that stopping
// it reaches everything it started (npm → node → esbuild), and so that the
// terminal's Ctrl-C reaches devproxy alone, which then stops the groups in order.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// joinGroup has nothing to do: the group exists from the fork on.
func joinGroup(*exec.Cmd) error { return nil }

// signalGroup signals every process in the group led by pid.
func signalGroup(_ *exec.Cmd, pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}

// groupAlive reports whether any process of the group is still running.
func groupAlive(_ *exec.Cmd, pid int) bool {
	err := syscall.Kill(-pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// shellCommand runs command with sh -c. A plain command (words, no shell
// syntax) replaces the shell (exec), so that ps and the status page show
// the command itself, with its own pid, as the leader of its group, not a
// sh -c in front of it.
func shellCommand(command string) *exec.Cmd {
	if isPlainCommand(command) {
		command = "exec " + command
	}
	return exec.Command("sh", "-c", command)
}

// isPlainCommand reports whether command is only words that the shell
// passes on as they are (npm run dev, go run ./cmd/api) and its first word
// names a program: not a variable assignment, nor a shell builtin or
// keyword (exit 3, cd web), which exec would look for as a program.
func isPlainCommand(command string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(command), " ")
	if first == "" || strings.Contains(first, "=") || slices.Contains(shellBuiltins, first) {
		return false
	}
	return plainWord(command, " %,")
}

// shellBuiltins are the POSIX shell's keywords and the builtins that exist
// only inside the shell.
var shellBuiltins = []string{"!", ".", ":", "alias", "break", "case", "cd", "continue", "eval", "exec", "exit", "export",
	"for", "function", "getopts", "hash", "if", "local", "read", "readonly", "return", "set", "shift", "source",
	"times", "trap", "ulimit", "umask", "unalias", "unset", "until", "wait", "while"}

// startWatchdog starts the watchdog (see Watchdog) in the process group
// pgid, with the read end of a pipe as its fd 3, and returns the write end,
// which devproxy holds, and only devproxy, until Stop. With no watchdog
// command it starts nothing.
func startWatchdog(watchdog []string, pgid int) (*os.File, error) {
	if len(watchdog) == 0 {
		return nil, nil
	}
	r, w, err := os.Pipe() // close-on-exec: no other child inherits either end
	if err != nil {
		return nil, err
	}
	defer r.Close() // the watchdog has its own copy
	cmd := exec.Command(watchdog[0], append(watchdog[1:], strconv.Itoa(pgid))...)
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, err
	}
	go func() { _ = cmd.Wait() }() // exits with the watchdog: when Stop signals the group, or after it took the group down
	return w, nil
}
