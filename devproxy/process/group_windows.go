//go:build windows

package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows a command's process tree is held by a job object, the
// counterpart of a unix process group: every process the command starts
// (cmd.exe → npm → node → esbuild) is in it, and TerminateJobObject ends
// them all. Nothing of this runs in CI (which is Linux): it is compiled and
// vetted for windows/amd64 and arm64 there, and README says so.

// groupSignal is what Stop asks of a command's job.
type groupSignal int

const (
	sigTerm groupSignal = iota + 1 // CTRL_BREAK_EVENT to the command's console process group
	sigKill                        // TerminateJobObject: every process in the job, at once
)

// jobs maps each started command (*exec.Cmd) to its job object
// (windows.Handle). The handles stay open while devproxy runs: each job has
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so when devproxy exits in any way —
// returning, crashing, killed from Task Manager — Windows closes the handle
// and kills what is left in the job. It is the watchdog (watchdog.go) of
// unix.
var jobs sync.Map

// setProcessGroup starts the command in a new console process group, so a
// Ctrl-C in devproxy's console reaches devproxy alone (Windows disables
// Ctrl-C in a new group) and Stop can send Ctrl-Break to this group only;
// and suspended, so it runs no instruction before joinGroup has put it in
// its job: nothing it starts can escape.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_SUSPENDED
}

// joinGroup puts the started, still suspended command in a new job object
// that kills everything in it when its last handle closes, then lets the
// command run. On failure the command is killed (the caller still Waits).
func joinGroup(cmd *exec.Cmd) error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("creating a job object: %w", err)
	}
	limits := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	limits.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	_, err = windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&limits)), uint32(unsafe.Sizeof(limits)))
	if err == nil {
		// The handle os/exec got from CreateProcess has every access right,
		// PROCESS_SET_QUOTA and PROCESS_TERMINATE included.
		herr := cmd.Process.WithHandle(func(h uintptr) {
			err = windows.AssignProcessToJobObject(job, windows.Handle(h))
		})
		err = errors.Join(herr, err)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = windows.CloseHandle(job)
		return fmt.Errorf("putting the command in a job object: %w", err)
	}
	jobs.Store(cmd, job)
	if err := resumeProcess(uint32(cmd.Process.Pid)); err != nil {
		_ = windows.TerminateJobObject(job, 1)
		return fmt.Errorf("resuming the command: %w", err)
	}
	return nil
}

// resumeProcess resumes the threads of a process created suspended (its
// main thread: os/exec closes the thread handle CreateProcess returned, so
// the thread is found by listing the system's threads).
func resumeProcess(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(snap)
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	resumed := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, oerr := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if oerr != nil {
			return oerr
		}
		_, rerr := windows.ResumeThread(th)
		windows.CloseHandle(th)
		if rerr != nil {
			return rerr
		}
		resumed++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return err
	}
	if resumed == 0 {
		return fmt.Errorf("no thread of process %d found", pid)
	}
	return nil
}

// shellCommand runs command with cmd.exe (%ComSpec%), which every Windows
// has. The command line is given verbatim: os/exec's quoting follows the C
// runtime's rules, which cmd.exe does not.
func shellCommand(command string) *exec.Cmd {
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		comspec = "cmd.exe"
	}
	cmd := exec.Command(comspec)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: cmdShellLine(command)}
	return cmd
}

// startWatchdog starts nothing: the job's kill-on-close is the watchdog
// (see jobs).
func startWatchdog([]string, int) (*os.File, error) { return nil, nil }

// Watchdog does nothing here: no watchdog is ever started.
func Watchdog([]string) int { return 2 }

// signalGroup asks the command's tree to stop (sigTerm) or ends it
// (sigKill). sigTerm is a Ctrl-Break, not a Ctrl-C (disabled in a new
// group), to the processes of the group that share devproxy's console:
// node, npm and the dev servers on it exit. When devproxy has no console
// (started by an IDE or a service) there is nothing to be graceful with,
// and the job is ended at once.
func signalGroup(cmd *exec.Cmd, pid int, sig groupSignal) {
	if sig == sigTerm && windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(pid)) == nil {
		return
	}
	if job, ok := jobs.Load(cmd); ok {
		_ = windows.TerminateJobObject(job.(windows.Handle), 1)
		return
	}
	_ = cmd.Process.Kill()
}

// jobAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, which
// golang.org/x/sys/windows does not define (v0.49.0).
type jobAccounting struct {
	TotalUserTime             int64
	TotalKernelTime           int64
	ThisPeriodTotalUserTime   int64
	ThisPeriodTotalKernelTime int64
	TotalPageFaultCount       uint32
	TotalProcesses            uint32
	ActiveProcesses           uint32
	TotalTerminatedProcesses  uint32
}

// groupAlive reports whether any process of the command's job still runs.
func groupAlive(cmd *exec.Cmd, _ int) bool {
	job, ok := jobs.Load(cmd)
	if !ok {
		return false
	}
	var info jobAccounting
	err := windows.QueryInformationJobObject(job.(windows.Handle), windows.JobObjectBasicAccountingInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	return err == nil && info.ActiveProcesses > 0
}
