package queue

import "context"

// SetFailHook makes every write transaction of e fail with what f returns
// (nil: no failure), to test what a failed commit leaves behind.
func SetFailHook(e *Engine, f func() error) {
	_ = e.do(context.Background(), true, func(*txn) error { e.failHook = f; return nil })
}
