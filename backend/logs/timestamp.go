package logs

import "time"

// splitTimestamp cuts the RFC3339 timestamp the kubelet puts before every
// line when timestamps are requested ("2026-11-24T09:00:00.123456789Z msg")
// and returns it as Unix nanoseconds with the rest of the line. It does not
// allocate; ok is false when the line does not start with a timestamp.
func splitTimestamp(line []byte) (ts int64, rest []byte, ok bool) {
	// shortest form: 2006-01-02T15:04:05Z
	if len(line) < 20 || line[4] != '-' || line[7] != '-' || line[10] != 'T' || line[13] != ':' || line[16] != ':' {
		return 0, line, false
	}
	year, ok1 := digits(line[0:4])
	month, ok2 := digits(line[5:7])
	day, ok3 := digits(line[8:10])
	hour, ok4 := digits(line[11:13])
	minute, ok5 := digits(line[14:16])
	sec, ok6 := digits(line[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, line, false
	}
	i := 19
	nsec := 0
	if i < len(line) && line[i] == '.' {
		i++
		scale := 100_000_000
		for i < len(line) && line[i] >= '0' && line[i] <= '9' {
			nsec += int(line[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if i >= len(line) {
		return 0, line, false
	}
	offset := 0
	switch line[i] {
	case 'Z':
		i++
	case '+', '-':
		if i+6 > len(line) || line[i+3] != ':' {
			return 0, line, false
		}
		oh, okh := digits(line[i+1 : i+3])
		om, okm := digits(line[i+4 : i+6])
		if !okh || !okm {
			return 0, line, false
		}
		offset = (oh*60 + om) * 60
		if line[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, line, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).UnixNano() - int64(offset)*int64(time.Second)
	if i < len(line) && line[i] == ' ' {
		i++
	} else if i < len(line) {
		return 0, line, false
	}
	return t, line[i:], true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
