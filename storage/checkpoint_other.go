//go:build !linux

package storage

// yieldToTheWriter is a no-op where threads have no priority of their own
// that Go can set.
func yieldToTheWriter() error { return nil }
