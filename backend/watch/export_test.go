package watch

// SetFaultHook makes f run first in every goroutine and callback w starts
// or hands to client-go, with the name of the site (see
// Watcher.faultHook). Call it before Start.
func (w *Watcher) SetFaultHook(f func(site string)) { w.faultHook = f }
