//go:build unix

package devproxy

import (
	"errors"
	"os/exec"
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

// signalGroup signals every process in the group led by pid.
func signalGroup(_ *exec.Cmd, pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}

// groupAlive reports whether any process of the group is still running.
func groupAlive(_ *exec.Cmd, pid int) bool {
	err := syscall.Kill(-pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
