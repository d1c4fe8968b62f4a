package logs

// SetFaultHook makes f run first in every goroutine e starts, with the
// name of the site (see Engine.faultHook). Call it before Run.
func (e *Engine) SetFaultHook(f func(site string)) { e.faultHook = f }
