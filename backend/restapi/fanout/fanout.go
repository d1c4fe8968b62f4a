// Package fanout runs a function over many items with bounded parallelism,
// for the REST clients that read one request per scope, job or vertex.
package fanout

import "sync"

// Run calls fn(0..n-1) with at most limit calls at once (at least one),
// and returns when all have returned. Every call runs even after an
// earlier one panicked; the first panic is raised again in the caller's
// goroutine once they are done, where the caller (the REST monitor) can
// recover it: in a goroutine of ours it would end the program.
func Run(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	var pc carried
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			defer pc.catch()
			fn(i)
		})
	}
	wg.Wait()
	pc.rethrow()
}

// carried keeps the first panic of the goroutines Run starts.
type carried struct {
	mu sync.Mutex
	v  any
}

func (c *carried) catch() {
	if r := recover(); r != nil {
		c.mu.Lock()
		if c.v == nil {
			c.v = r
		}
		c.mu.Unlock()
	}
}

func (c *carried) rethrow() {
	if c.v != nil {
		panic(c.v)
	}
}
