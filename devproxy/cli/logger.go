package cli

import (
	"fmt"
	"log/slog"
	"os"
)

// newLogger builds the logger for the serve and demo commands. Its output
// is batched (see logWriter); call closeLog before exiting to write the rest.
func newLogger(c Options, format string, quiet, verbose bool) (log *slog.Logger, closeLog func(), err error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	if verbose {
		level = slog.LevelDebug
	}
	out := newLogWriter(c.Stdout)
	closeLog = func() { _ = out.Close() }
	switch format {
	case "text":
		color := c.IsTerminal != nil && c.IsTerminal() && os.Getenv("NO_COLOR") == ""
		return slog.New(NewConsoleHandler(out, level, color)), closeLog, nil
	case "json":
		return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})), closeLog, nil
	default:
		return nil, nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}
