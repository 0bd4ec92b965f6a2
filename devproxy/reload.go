package devproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/fsnotify/fsnotify"
)

// reloadDebounce is how long the config must stay quiet before it is read.
// Editors emit several events per save (truncate + write, or create temp +
// write + rename, or remove + create) within a few milliseconds; one quiet
// period collapses them into a single reload and stays well below what a
// person notices between saving and reloading the browser.
const reloadDebounce = 50 * time.Millisecond

// Watch reloads the config at path whenever it is saved, until ctx is done.
// It watches the file's directory rather than the file, so a save that
// replaces the file (rename over, delete and recreate) keeps being seen.
// A save that does not parse or compile leaves the current table in place
// and is shown on the status page until a valid save clears it. Watch makes
// one reload attempt once the watch is in place, so a change made between
// loading the config and calling Watch is not lost. It returns nil when ctx
// is done, or an error when the watch cannot be set up.
func (s *Server) Watch(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("watching %s: %w", path, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", path, err)
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("watching %s: %w", filepath.Dir(abs), err)
	}
	s.log.Info("watching config for changes", "file", path)
	rl := &reloader{s: s, path: path}
	rl.reload()
	isConfig := func(ev fsnotify.Event) bool { return ev.Name == abs }
	debounce(ctx, w.Events, w.Errors, isConfig, s.debounce, rl.reload, s.warnWatchError)
	return nil
}

func (s *Server) warnWatchError(err error) {
	s.log.Warn("config watch error", "err", err)
}

// debounce calls fire once for each burst of relevant events, wait after
// the last one, using one timer that every event resets. Chmod-only events
// are ignored (touch, git checkout and backup tools change only metadata).
// An event queue overflow counts as an event: a save may have been lost.
// It returns when ctx is done or events is closed; onErr receives watcher
// errors and the watch carries on.
func debounce(ctx context.Context, events <-chan fsnotify.Event, errs <-chan error,
	relevant func(fsnotify.Event) bool, wait time.Duration, fire func(), onErr func(error)) {
	timer := time.NewTimer(wait)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Op&^fsnotify.Chmod == 0 || !relevant(ev) {
				continue
			}
			timer.Reset(wait)
		case err, ok := <-errs:
			if !ok {
				errs = nil // a nil channel never fires; events decides when to stop
				continue
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				timer.Reset(wait)
			}
			onErr(err)
		case <-timer.C:
			fire()
		}
	}
}

// reloader remembers what was last applied, so an unchanged save is skipped.
// It is used only by the Watch goroutine.
type reloader struct {
	s    *Server
	path string
	// applied is the file content behind the current table, and env the
	// ${VAR} values Parse looked up for it: a save with the same bytes and
	// the same values would build the same table.
	applied []byte
	env     map[string]envValue
}

type envValue struct {
	value string
	set   bool
}

// reload reads, parses and applies the config once, and reports the
// outcome to Options.OnReload.
func (rl *reloader) reload() {
	err := rl.attempt()
	if rl.s.onReload != nil {
		rl.s.onReload(err)
	}
}

func (rl *reloader) attempt() error {
	s := rl.s
	data, err := os.ReadFile(rl.path)
	if err != nil {
		err = fmt.Errorf("reading %s: %w", rl.path, err)
		if errors.Is(err, fs.ErrNotExist) {
			// Often a save in progress (delete then recreate); the next
			// event reloads. Until then the last good table keeps serving.
			s.log.Warn("config file missing; keeping previous", "file", rl.path)
		} else {
			s.log.Warn("config rejected; keeping previous", "err", err)
		}
		s.setConfigErr(err)
		return err
	}
	if rl.applied != nil && bytes.Equal(data, rl.applied) && rl.sameEnv() {
		// Saved without changes, or back to the running config after a
		// rejected save: the table is already right, only the error goes.
		if s.setConfigErr(nil) != nil {
			s.log.Info("config restored to the running version")
		}
		return nil
	}
	seen := map[string]envValue{}
	lookup := func(name string) (string, bool) {
		v, ok := os.LookupEnv(name)
		seen[name] = envValue{v, ok}
		return v, ok
	}
	cfg, err := config.Parse(rl.path, data, lookup)
	if err != nil {
		s.log.Warn("config rejected; keeping previous", "err", err)
		s.setConfigErr(err)
		return err
	}
	s.addWarnings(cfg)
	old := s.table.Load().cfg
	restart := config.KeepRunning(old, cfg)
	if err := s.Apply(cfg); err != nil {
		err = fmt.Errorf("%s: %w", rl.path, err)
		s.log.Warn("config rejected; keeping previous", "err", err)
		s.setConfigErr(err)
		return err
	}
	rl.applied, rl.env = data, seen
	s.setConfigErr(nil)
	d := config.Compare(old, cfg)
	if len(d.Lines) == 0 {
		s.log.Debug("config reloaded; route table unchanged", "routes", len(cfg.Routes))
	} else {
		s.log.Info("config reloaded", "routes", len(cfg.Routes), "changes", d.Lines) // a list: one line each in the console, an array in JSON
	}
	for _, rk := range restart {
		s.log.Warn("restart devproxy to apply", "key", rk.Key, "running", rk.Running, "saved", rk.Saved)
	}
	// Only what this save changed: the warnings of the running config were
	// shown at startup or by an earlier reload.
	for _, w := range newWarnings(old.Warnings, cfg.Warnings) {
		s.log.Warn("config warning", "err", w)
	}
	if d.Retargeted {
		if n := s.upgrades.open(); n > 0 {
			s.log.Info("open WebSockets on removed or retargeted routes keep running until they close", "open_websockets", n)
		}
	}
	return nil
}

// newWarnings returns the warnings in saved that running does not have. A
// warning whose line only moved (a line added above it) is not new.
func newWarnings(running, saved []*config.Error) []*config.Error {
	had := make(map[config.Error]bool, len(running))
	for _, w := range running {
		had[config.Error{Msg: w.Msg, Want: w.Want, Fix: w.Fix}] = true
	}
	var out []*config.Error
	for _, w := range saved {
		if !had[config.Error{Msg: w.Msg, Want: w.Want, Fix: w.Fix}] {
			out = append(out, w)
		}
	}
	return out
}

// sameEnv reports whether every variable the applied config looked up
// still has the value it had then.
func (rl *reloader) sameEnv() bool {
	now := make(map[string]envValue, len(rl.env))
	for name := range rl.env {
		v, ok := os.LookupEnv(name)
		now[name] = envValue{v, ok}
	}
	return maps.Equal(now, rl.env)
}

// setConfigErr records the last rejected config (nil clears it) for the
// status page and returns the previous one.
func (s *Server) setConfigErr(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.configErr
	s.configErr = err
	return prev
}
