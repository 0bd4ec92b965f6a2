//go:build !unix

package devproxy

import "log/slog"

// RaiseOpenFileLimit does nothing where there is no RLIMIT_NOFILE.
func RaiseOpenFileLimit(*slog.Logger) {}
