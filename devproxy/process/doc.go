// Package process is the supervisor for the commands devproxy runs beside
// the proxy ([frontend] command, [[process]]): each in its own process
// group, led by the command itself, with its output prefixed line by line,
// readiness waited for, exits reported, and every group taken down when
// devproxy stops — by the watchdog that devproxy's own binary runs in each
// group (Watchdog) even when devproxy is killed. It never restarts a command.
package process
