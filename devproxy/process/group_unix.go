//go:build unix

package process

import (
	"errors"
	"os"
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

// watchdogScript runs the user's command ($1) beside a watchdog that reads
// fd 3, a pipe whose only writer is devproxy. When devproxy dies in any way
// (a crash, SIGKILL, a closed terminal) the kernel closes the writer, the
// read ends, and the watchdog signals the whole group: no dev server
// outlives devproxy even when its deferred Stop never ran.
//
// The shell stays as the group's leader and waits for both, so they are
// reaped at once (an orphan would wait for PID 1, which in containers may
// reap late or never, and Stop would wait for it), and it exits with the
// command's status.
const watchdogScript = `(read _ <&3; kill -TERM 0) >/dev/null 2>&1 &
w=$!
exec 3<&-
eval "$1" &
c=$!
trap 'kill -TERM $c 2>/dev/null' TERM INT HUP
while :; do
	wait $c 2>/dev/null; s=$? # quietly: the shell would print "Terminated" on a stop
	kill -0 $c 2>/dev/null || break # wait returned for a trapped signal, not an exit
done
kill $w 2>/dev/null; wait $w 2>/dev/null # quietly: no "Terminated" from the shell
exit $s`

// shellCommand runs command with sh -c under the watchdog.
func shellCommand(command string) *exec.Cmd {
	return exec.Command("sh", "-c", watchdogScript, "devproxy", command)
}

// attachLifeline passes the watchdog's end of the pipe as fd 3 and returns
// devproxy's end, which must stay open (and referenced) while the command runs.
func attachLifeline(cmd *exec.Cmd) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{r}
	return w, nil
}

// closeChildEnd closes devproxy's copy of the watchdog's end after Start.
func closeChildEnd(cmd *exec.Cmd) {
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
}

func closeLifeline(cmd *exec.Cmd, w *os.File) {
	closeChildEnd(cmd)
	w.Close()
}
