//go:build !unix && !windows

package process

import (
	"os"
	"os/exec"
)

// Without process groups (plan9, wasm), only the command itself is
// stopped, and at once: there is no SIGTERM to send.
const (
	sigTerm = 1
	sigKill = 2
)

func setProcessGroup(*exec.Cmd) {}

// joinGroup has no group to join here.
func joinGroup(*exec.Cmd) error { return nil }

// shellCommand runs command with sh -c.
func shellCommand(command string) *exec.Cmd { return exec.Command("sh", "-c", command) }

// Without fd passing there is no watchdog: Stop is the only way down.
func startWatchdog([]string, int) (*os.File, error) { return nil, nil }

// Watchdog does nothing here: no watchdog is ever started.
func Watchdog([]string) int { return 2 }

func signalGroup(cmd *exec.Cmd, _ int, _ int) {
	_ = cmd.Process.Signal(os.Kill)
}

// groupAlive is false: Stop then waits for the command's exit instead.
func groupAlive(*exec.Cmd, int) bool { return false }
