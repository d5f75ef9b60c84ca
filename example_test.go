package res_test

import (
	"context"
	"fmt"
	"log"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// serveForExample serves s over an in-memory connection, as a test would,
// and prints the reply to each request.
func serveForExample(s *res.Service, subjects ...string) {
	conn := restest.NewMockConn()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// In production: s.ListenAndServe("nats://127.0.0.1:4222")
		_ = s.Serve(conn)
	}()
	// The service sends a system.reset once it serves.
	if _, err := conn.WaitMsg(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, subj := range subjects {
		reply := <-conn.Request(subj, []byte(`{"cid":"c1","params":{"title":"Emma"}}`))
		fmt.Printf("%s: %s\n", subj, reply.Payload)
	}
	_ = s.Shutdown(context.Background())
	<-done
	conn.Close()
}

func ExampleNewService() {
	s := res.NewService("example")
	s.Handle("mymodel",
		res.Access(res.AccessGranted),
		res.GetModel(func(r res.ModelRequest) {
			_ = r.Model(map[string]any{"message": "Hello, World!"})
		}),
	)

	serveForExample(s, "access.example.mymodel", "get.example.mymodel")
	// Output:
	// access.example.mymodel: {"result":{"get":true,"call":"*"}}
	// get.example.mymodel: {"result":{"model":{"message":"Hello, World!"}}}
}

func ExampleService_Handle() {
	type book struct {
		Title string `json:"title"`
	}
	books := map[string]*book{"1": {Title: "Dune"}}

	s := res.NewService("library")
	s.Handle("book.$id",
		res.GetModel(func(r res.ModelRequest) {
			b, ok := books[r.PathParam("id")]
			if !ok {
				_ = r.NotFound()
				return
			}
			_ = r.Model(b)
		}),
		res.Set(func(r res.CallRequest) {
			p, err := res.ParseParams[book](r)
			if err != nil {
				return // the client gets system.invalidParams
			}
			b, ok := books[r.PathParam("id")]
			if !ok {
				_ = r.NotFound()
				return
			}
			if p.Title != b.Title {
				b.Title = p.Title
				_ = r.ChangeEvent(map[string]any{"title": p.Title})
			}
			_ = r.OK(nil)
		}),
	)
	s.Handle("books", res.GetCollection(func(r res.CollectionRequest) {
		_ = r.Collection([]res.Ref{"library.book.1"})
	}))

	serveForExample(s,
		"get.library.books",
		"get.library.book.1",
		"get.library.book.2",
		"call.library.book.1.set",
		"get.library.book.1",
		"call.library.book.1.delete",
	)
	// Output:
	// get.library.books: {"result":{"collection":[{"rid":"library.book.1"}]}}
	// get.library.book.1: {"result":{"model":{"title":"Dune"}}}
	// get.library.book.2: {"error":{"code":"system.notFound","message":"Not found"}}
	// call.library.book.1.set: {"result":null}
	// get.library.book.1: {"result":{"model":{"title":"Emma"}}}
	// call.library.book.1.delete: {"error":{"code":"system.methodNotFound","message":"Method not found"}}
}

func ExampleService_Route() {
	s := res.NewService("library")
	s.Route("shelf.$shelf", func(r *res.Router) {
		r.Handle("book.$id", res.GetModel(func(r res.ModelRequest) {
			_ = r.Model(r.PathParams())
		}))
	})

	serveForExample(s, "get.library.shelf.a.book.1")
	// Output:
	// get.library.shelf.a.book.1: {"result":{"model":{"id":"1","shelf":"a"}}}
}

func ExampleService_With() {
	s := res.NewService("example")
	s.Handle("counter", res.GetModel(func(r res.ModelRequest) {
		_ = r.Model(map[string]int{"count": 0})
	}))
	conn := restest.NewMockConn()
	go func() { _ = s.Serve(conn) }() // in production: s.ListenAndServe(url)
	reset, _ := conn.WaitMsg(context.Background())
	fmt.Printf("%s: %s\n", reset.Subject, reset.Payload)

	// A change made outside a request is sent from the resource's queue,
	// in turn with its requests, so that changes and events stay in order.
	count := 0
	err := s.With("example.counter", func(r res.Resource) {
		count++
		_ = r.ChangeEvent(map[string]any{"count": count})
	})
	if err != nil {
		log.Fatal(err)
	}
	event, _ := conn.WaitMsg(context.Background())
	fmt.Printf("%s: %s\n", event.Subject, event.Payload)

	_ = s.Shutdown(context.Background())
	conn.Close()
	// Output:
	// system.reset: {"resources":["example.>"]}
	// event.example.counter.change: {"values":{"count":1}}
}

// TestExamples keeps the examples' helper honest when run with -run.
func TestExamples(t *testing.T) {
	s := res.NewService("x")
	s.Handle("m", res.GetModel(func(r res.ModelRequest) { _ = r.Model(map[string]int{}) }))
	serveForExample(s)
}
