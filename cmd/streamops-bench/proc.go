package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat (USER_HZ, 100
// on Linux whatever the kernel's HZ).
const userHZ = 100

// procRSS reads VmRSS, RssAnon and RssFile of process pid, in bytes.
func procRSS(pid int) (total, anon, file uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read RSS: %w", err)
	}
	return parseStatusRSS(b)
}

// parseStatusRSS reads VmRSS, RssAnon and RssFile (in kB) from the text
// of /proc/PID/status.
func parseStatusRSS(b []byte) (total, anon, file uint64, err error) {
	fields := map[string]*uint64{"VmRSS:": &total, "RssAnon:": &anon, "RssFile:": &file}
	found := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		name, v, _ := strings.Cut(line, "\t")
		if dst := fields[name]; dst != nil {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, 0, 0, fmt.Errorf("read RSS: %q: %w", line, err)
			}
			*dst = kb << 10
			found++
		}
	}
	if found != len(fields) {
		return 0, 0, 0, errors.New("read RSS: VmRSS, RssAnon or RssFile missing in /proc/PID/status")
	}
	return total, anon, file, nil
}

// procCPU is the user plus system CPU time process pid has used, all its
// threads together.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime (fields 14 and 15, in USER_HZ ticks)
// from the text of /proc/PID/stat. The command name (field 2) is in
// parentheses and may hold spaces and parentheses, so the fields are
// counted from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("read CPU time: no command name in /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime is field 14, f[11].
	if len(f) < 13 {
		return 0, errors.New("read CPU time: /proc/PID/stat is too short")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("read CPU time: bad tick count %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}
