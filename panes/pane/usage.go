package pane

import (
	"fmt"
	"strconv"

	"github.com/streamops/streamops/backend/logs"
	"github.com/streamops/streamops/backend/usage"
)

// NearLimit is the fraction of its limit from which a container's CPU or
// memory is marked "▲ near limit" (memory there is an OOM kill away).
const NearLimit = 0.90

// Usage texts are what the members, restarts and scale panes write of a
// usage report: the same figures in the same words everywhere.

// MemoryText is a memory use against the limit, "mem 1.4/2.0Gi 70%", or
// against the request without a limit, "mem 1.4Gi 140% of req 1.0Gi";
// near says the limit is close (NearLimit).
func MemoryText(used, request, limit int64) (text string, near bool) {
	switch {
	case limit > 0:
		f := float64(used) / float64(limit)
		return fmt.Sprintf("mem %s %s", PairBytes(used, limit), Percent(f)), f >= NearLimit
	case request > 0:
		return fmt.Sprintf("mem %s %s of req %s", Bytes(used), Percent(float64(used)/float64(request)), Bytes(request)), false
	}
	return "mem " + Bytes(used), false
}

// CPUText is a CPU use against the limit, "cpu 120/500m 24%", or against
// the request without one, "cpu 120m 48% of req 250m".
func CPUText(used, request, limit int64) (text string, near bool) {
	switch {
	case limit > 0:
		f := float64(used) / float64(limit)
		return fmt.Sprintf("cpu %s %s", PairCPU(used, limit), Percent(f)), f >= NearLimit
	case request > 0:
		return fmt.Sprintf("cpu %s %s of req %s", CPU(used), Percent(float64(used)/float64(request)), CPU(request)), false
	}
	return "cpu " + CPU(used), false
}

// Percent writes a fraction as a whole percentage, "70%".
func Percent(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }

// byteUnits are the binary units, largest first.
var byteUnits = []struct {
	size int64
	name string
}{{1 << 40, "Ti"}, {1 << 30, "Gi"}, {1 << 20, "Mi"}, {1 << 10, "Ki"}}

// Bytes writes a size in binary units with one decimal below 10:
// "1.4Gi", "512Mi", "12Gi".
func Bytes(n int64) string {
	for _, u := range byteUnits {
		if n >= u.size {
			return scaled(n, u.size) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// PairBytes writes used/of in the unit of of: "1.4/2.0Gi", "300/512Mi".
func PairBytes(used, of int64) string {
	for _, u := range byteUnits {
		if of >= u.size {
			return scaled(used, u.size) + "/" + scaled(of, u.size) + u.name
		}
	}
	return Bytes(used) + "/" + Bytes(of)
}

func scaled(n, unit int64) string {
	v := float64(n) / float64(unit)
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// CPU writes millicores: "250m", "1.5", "4" (cores).
func CPU(milli int64) string {
	switch {
	case milli < 1000:
		return strconv.FormatInt(milli, 10) + "m"
	case milli%1000 == 0:
		return strconv.FormatInt(milli/1000, 10)
	}
	return strconv.FormatFloat(float64(milli)/1000, 'f', 1, 64)
}

// PairCPU writes used/of millicores in the unit of of: "120/500m", "1.2/4".
func PairCPU(used, of int64) string {
	if of < 1000 {
		return strconv.FormatInt(used, 10) + "/" + strconv.FormatInt(of, 10) + "m"
	}
	return strconv.FormatFloat(float64(used)/1000, 'f', 1, 64) + "/" + strconv.FormatFloat(float64(of)/1000, 'f', -1, 64)
}

// UsageUnknown is the one line shown where a figure of src would be when
// src has none to give: "usage: metrics API not served". Empty when src
// was read.
func UsageUnknown(what string, src usage.Source) string {
	switch src.State {
	case usage.OK:
		return ""
	case usage.Idle:
		return what + ": not read yet"
	case usage.Absent:
		return what + ": metrics API not served"
	case usage.Forbidden:
		return what + ": forbidden"
	case usage.Off:
		return what + ": not read (no client)"
	}
	// the reason names what failed and why, in the API server's words
	return string(logs.Sanitize(nil, []byte(src.Reason), 300))
}
