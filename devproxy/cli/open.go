package cli

import (
	"log/slog"
	"os/exec"
	"runtime"
)

// openBrowser opens url in the user's browser with the platform's opener
// (open, xdg-open, start). With none installed (a container, SSH) it does
// nothing: the banner already printed the URL.
func openBrowser(url string, log *slog.Logger) {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name, args = "open", []string{url}
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url} // what `start` does, without cmd's quoting rules
	default:
		name, args = "xdg-open", []string{url}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		log.Debug("no browser opener; skipping --open", "opener", name)
		return
	}
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		log.Debug("opening the browser failed", "opener", name, "err", err)
		return
	}
	go func() { _ = cmd.Wait() }() // exits when the opener exits (xdg-open returns at once)
}
