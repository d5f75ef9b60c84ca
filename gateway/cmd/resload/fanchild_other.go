//go:build !linux

package main

import "errors"

// fanChildSupported tells whether the fan-out clients can run in a child
// process here: they read with epoll, which only Linux has.
const fanChildSupported = false

func fanChild(fanChildArgs) error {
	return errors.New("fan-out child processes need Linux")
}
