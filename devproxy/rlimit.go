//go:build unix

package devproxy

import (
	"log/slog"
	"syscall"
)

// wantOpenFiles covers a page's burst of connections, hundreds of open
// WebSockets and their upstream halves, with room to spare.
const wantOpenFiles = 16384

// RaiseOpenFileLimit lifts the soft RLIMIT_NOFILE towards the hard limit:
// every proxied connection costs two descriptors, and the common default
// soft limit of 1024 runs out at a few hundred open WebSockets.
func RaiseOpenFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open-file limit", "err", err)
		return
	}
	want := min(uint64(wantOpenFiles), lim.Max)
	if lim.Cur >= want {
		return
	}
	old := lim.Cur
	lim.Cur = want
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot raise the open-file limit; many open connections may fail", "soft", old, "hard", lim.Max, "err", err)
		return
	}
	if want < wantOpenFiles {
		log.Warn("open-file limit is low; many open connections may fail (raise it with ulimit -n)", "limit", want)
		return
	}
	log.Debug("raised open-file limit", "from", old, "to", want)
}
