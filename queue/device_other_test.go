//go:build !linux

package queue

import "time"

// deviceBytes is unknown here.
func deviceBytes(string) int64 { return -1 }

func syncDisks() {}

// twoFlushes is not measured here (no fdatasync).
func twoFlushes(string, int) []time.Duration { return nil }
