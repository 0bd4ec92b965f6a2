package devproxy

import (
	"context"
	"fmt"
)

// runDoctor is implemented with the doctor issue.
func runDoctor(_ context.Context, c CLI, _ []string) int {
	fmt.Fprintln(c.Stderr, "devproxy doctor: not available yet")
	return exitUsage
}
