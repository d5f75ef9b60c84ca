//go:build !unix

package gateway

import (
	"errors"
	"syscall"
)

// canWriteOnce tells whether writeOnce works here: connections write
// from goroutines of their own.
const canWriteOnce = false

func writeOnce(syscall.RawConn, []byte) (int, error) { return 0, errors.ErrUnsupported }
