package pane

// sparkBlocks are the eight heights of a sparkline's cells.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// SparkRune is the block for v on a scale from lo to hi (the middle one
// when the scale is empty, lo == hi).
func SparkRune(v, lo, hi float64) rune {
	if hi <= lo {
		return sparkBlocks[len(sparkBlocks)/2-1]
	}
	i := int((v - lo) / (hi - lo) * float64(len(sparkBlocks)-1))
	return sparkBlocks[min(max(i, 0), len(sparkBlocks)-1)]
}

// Spark draws the newest width values as a line of blocks, one cell
// each, the lowest of them ▁ and the highest █.
func Spark(values []float64, width int) string {
	if width <= 0 || len(values) == 0 {
		return ""
	}
	values = values[max(len(values)-width, 0):]
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	out := make([]rune, len(values))
	for i, v := range values {
		out[i] = SparkRune(v, lo, hi)
	}
	return string(out)
}
