package devproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/fsnotify/fsnotify"
)

const (
	// reloadWait bounds every wait for a reload; generous for a loaded -race run.
	reloadWait = 5 * time.Second
	// quietWait is how long no further reload may arrive after the expected
	// one: many debounce periods, so a second burst would have fired.
	quietWait = 10 * reloadDebounce
	// configSize pads every test config to one length, so a write in place
	// (no truncation) replaces the whole file.
	configSize = 512
)

// reloadHarness is a real Server serving on loopback with its config in a
// temp file being watched, and two backends named "A" and "B" that answer
// "<name> <X-Gen header>".
type reloadHarness struct {
	t       testing.TB
	path    string
	srv     *Server
	base    string // http://127.0.0.1:port
	client  *http.Client
	reloads chan error
	backend map[string]string // name → URL
}

func startReloadHarness(t testing.TB, initial func(h *reloadHarness) string) *reloadHarness {
	t.Helper()
	return startReloadHarnessDebounced(t, reloadDebounce, initial)
}

// startReloadHarnessDebounced is startReloadHarness with the Server's
// debounce set to d.
func startReloadHarnessDebounced(t testing.TB, d time.Duration, initial func(h *reloadHarness) string) *reloadHarness {
	t.Helper()
	h := &reloadHarness{t: t, reloads: make(chan error, 16), backend: map[string]string{}}
	for _, name := range []string{"A", "B"} {
		be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", name, r.Header.Get("X-Gen"))
		}))
		t.Cleanup(be.Close)
		h.backend[name] = be.URL
	}
	h.path = filepath.Join(t.TempDir(), config.DefaultFile)
	h.writeFile(initial(h))
	cfg, err := config.Load(h.path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.srv, err = New(Options{
		Config: cfg, Assets: os.DirFS("../static"), Logger: slog.New(slog.DiscardHandler),
		OnReload: func(err error) {
			select {
			case h.reloads <- err:
			case <-ctx.Done():
			}
		},
	})
	if err != nil {
		cancel()
		t.Fatalf("New: %v", err)
	}
	h.srv.debounce = d
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h.base = "http://" + ln.Addr().String()
	h.client = &http.Client{Timeout: reloadWait, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	served, watched := make(chan error, 1), make(chan error, 1)
	go func() { served <- h.srv.Serve(ctx, ln) }()      // exits when ctx is done
	go func() { watched <- h.srv.Watch(ctx, h.path) }() // exits when ctx is done
	t.Cleanup(func() {
		cancel()
		for _, c := range []chan error{served, watched} {
			if err := <-c; err != nil {
				t.Errorf("after shutdown: %v", err)
			}
		}
		h.client.CloseIdleConnections()
	})
	// Watch makes one attempt once the watch is in place: after it, every
	// save is seen.
	if err := h.waitReload(); err != nil {
		t.Fatalf("initial reload: %v", err)
	}
	return h
}

// routeConfig is a config sending /api to the named backend with an X-Gen
// header, padded to configSize.
func (h *reloadHarness) routeConfig(name, gen string) string {
	return padConfig(h.routeText(name, gen))
}

func (h *reloadHarness) routeText(name, gen string) string {
	return fmt.Sprintf("[routes.\"/api\"]\ntarget = %q\nheaders = { \"X-Gen\" = %q }\n", h.backend[name], gen)
}

func padConfig(s string) string {
	return s + "#" + strings.Repeat(" ", configSize-len(s)-2) + "\n"
}

func (h *reloadHarness) writeFile(content string) {
	h.t.Helper()
	if err := os.WriteFile(h.path, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// waitReload returns the outcome of the next reload attempt.
func (h *reloadHarness) waitReload() error {
	h.t.Helper()
	select {
	case err := <-h.reloads:
		return err
	case <-time.After(reloadWait):
		h.t.Fatalf("no reload within %v", reloadWait)
		return nil
	}
}

// expectQuiet fails if another reload attempt happens within quietWait.
func (h *reloadHarness) expectQuiet() {
	h.t.Helper()
	select {
	case err := <-h.reloads:
		h.t.Fatalf("unexpected extra reload (err %v): want exactly one per save", err)
	case <-time.After(quietWait):
	}
}

// get returns the body devproxy answers for path.
func (h *reloadHarness) get(path string) (string, error) {
	res, err := h.client.Get(h.base + path)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d: %.200s", path, res.StatusCode, body)
	}
	return string(body), nil
}

func (h *reloadHarness) expectAPI(want string) {
	h.t.Helper()
	got, err := h.get("/api/x")
	if err != nil {
		h.t.Fatal(err)
	}
	if got != want {
		h.t.Fatalf("GET /api/x = %q, want %q", got, want)
	}
}

func (h *reloadHarness) status() statusReport {
	h.t.Helper()
	body, err := h.get(config.ReservedPrefix + "/status.json")
	if err != nil {
		h.t.Fatal(err)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		h.t.Fatalf("status.json: %v", err)
	}
	return rep
}

// The ways editors and tools save a file.
func saveInPlace(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func saveTruncateWrite(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	half := len(content) / 2
	for _, step := range []func() error{
		func() error { return f.Truncate(0) },
		func() error { _, err := f.WriteAt([]byte(content[:half]), 0); return err },
		func() error { _, err := f.WriteAt([]byte(content[half:]), int64(half)); return err },
	} {
		if err := step(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func saveRenameOver(path, content string) error {
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func saveDeleteRecreate(path, content string) error {
	if err := os.Remove(path); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func TestReloadOncePerSave(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		save func(path, content string) error
	}{
		{"write in place", saveInPlace},
		{"truncate then write", saveTruncateWrite},
		{"temp file renamed over", saveRenameOver},
		{"delete and recreate", saveDeleteRecreate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startReloadHarness(t, func(h *reloadHarness) string { return h.routeConfig("A", "1") })
			h.expectAPI("A 1")
			for i, name := range []string{"B", "A"} { // twice: the watch survives the first save
				gen := fmt.Sprint(i + 2)
				if err := tt.save(h.path, h.routeConfig(name, gen)); err != nil {
					t.Fatal(err)
				}
				if err := h.waitReload(); err != nil {
					t.Fatalf("reload after save %d: %v", i+1, err)
				}
				h.expectQuiet()
				h.expectAPI(name + " " + gen)
			}
		})
	}
}

func TestReloadRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	h := startReloadHarness(t, func(h *reloadHarness) string { return h.routeConfig("A", "1") })
	good := h.routeConfig("A", "1")

	bad := fmt.Sprintf("[routes.\"/api\"]\ntarget = %q\n  taget = %q\n", h.backend["B"], h.backend["B"])
	if err := saveRenameOver(h.path, bad); err != nil {
		t.Fatal(err)
	}
	err := h.waitReload()
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("reload error = %v, want a config.Error", err)
	}
	if ce.File != h.path || ce.Line != 3 || ce.Col != 3 {
		t.Errorf("error at %s:%d:%d, want %s:3:3", ce.File, ce.Line, ce.Col, h.path)
	}
	h.expectAPI("A 1")
	rep := h.status()
	wantPos := fmt.Sprintf("%s:3:3: unknown key", h.path)
	if !strings.Contains(rep.ConfigError, wantPos) {
		t.Errorf("status config_error = %q, want it to contain %q", rep.ConfigError, wantPos)
	}

	// Reverting to the running config clears the error without a rebuild.
	if err := saveRenameOver(h.path, good); err != nil {
		t.Fatal(err)
	}
	if err := h.waitReload(); err != nil {
		t.Fatalf("reload after revert: %v", err)
	}
	if rep := h.status(); rep.ConfigError != "" {
		t.Errorf("status config_error after revert = %q, want empty", rep.ConfigError)
	}

	// A syntax error, then a valid new config.
	if err := saveRenameOver(h.path, "[routes]\n\"/api\" = http://localhost:1\n"); err != nil {
		t.Fatal(err)
	}
	if err := h.waitReload(); !errors.As(err, &ce) || ce.Line != 2 || ce.Col != 10 {
		t.Fatalf("reload error = %v, want a config.Error at 2:10", err)
	}
	h.expectAPI("A 1")
	if rep := h.status(); !strings.Contains(rep.ConfigError, h.path+":2:10: invalid TOML") {
		t.Errorf("status config_error = %q, want it to contain %s:2:10: invalid TOML", rep.ConfigError, h.path)
	}
	if err := saveRenameOver(h.path, h.routeConfig("B", "2")); err != nil {
		t.Fatal(err)
	}
	if err := h.waitReload(); err != nil {
		t.Fatalf("reload after fix: %v", err)
	}
	h.expectAPI("B 2")
	if rep := h.status(); rep.ConfigError != "" {
		t.Errorf("status config_error after a valid save = %q, want empty", rep.ConfigError)
	}
}

func TestReloadSurvivesRemovedConfig(t *testing.T) {
	t.Parallel()
	h := startReloadHarness(t, func(h *reloadHarness) string { return h.routeConfig("A", "1") })
	if err := os.Remove(h.path); err != nil {
		t.Fatal(err)
	}
	if err := h.waitReload(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reload after remove = %v, want a not-exist error", err)
	}
	h.expectAPI("A 1")
	if rep := h.status(); !strings.Contains(rep.ConfigError, h.path) {
		t.Errorf("status config_error = %q, want it to name the missing %s", rep.ConfigError, h.path)
	}
	h.writeFile(h.routeConfig("B", "2"))
	if err := h.waitReload(); err != nil {
		t.Fatalf("reload after recreate: %v", err)
	}
	h.expectAPI("B 2")
	if rep := h.status(); rep.ConfigError != "" {
		t.Errorf("status config_error = %q, want empty", rep.ConfigError)
	}
}

func TestReloadReexpandsEnv(t *testing.T) {
	t.Setenv("DEVPROXY_TEST_GEN", "one")
	h := startReloadHarness(t, func(h *reloadHarness) string { return h.routeConfig("A", "${DEVPROXY_TEST_GEN}") })
	h.expectAPI("A one")
	// Same bytes, new environment: the save is not skipped.
	t.Setenv("DEVPROXY_TEST_GEN", "two")
	if err := saveInPlace(h.path, h.routeConfig("A", "${DEVPROXY_TEST_GEN}")); err != nil {
		t.Fatal(err)
	}
	if err := h.waitReload(); err != nil {
		t.Fatal(err)
	}
	h.expectAPI("A two")
}

func TestReloadKeepsListenAddress(t *testing.T) {
	t.Parallel()
	h := startReloadHarness(t, func(h *reloadHarness) string { return h.routeConfig("A", "1") })
	running := h.srv.Config().Listen
	if err := saveRenameOver(h.path, padConfig("listen = \"localhost:1\"\n"+h.routeText("B", "2"))); err != nil {
		t.Fatal(err)
	}
	if err := h.waitReload(); err != nil {
		t.Fatal(err)
	}
	h.expectAPI("B 2")
	if got := h.srv.Config().Listen; got != running {
		t.Errorf("Config().Listen after reload = %q, want the running %q (restart needed)", got, running)
	}
}

// TestReloadUnderLoad rewrites the config 200 times while clients send
// requests: none may fail, and each must be answered by one whole table
// (the backend's name matches the X-Gen header the same table set). The
// debounce is shortened to 5 ms: the test is about swapping tables under
// load, 200 times, not about waiting 200 debounce periods (a rename is one
// event, so one reload per save still holds; TestReloadOncePerSave checks
// the real debounce).
func TestReloadUnderLoad(t *testing.T) {
	t.Parallel()
	const (
		saves   = 200
		clients = 4
		maxReqs = 100_000 // per client; a bound in case stop is never closed
	)
	h := startReloadHarnessDebounced(t, 5*time.Millisecond, func(h *reloadHarness) string { return h.routeConfig("A", "A") })
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		mu       sync.Mutex
		failures []string
	)
	for range clients {
		wg.Go(func() {
			for range maxReqs {
				select {
				case <-stop:
					return
				default:
				}
				body, err := h.get("/api/load")
				requests.Add(1)
				if err == nil && body != "A A" && body != "B B" {
					err = fmt.Errorf("body %q: want \"A A\" or \"B B\"", body)
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
				}
			}
		})
	}
	for i := range saves {
		name := []string{"B", "A"}[i%2]
		if err := saveRenameOver(h.path, h.routeConfig(name, name)); err != nil {
			t.Fatal(err)
		}
		if err := h.waitReload(); err != nil {
			t.Fatalf("save %d: %v", i+1, err)
		}
		h.expectAPI(name + " " + name)
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed during %d reloads; first: %s", len(failures), requests.Load(), saves, failures[0])
	}
	if requests.Load() < saves {
		t.Errorf("only %d requests ran during %d reloads; the load did not overlap the saves", requests.Load(), saves)
	}
}

// BenchmarkReloadLatency measures from the rename that saves the config to
// the first request answered by the new table (polling as fast as a
// request takes). It includes reloadDebounce; ns-beyond-debounce/op does not.
func BenchmarkReloadLatency(b *testing.B) {
	h := startReloadHarness(b, func(h *reloadHarness) string { return h.routeConfig("A", "0") })
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		name, gen := []string{"B", "A"}[i%2], fmt.Sprint(i+1)
		want := name + " " + gen
		cfg := h.routeConfig(name, gen)
		start := time.Now()
		if err := saveRenameOver(h.path, cfg); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(reloadWait)
		for {
			got, err := h.get("/api/bench")
			if err != nil {
				b.Fatal(err)
			}
			if got == want {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("still %q after %v, want %q", got, reloadWait, want)
			}
		}
		total += time.Since(start)
		b.StopTimer()
		if err := h.waitReload(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64((total-time.Duration(b.N)*reloadDebounce).Nanoseconds())/float64(b.N), "ns-beyond-debounce/op")
}

// TestDebounce drives the debounce loop with synthetic events on a fake
// clock, so bursts and quiet periods are exact.
func TestDebounce(t *testing.T) {
	t.Parallel()
	const cfg = "/p/devproxy.toml"
	ev := func(name string, op fsnotify.Op) fsnotify.Event { return fsnotify.Event{Name: name, Op: op} }
	type step struct {
		ev    fsnotify.Event
		after time.Duration // fake time to let pass after sending ev
	}
	tests := []struct {
		name  string
		steps []step
		fires int32
	}{
		{"one write", []step{{ev(cfg, fsnotify.Write), 0}}, 1},
		{"truncate and writes in one burst", []step{
			{ev(cfg, fsnotify.Write), 5 * time.Millisecond},
			{ev(cfg, fsnotify.Write), 5 * time.Millisecond},
			{ev(cfg, fsnotify.Write), 0},
		}, 1},
		{"rename over: temp events, then create", []step{
			{ev("/p/devproxy.toml.tmp~", fsnotify.Create), time.Millisecond},
			{ev("/p/devproxy.toml.tmp~", fsnotify.Write), time.Millisecond},
			{ev("/p/devproxy.toml.tmp~", fsnotify.Rename), 0},
			{ev(cfg, fsnotify.Create), 0},
		}, 1},
		{"delete and recreate", []step{
			{ev(cfg, fsnotify.Remove), 2 * time.Millisecond},
			{ev(cfg, fsnotify.Create), 0},
			{ev(cfg, fsnotify.Write), 0},
		}, 1},
		{"burst longer than the debounce", []step{
			{ev(cfg, fsnotify.Write), reloadDebounce - time.Millisecond},
			{ev(cfg, fsnotify.Write), reloadDebounce - time.Millisecond},
			{ev(cfg, fsnotify.Write), 0},
		}, 1},
		{"two saves apart", []step{
			{ev(cfg, fsnotify.Write), reloadDebounce + time.Millisecond},
			{ev(cfg, fsnotify.Write), 0},
		}, 2},
		{"chmod only", []step{{ev(cfg, fsnotify.Chmod), 0}}, 0},
		{"write with chmod", []step{{ev(cfg, fsnotify.Write|fsnotify.Chmod), 0}}, 1},
		{"another file", []step{{ev("/p/other.toml", fsnotify.Write), 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				events := make(chan fsnotify.Event)
				var fires atomic.Int32 // atomic: synctest.Wait is not a happens-before edge for the race detector
				done := make(chan struct{})
				go func() { // exits when events is closed
					defer close(done)
					debounce(t.Context(), events, nil, func(e fsnotify.Event) bool { return e.Name == cfg },
						reloadDebounce, func() { fires.Add(1) }, func(err error) { t.Errorf("onErr(%v)", err) })
				}()
				for i, s := range tt.steps {
					events <- s.ev
					time.Sleep(s.after) // fake time inside the bubble
					synctest.Wait()
					if i < len(tt.steps)-1 && fires.Load() != 0 && tt.fires == 1 {
						t.Fatalf("fired after step %d, before the burst ended", i)
					}
				}
				time.Sleep(reloadDebounce - time.Nanosecond)
				synctest.Wait()
				if got, want := fires.Load(), max(tt.fires-1, 0); got != want {
					t.Errorf("fires just before the debounce elapsed = %d, want %d", got, want)
				}
				time.Sleep(time.Nanosecond)
				synctest.Wait()
				if got := fires.Load(); got != tt.fires {
					t.Errorf("fires = %d, want %d", got, tt.fires)
				}
				time.Sleep(time.Hour)
				synctest.Wait()
				if got := fires.Load(); got != tt.fires {
					t.Errorf("fires after an hour = %d, want %d", got, tt.fires)
				}
				close(events)
				<-done
			})
		})
	}
}

// TestDebounceOverflowAndStop: an event queue overflow triggers a reload
// (a save may have been lost) and cancelling ctx ends the loop.
func TestDebounceOverflowAndStop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		errs := make(chan error)
		var fires, reported atomic.Int32
		done := make(chan struct{})
		go func() { // exits when ctx is done
			defer close(done)
			debounce(ctx, nil, errs, func(fsnotify.Event) bool { return true },
				reloadDebounce, func() { fires.Add(1) }, func(error) { reported.Add(1) })
		}()
		errs <- fsnotify.ErrEventOverflow
		errs <- errors.New("some watch error")
		time.Sleep(reloadDebounce)
		synctest.Wait()
		if got := fires.Load(); got != 1 {
			t.Errorf("fires after overflow = %d, want 1", got)
		}
		if got := reported.Load(); got != 2 {
			t.Errorf("reported errors = %d, want 2", got)
		}
		cancel()
		<-done
	})
}
