//go:build unix

package cli

import (
	"log/slog"
	"syscall"
)

// wantOpenFiles covers a page's burst of connections, hundreds of open
// WebSockets and their upstream halves, with room to spare.
const wantOpenFiles = 16384

// warnLowFileLimit says so when the open-file limit is too low for a busy
// dev session: every proxied connection costs two descriptors. Go has
// already raised the soft limit to the hard one at startup (package os,
// Go 1.19+), so only the hard limit can be the problem.
func warnLowFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Debug("cannot read the open-file limit", "err", err)
		return
	}
	if cur := uint64(lim.Cur); cur < wantOpenFiles { // int64 on some systems, uint64 on others
		log.Warn("open-file limit is low; many open connections may fail (raise it with ulimit -n)", "limit", cur)
	}
}
