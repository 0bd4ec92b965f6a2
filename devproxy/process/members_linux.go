package process

import (
	"bytes"
	"os"
	"strconv"
)

// aloneInGroup reports whether the calling process is the only live
// member of process group pgid; known is false when /proc cannot be read.
func aloneInGroup(pgid int) (alone, known bool) {
	pids, err := groupMembers(pgid)
	if err != nil {
		return false, false
	}
	return len(pids) == 1 && pids[0] == os.Getpid(), true
}

// groupMembers lists the live (not zombie) processes of group pgid, from /proc.
func groupMembers(pgid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone since ReadDir
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and ")".
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 || string(f[0]) == "Z" {
			continue // a zombie waits for its parent, it runs nothing
		}
		if g, _ := strconv.Atoi(string(f[2])); g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
