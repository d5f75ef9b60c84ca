//go:build !linux

package main

import (
	"errors"
	"time"
)

// fanChildSupported tells whether the fan-out clients can run in a child
// process here: they read with epoll, which only Linux has.
const fanChildSupported = false

type fanChildArgs struct {
	url       string
	conns     int
	subscribe bool
	total     int64
	warm      int64
	window    time.Duration
}

type fanChildResult struct {
	Got      int64   `json:"got"`
	OutOfSeq int64   `json:"outOfSeq"`
	Lat      []int64 `json:"lat"`
	Err      string  `json:"err,omitempty"`
}

func fanChild(fanChildArgs) error {
	return errors.New("fan-out child processes need Linux")
}
