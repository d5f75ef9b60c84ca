package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestFanReaderFrames feeds the frames of several events to a fanReader
// cut at every possible place, and checks that it counts each event once,
// in order, with its latency.
func TestFanReaderFrames(t *testing.T) {
	var stream []byte
	const events = 5
	for seq := 1; seq <= events; seq++ {
		msg := fmt.Sprintf(`{"event":"bench.fan.change","data":{"values":{"seq":%d,"t":%d}}}`, seq, 1000*seq)
		if seq == 3 {
			// A message of more than 125 bytes has a 16-bit length.
			msg = fmt.Sprintf(`{"event":"bench.fan.change","data":{"values":{"seq":%d,"t":%d,"pad":%q}}}`, seq, 1000*seq, strings.Repeat("x", 200))
		}
		stream = appendFrameHeader(stream, len(msg))
		stream = append(stream, msg...)
		if seq == 2 {
			stream = append(stream, 0x89, 0) // a ping, which is skipped
		}
	}
	for cut := range len(stream) + 1 {
		r := &fanReader{}
		var res fanChildResult
		const now = 10_000
		for _, part := range [][]byte{stream[:cut], stream[cut:]} {
			if err := r.frames(append([]byte{}, part...), now, 1, &res); err != nil {
				t.Fatalf("cut at %d: %v", cut, err)
			}
		}
		if res.Got != events || r.got != events || res.OutOfSeq != 0 || len(r.pending) != 0 {
			t.Fatalf("cut at %d: got %d (reader %d), %d out of sequence, %d bytes pending; want %d, 0, 0",
				cut, res.Got, r.got, res.OutOfSeq, len(r.pending), events)
		}
		// The first event is the warm-up, not timed.
		want := []int64{now - 2000, now - 3000, now - 4000, now - 5000}
		if fmt.Sprint(res.Lat) != fmt.Sprint(want) {
			t.Fatalf("cut at %d: latencies %v, want %v", cut, res.Lat, want)
		}
	}
}

// TestFanReaderRejects checks that what a fan-out client cannot take for
// an event is an error.
func TestFanReaderRejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"masked frame":    {0x81, 0x82, 1, 2, 3, 4, 'h', 'i'},
		"fragment":        {0x01, 2, 'h', 'i'},
		"close frame":     {0x88, 2, 0x03, 0xe8},
		"not an event":    textFrame(`{"id":1234}`),
		"event without t": textFrame(`{"event":"x.y","data":{"values":{"seq":1}}}`),
		"binary frame":    {0x82, 1, 0},
		"huge frame":      {0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 0},
	} {
		r := &fanReader{}
		var res fanChildResult
		if err := r.frames(data, 0, 0, &res); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func textFrame(msg string) []byte {
	return append(appendFrameHeader(nil, len(msg)), msg...)
}
