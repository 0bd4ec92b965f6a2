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

// jobs maps each started command (*exec.Cmd) to its job (*jobObject). A
// job's handle stays open until its process group is done: every process
// in it has exited (groupAlive saw none left) or Stop ended them all
// (signalGroup with sigKill); then the handle is closed and the entry
// dropped. Until then each job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so
// when devproxy exits in any way — returning, crashing, killed from Task
// Manager — Windows closes the handle and kills what is left in the job.
// It is the watchdog (watchdog.go) of unix. The handle is not closed when
// the command itself exits (Wait): what it started in the background
// lives on until Stop, as in a unix process group.
var jobs sync.Map

// jobObject is a job object's handle, closed at most once and never while
// in use.
type jobObject struct {
	mu     sync.Mutex
	h      windows.Handle
	closed bool
}

// use calls f with the handle, unless it is closed; it reports whether f
// was called.
func (j *jobObject) use(f func(windows.Handle)) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return false
	}
	f(j.h)
	return true
}

// releaseJob closes the command's job handle and forgets it. Whatever is
// still in the job is killed (kill-on-close): callers release a job only
// once it is empty or has been terminated.
func releaseJob(cmd *exec.Cmd) {
	v, ok := jobs.LoadAndDelete(cmd)
	if !ok {
		return
	}
	j := v.(*jobObject)
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.closed {
		j.closed = true
		_ = windows.CloseHandle(j.h)
	}
}

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
	if err := resumeProcess(uint32(cmd.Process.Pid)); err != nil {
		// Never stored: the caller does not keep a command it could not
		// start, so nothing would close the handle later.
		_ = windows.TerminateJobObject(job, 1)
		_ = windows.CloseHandle(job)
		return fmt.Errorf("resuming the command: %w", err)
	}
	// Stored only now: nothing looks a command's job up before joinGroup
	// has returned (Stop knows only the commands start returned).
	jobs.Store(cmd, &jobObject{h: job})
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
	if v, ok := jobs.Load(cmd); ok && v.(*jobObject).use(func(h windows.Handle) { _ = windows.TerminateJobObject(h, 1) }) {
		releaseJob(cmd) // the group is done: every process in it is ended
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
// A job seen empty is released (releaseJob): no process is left in it to
// start another, so it stays empty.
func groupAlive(cmd *exec.Cmd, _ int) bool {
	v, ok := jobs.Load(cmd)
	if !ok {
		return false
	}
	var info jobAccounting
	var err error
	if !v.(*jobObject).use(func(h windows.Handle) {
		err = windows.QueryInformationJobObject(h, windows.JobObjectBasicAccountingInformation,
			uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	}) {
		return false
	}
	if err != nil {
		return false // as before: the handle stays, and kill-on-close ends what is left when devproxy exits
	}
	if info.ActiveProcesses == 0 {
		releaseJob(cmd)
		return false
	}
	return true
}
