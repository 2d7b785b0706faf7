package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// cpuSnapshot is CPU time (clock ticks) per process that is not this
// benchmark or one of its children (node, python, chromium).
type cpuSnapshot map[int]procCPU

type procCPU struct {
	name  string
	ticks int64
}

func readStat(pid int) (ppid int, name string, ticks int64, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", 0, false
	}
	s := string(b)
	l, r := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if l < 0 || r < l {
		return 0, "", 0, false
	}
	f := strings.Fields(s[r+1:]) // state ppid ... utime(12) stime(13)
	if len(f) < 13 {
		return 0, "", 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ppid, s[l+1 : r], ut + st, true
}

// ownMarkers: a process whose command line contains one of these is the
// benchmark's too (Chromium's processes carry the profile directory the
// harness gave them). ownChromiumSince: a Chromium process started after
// this many clock ticks since boot is the harness's browser as well. Every
// browser run was flagged for one that had exited unreaped: parent 1, no
// command line, its lifetime's CPU still in /proc. A bench machine runs no
// other Chromium.
var (
	ownMarkers       []string
	ownChromiumSince int64 = -1
)

func ownProcess(pid int, name string, start int64) bool {
	if ownChromiumSince >= 0 && start >= ownChromiumSince && strings.HasPrefix(name, "chrom") {
		return true
	}
	if len(ownMarkers) == 0 {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	for _, m := range ownMarkers {
		if strings.Contains(string(b), m) {
			return true
		}
	}
	return false
}

// startTicks is when the process started, in clock ticks since boot.
func startTicks(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return -1
	}
	t, _ := strconv.ParseInt(f[19], 10, 64) // starttime, field 22
	return t
}

func othersCPU() cpuSnapshot {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	snap := cpuSnapshot{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, name, t, ok := readStat(pid)
		if !ok {
			continue
		}
		parent[pid] = ppid
		snap[pid] = procCPU{name, t}
	}
	for pid := range snap {
		for p, n := pid, 0; p > 1 && n < 64; p, n = parent[p], n+1 {
			if p == me {
				delete(snap, pid)
				break
			}
		}
		if p, ok := snap[pid]; ok && ownProcess(pid, p.name, startTicks(pid)) {
			delete(snap, pid)
		}
	}
	return snap
}

// busyDuring names the processes outside the benchmark that used more
// than 2 % of one core between two snapshots taken secs apart.
func busyDuring(a, b cpuSnapshot, secs float64) string {
	type use struct {
		name string
		frac float64
	}
	var us []use
	var total float64
	for pid, pb := range b {
		d := pb.ticks - a[pid].ticks // a process born during the run counts from 0
		f := float64(d) / 100 / secs // USER_HZ = 100
		total += f
		if f > 0.02 {
			us = append(us, use{fmt.Sprintf("%s[%d]", pb.name, pid), f})
		}
	}
	if total < 0.1 {
		return ""
	}
	sort.Slice(us, func(i, j int) bool { return us[i].frac > us[j].frac })
	var parts []string
	for i, u := range us {
		if i == 5 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", u.name, 100*u.frac))
	}
	return fmt.Sprintf("other processes used %.2f cores on average (%s)", total, strings.Join(parts, ", "))
}
