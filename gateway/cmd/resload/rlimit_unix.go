//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// raiseFileLimit makes sure the process may open need file descriptors:
// every loopback connection takes two, the client's and the gateway's.
func raiseFileLimit(need int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read file limit: %w", err)
	}
	if lim.Cur >= uint64(need) {
		return nil
	}
	if lim.Max < uint64(need) {
		return fmt.Errorf("file limit %d is below the %d this run needs; raise it (ulimit -n) or use fewer connections", lim.Max, need)
	}
	lim.Cur = uint64(need)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise file limit to %d: %w", need, err)
	}
	return nil
}
