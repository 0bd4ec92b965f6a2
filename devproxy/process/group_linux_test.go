package process

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/internal/testkit"
)

// TestProcessGroupHoldsTheCommandAndDevproxy: what ps shows in the group of
// a command devproxy started is the command itself, as the group's leader
// with the pid the status page shows, and devproxy's own binary as its
// watchdog; no shell script.
func TestProcessGroupHoldsTheCommandAndDevproxy(t *testing.T) {
	sv, err := Start([]config.Process{{Name: "api", Command: "sleep 60"}}, testkit.NewBuffer(), false, slog.New(slog.DiscardHandler), watchdog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sv.Stop)
	st := sv.Status()
	if len(st) != 1 || st[0].Command != "sleep 60" {
		t.Fatalf("Status() = %+v", st)
	}
	exe, _ := os.Executable()
	want := map[string]bool{"sleep 60": true, exe + " " + watchdogArg + " " + strconv.Itoa(st[0].PID): true}
	var got []string
	testkit.WaitUntil(t, 10*time.Second, "the group to hold the command and the watchdog", func() bool { // the watchdog may still be starting
		pids, err := groupMembers(st[0].PID)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, pid := range pids {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			got = append(got, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
		return len(got) == 2 && want[got[0]] && want[got[1]] && got[0] != got[1]
	})
	leader, _ := os.ReadFile("/proc/" + strconv.Itoa(st[0].PID) + "/cmdline")
	if string(leader) != "sleep\x0060\x00" {
		t.Errorf("the status page's pid %d runs %q, want the command itself, sleep 60 (group: %q)", st[0].PID, leader, got)
	}
}
