//go:build !unix

package devproxy

import (
	"os"
	"os/exec"
)

// Without process groups (Windows), only the command itself is stopped,
// and at once: there is no SIGTERM to send.
const (
	sigTerm = 1
	sigKill = 2
)

func setProcessGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, _ int, _ int) {
	_ = cmd.Process.Signal(os.Kill)
}

// groupAlive is false: Stop then waits for the command's exit instead.
func groupAlive(*exec.Cmd, int) bool { return false }
