//go:build !unix

package cli

import "log/slog"

// warnLowFileLimit does nothing where there is no RLIMIT_NOFILE.
func warnLowFileLimit(*slog.Logger) {}
