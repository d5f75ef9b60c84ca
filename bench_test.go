//go:build unix

package res_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res"
	"github.com/reskit/res/internal/natsembed"
	"github.com/reskit/res/restest"
)

// The benchmarks measure requests handled per second: get, call and
// access, through restest's in-memory connection and through an embedded
// NATS server. Over NATS, a plain nats.go responder that replies the same
// bytes runs in the same benchmark as a baseline, with the same number of
// requests in flight, so that the ratio SDK/raw shows what the SDK costs
// on top of NATS.
//
//	go test -run '^$' -bench . -benchtime 2s

// benchRequest is one kind of request, with the reply the SDK sends for
// it, which the raw responder sends too.
type benchRequest struct {
	name    string
	subject string // format of the subject: service name, book ID
	payload []byte
	reply   []byte
}

var benchRequests = []benchRequest{
	{"get", "get.%s.book.%d", nil, []byte(`{"result":{"model":{"id":42,"title":"Dune","author":{"rid":"bench.author.7"}}}}`)},
	{"call", "call.%s.book.%d.rate", []byte(`{"cid":"c1","params":{"stars":5},"token":null}`), []byte(`{"result":{"stars":5}}`)},
	{"access", "access.%s.book.%d", []byte(`{"cid":"c1","token":{"user":"jane"}}`), []byte(`{"result":{"get":true,"call":"*"}}`)},
}

// benchService serves the resources of benchRequests.
func benchService() *res.Service {
	type book struct {
		ID     int     `json:"id"`
		Title  string  `json:"title"`
		Author res.Ref `json:"author"`
	}
	s := res.NewService("bench", res.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	s.Handle("book.$id",
		res.Access(res.AccessGranted),
		res.GetModel(func(r res.ModelRequest) {
			_ = r.Model(book{ID: 42, Title: "Dune", Author: "bench.author.7"})
		}),
		res.Call("rate", func(r res.CallRequest) {
			var p struct {
				Stars int `json:"stars"`
			}
			if err := r.ParseParams(&p); err != nil {
				_ = r.Error(err)
				return
			}
			_ = r.OK(p)
		}),
	)
	return s
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drive runs b.N calls of do, from inflight goroutines, and reports the
// rate, and the CPU time used per request by the whole process: requester,
// responder and, over NATS, the server. On a busy machine CPU time per
// request is steadier than the rate.
func drive(b *testing.B, inflight int, do func() error) {
	b.Helper()
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := do(); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkMock measures the SDK alone: requests sent through restest's
// in-memory connection, with no network.
func BenchmarkMock(b *testing.B) {
	session := restest.NewSession(b, benchService())
	conn := session.Conn()
	for _, br := range benchRequests {
		subject := fmt.Sprintf(br.subject, "bench", 42)
		for _, inflight := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/inflight=%d", br.name, inflight), func(b *testing.B) {
				drive(b, inflight, func() error {
					ch := conn.Request(subject, br.payload)
					select {
					case m := <-ch:
						if len(m.Payload) == 0 || m.Payload[2] != 'r' { // {"result"
							return fmt.Errorf("reply %s", m.Payload)
						}
						return nil
					case <-time.After(waitTimeout):
						return errors.New("no reply")
					}
				})
			})
		}
	}
}

// BenchmarkNATS measures requests over an embedded NATS server, for the
// SDK and for a raw nats.go responder, each from one requester connection
// with inflight requests at a time.
func BenchmarkNATS(b *testing.B) {
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()

	s := benchService()
	errc := make(chan error, 1)
	watch, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	resets, _ := watch.SubscribeSync("system.reset")
	_ = watch.Flush()
	go func() { errc <- s.ListenAndServe(srv.URL()) }()
	if _, err := resets.NextMsg(waitTimeout); err != nil {
		b.Fatalf("service not serving: %v", err)
	}
	watch.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		<-errc
	}()

	// The raw responder has its own connection, as the service has, and
	// replies from its subscription callback.
	rawConn, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer rawConn.Close()
	for _, br := range benchRequests {
		reply := br.reply
		subject := strings.Replace(fmt.Sprintf(br.subject, "raw", 0), ".0", ".*", 1)
		if _, err := rawConn.QueueSubscribe(subject, "raw", func(m *nats.Msg) {
			_ = m.Respond(reply)
		}); err != nil {
			b.Fatal(err)
		}
	}
	if err := rawConn.Flush(); err != nil {
		b.Fatal(err)
	}

	client, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()

	// "one" sends every request for one resource, which the SDK handles
	// on one queue; "many" spreads them over 1000 resources, each with a
	// queue of its own.
	for _, br := range benchRequests {
		for _, spread := range []int{1, 1000} {
			for _, inflight := range []int{1, 32} {
				for _, impl := range []string{"raw", "sdk"} {
					name := "bench"
					if impl == "raw" {
						name = "raw"
					}
					subjects := make([]string, spread)
					for i := range subjects {
						subjects[i] = fmt.Sprintf(br.subject, name, i)
					}
					resources := "one"
					if spread > 1 {
						resources = "many"
					}
					b.Run(fmt.Sprintf("%s/%s/inflight=%d/%s", br.name, resources, inflight, impl), func(b *testing.B) {
						var n atomic.Int64
						drive(b, inflight, func() error {
							subject := subjects[int(n.Add(1))%len(subjects)]
							m, err := client.Request(subject, br.payload, waitTimeout)
							if err != nil {
								return err
							}
							if string(m.Data) != string(br.reply) {
								return fmt.Errorf("reply %s, want %s", m.Data, br.reply)
							}
							return nil
						})
					})
				}
			}
		}
	}
}
