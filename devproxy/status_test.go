package devproxy

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/process"
	"github.com/devproxy/devproxy/internal/testkit"
)

func TestStatusJSONReportsHealth(t *testing.T) {
	t.Parallel()
	backend := echoBackend(t)
	dead := testkit.FreeAddr(t)
	p := startProxy(t, fmt.Sprintf(`
[frontend]
dev_server = "http://%s"
[routes]
"/api" = %q
`, dead, backend.URL))
	res, err := http.Get(p.URL + "/api/x") // so /api has a last-answered time
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	res, err = http.Get(p.URL + config.ReservedPrefix + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep statusReport
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	byName := map[string]routeStatus{}
	for _, r := range rep.Routes {
		byName[r.Name] = r
	}
	if api := byName["/api"]; !api.Up || api.LastAnswered.IsZero() {
		t.Errorf("/api: up=%v last_answered=%v, want up with a time", api.Up, api.LastAnswered)
	}
	if fe, ok := byName["frontend"]; !ok || fe.Up || fe.DownReason == "" {
		t.Errorf("frontend on a dead port: %+v, want down with a reason", fe)
	}
}

func TestStatusPageAndScriptServed(t *testing.T) {
	t.Parallel()
	p := startProxy(t, "[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n")
	for _, tt := range []struct {
		name, path, ctype string
	}{
		{"page", config.ReservedPrefix + "/", "text/html; charset=utf-8"},
		{"page without slash", config.ReservedPrefix, "text/html; charset=utf-8"},
		{"script", config.ReservedPrefix + "/status.js", "text/javascript; charset=utf-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Get(p.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("GET %s = %d %q, want 200 %q", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.ctype)
			}
		})
	}
}

func TestStatusJSONListsProcesses(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	sv := startReadyAndFailedProcesses(t, "web", addr, "api", "exit 3")

	p := startProxy(t, "[routes]\n\"/api\" = \"http://127.0.0.1:1\"\n")
	p.ShowProcesses(sv)
	res, err := http.Get(p.URL + config.ReservedPrefix + "/status.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rep statusReport
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ps := range rep.Processes {
		got = append(got, fmt.Sprintf("%s %s %s", ps.Name, ps.State, ps.Exit))
	}
	if want := "web ready |api exited exit status 3"; strings.Join(got, "|") != want {
		t.Errorf("processes = %q, want %q", strings.Join(got, "|"), want)
	}
}

// startReadyAndFailedProcesses starts a helper dev server listening on
// addr (ready) and a command that fails at once, and waits for both.
func startReadyAndFailedProcesses(t *testing.T, readyName, addr, failName, failCommand string) *process.Supervisor {
	t.Helper()
	cmd, env := testkit.ListenCommand(t, addr)
	rec := testkit.NewLogRecorder()
	sv, err := process.Start([]config.Process{
		{Name: readyName, Command: cmd, Env: env, Ready: addr},
		{Name: failName, Command: failCommand},
	}, testkit.NewBuffer(), false, slog.New(rec), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	rec.Wait(t, "process ready", 10*time.Second)
	rec.Wait(t, "process exited; devproxy keeps running and will not restart it", 10*time.Second)
	return sv
}
