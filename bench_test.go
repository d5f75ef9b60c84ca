//go:build unix

package res_test

import (
	"context"
	"encoding/json"
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
// on top of NATS; a second one that decodes and encodes JSON as a real
// service must gives the ratio SDK/rawjson.
//
//	go test -run '^$' -bench . -benchtime 2s
//	go test -run '^$' -bench NATSInterleaved -benchtime 20000x -count 5

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
	b.ResetTimer()
	err := run(b.N, inflight, do)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
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

// rawJSONResponder returns a nats.go message handler that does for br
// what any real service must: it decodes the request payload and its
// params with encoding/json, and encodes the reply with json.Marshal.
func rawJSONResponder(b *testing.B, br benchRequest) nats.MsgHandler {
	type request struct {
		CID    string          `json:"cid"`
		Params json.RawMessage `json:"params"`
		Token  json.RawMessage `json:"token"`
	}
	type ref struct {
		RID string `json:"rid"`
	}
	type book struct {
		ID     int    `json:"id"`
		Title  string `json:"title"`
		Author ref    `json:"author"`
	}
	type rate struct {
		Stars int `json:"stars"`
	}
	type access struct {
		Get  bool   `json:"get"`
		Call string `json:"call"`
	}
	respond := func(m *nats.Msg, result any) {
		data, err := json.Marshal(struct {
			Result any `json:"result"`
		}{result})
		if err != nil {
			panic(err)
		}
		_ = m.Respond(data)
	}
	decode := func(m *nats.Msg) (request, bool) {
		var req request
		if len(m.Data) == 0 {
			return req, true
		}
		if err := json.Unmarshal(m.Data, &req); err != nil {
			_ = m.Respond([]byte(`{"error":{"code":"system.internalError","message":"Internal error"}}`))
			return req, false
		}
		return req, true
	}
	switch br.name {
	case "get":
		return func(m *nats.Msg) {
			if _, ok := decode(m); ok {
				respond(m, struct {
					Model book `json:"model"`
				}{book{ID: 42, Title: "Dune", Author: ref{"bench.author.7"}}})
			}
		}
	case "call":
		return func(m *nats.Msg) {
			req, ok := decode(m)
			if !ok {
				return
			}
			var p rate
			if err := json.Unmarshal(req.Params, &p); err != nil {
				_ = m.Respond([]byte(`{"error":{"code":"system.invalidParams","message":"Invalid parameters"}}`))
				return
			}
			respond(m, p)
		}
	case "access":
		return func(m *nats.Msg) {
			if _, ok := decode(m); ok {
				respond(m, access{Get: true, Call: "*"})
			}
		}
	}
	b.Fatalf("no raw JSON responder for %q", br.name)
	return nil
}

// BenchmarkNATS measures requests over an embedded NATS server, for the
// SDK and for two raw nats.go responders, each from one requester
// connection with inflight requests at a time. The "raw" responder replies
// fixed bytes: the most NATS can do. The "rawjson" responder decodes the
// request and encodes its reply with encoding/json, as a real service
// must: SDK/rawjson is the cost of the SDK against a hand-written service.
func BenchmarkNATS(b *testing.B) {
	client := startNATSBench(b)
	forEachNATSCase(func(name string, br benchRequest, spread, inflight int) {
		for _, impl := range benchImpls {
			subjects := benchSubjects(br, impl, spread)
			b.Run(name+"/"+impl, func(b *testing.B) {
				var n atomic.Int64
				drive(b, inflight, func() error {
					return natsRequest(client, br, subjects[int(n.Add(1))%len(subjects)])
				})
			})
		}
	})
}

// BenchmarkNATSInterleaved runs the same requests as BenchmarkNATS, but
// takes turns between the SDK and the raw responders every few hundred
// requests, so that the load of a shared machine, which changes from one
// second to the next, weighs on all three alike. It reports the ratios:
// sdk/raw and sdk/rawjson compare the rates (1 is as fast), and the
// cpu-sdk/raw and cpu-sdk/rawjson metrics compare the CPU time per request
// of the whole process (1 is as cheap). An op is one request to each of
// the three.
func BenchmarkNATSInterleaved(b *testing.B) {
	const turn = 200 // requests per turn
	client := startNATSBench(b)
	forEachNATSCase(func(name string, br benchRequest, spread, inflight int) {
		subjects := make(map[string][]string)
		for _, impl := range benchImpls {
			subjects[impl] = benchSubjects(br, impl, spread)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			elapsed := make(map[string]time.Duration)
			cpu := make(map[string]time.Duration)
			done := make(map[string]int)
			for done["sdk"] < b.N {
				for _, impl := range benchImpls {
					n := min(turn, b.N-done["sdk"])
					subj := subjects[impl]
					var next atomic.Int64
					cpu0, t0 := cpuTime(b), time.Now()
					err := run(n, inflight, func() error {
						return natsRequest(client, br, subj[int(next.Add(1))%len(subj)])
					})
					elapsed[impl] += time.Since(t0)
					cpu[impl] += cpuTime(b) - cpu0
					if err != nil {
						b.Fatal(err)
					}
					done[impl] += n
				}
			}
			perReq := func(m map[string]time.Duration, impl string) float64 {
				return float64(m[impl]) / float64(done[impl])
			}
			b.ReportMetric(perReq(elapsed, "raw")/perReq(elapsed, "sdk"), "sdk/raw")
			b.ReportMetric(perReq(elapsed, "rawjson")/perReq(elapsed, "sdk"), "sdk/rawjson")
			b.ReportMetric(perReq(cpu, "sdk")/perReq(cpu, "raw"), "cpu-sdk/raw")
			b.ReportMetric(perReq(cpu, "sdk")/perReq(cpu, "rawjson"), "cpu-sdk/rawjson")
		})
	})
}

// benchImpls are the responders of the NATS benchmarks, by the service
// name they serve.
var benchImpls = []string{"raw", "rawjson", "sdk"}

// forEachNATSCase calls fn for each case of the NATS benchmarks. "one"
// sends every request for one resource, which the SDK handles on one
// queue; "many" spreads them over 1000 resources, each with a queue of
// its own.
func forEachNATSCase(fn func(name string, br benchRequest, spread, inflight int)) {
	for _, br := range benchRequests {
		for _, spread := range []int{1, 1000} {
			for _, inflight := range []int{1, 32} {
				resources := "one"
				if spread > 1 {
					resources = "many"
				}
				fn(fmt.Sprintf("%s/%s/inflight=%d", br.name, resources, inflight), br, spread, inflight)
			}
		}
	}
}

// benchSubjects returns the subjects of spread resources for br, served by
// impl.
func benchSubjects(br benchRequest, impl string, spread int) []string {
	name := impl
	if impl == "sdk" {
		name = "bench"
	}
	subjects := make([]string, spread)
	for i := range subjects {
		subjects[i] = fmt.Sprintf(br.subject, name, i)
	}
	return subjects
}

// natsRequest sends br on subject and checks the reply.
func natsRequest(client *nats.Conn, br benchRequest, subject string) error {
	m, err := client.Request(subject, br.payload, waitTimeout)
	if err != nil {
		return err
	}
	if string(m.Data) != string(br.reply) {
		return fmt.Errorf("reply %s, want %s", m.Data, br.reply)
	}
	return nil
}

// run makes n calls of do from inflight goroutines, and returns the first
// error.
func run(n, inflight int, do func() error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := do(); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	return nil
}

// startNATSBench starts an embedded NATS server with the benchmark service
// and the raw responders on it, each with a connection of its own, and
// returns a requester connection. Everything stops when b is done.
func startNATSBench(b *testing.B) *nats.Conn {
	b.Helper()
	srv, err := natsembed.Start(natsembed.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)

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
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		<-errc
	})

	// The raw responders reply from their subscription callbacks.
	rawConn, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rawConn.Close)
	for _, br := range benchRequests {
		reply := br.reply
		subject := strings.Replace(fmt.Sprintf(br.subject, "raw", 0), ".0", ".*", 1)
		if _, err := rawConn.QueueSubscribe(subject, "raw", func(m *nats.Msg) {
			_ = m.Respond(reply)
		}); err != nil {
			b.Fatal(err)
		}
		subject = strings.Replace(fmt.Sprintf(br.subject, "rawjson", 0), ".0", ".*", 1)
		if _, err := rawConn.QueueSubscribe(subject, "rawjson", rawJSONResponder(b, br)); err != nil {
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
	b.Cleanup(client.Close)
	return client
}
