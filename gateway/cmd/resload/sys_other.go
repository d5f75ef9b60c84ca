//go:build !unix

package main

import "time"

// raiseFileLimit does nothing where there is no RLIMIT_NOFILE.
func raiseFileLimit(int) error { return nil }

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
