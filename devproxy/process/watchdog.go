//go:build unix

package process

import (
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Watchdog is the body of devproxy's hidden watchdog command, which the
// supervisor starts in the process group of each command (startWatchdog):
// args is the group's id. It holds the read end of a pipe (fd 3) whose
// only writer is devproxy and waits. When devproxy dies in any way (a
// crash, SIGKILL, a closed terminal) the kernel closes the writer, the read
// ends, and the watchdog takes the group down: SIGTERM, then SIGKILL for
// whatever is left after stopGrace. No dev server outlives devproxy even
// when its Stop never ran. While devproxy runs, its Stop signals the group,
// which ends the watchdog too. Being a member keeps the group's id from
// being reused while the watchdog may still signal it. It returns the exit
// status.
func Watchdog(args []string) int {
	pgid := 0
	if len(args) == 1 {
		pgid, _ = strconv.Atoi(args[0])
	}
	// Only ever a group it was started in: never signal someone else's.
	if pgid <= 1 || syscall.Getpgrp() != pgid {
		return 2
	}
	_, _ = io.Copy(io.Discard, os.NewFile(3, "lifeline"))          // returns when devproxy is gone
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP) // the group's signal reaches the watchdog too
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(stopGrace)
	t := time.NewTicker(50 * time.Millisecond) // the kernel offers nothing to wait on for another's exit
	defer t.Stop()
	for time.Now().Before(deadline) { // bounded by stopGrace
		if alone, known := aloneInGroup(pgid); known && alone {
			return 0
		}
		<-t.C
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // the watchdog included
	return 0
}
