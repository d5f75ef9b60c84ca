//go:build unix

package gateway

import (
	"errors"
	"syscall"
)

// canWriteOnce tells whether writeOnce works here.
const canWriteOnce = true

// writeOnce makes one write system call of b to rc's socket, which does
// not wait for the socket to take more. It returns how much was written;
// a full socket is not an error.
func writeOnce(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var err error
	if cerr := rc.Write(func(fd uintptr) bool {
		for {
			n, err = syscall.Write(int(fd), b)
			if !errors.Is(err, syscall.EINTR) {
				return true
			}
		}
	}); cerr != nil {
		return 0, cerr
	}
	if errors.Is(err, syscall.EAGAIN) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}
