// Package res is a toolkit for writing services that serve realtime
// resources over the RES protocol.
//
// A service owns resources (models, which are JSON objects, and
// collections, which are JSON arrays) and answers requests for them over
// NATS. A RES gateway turns those into a REST and WebSocket API for web
// clients, caches the resources, and keeps every client in sync from the
// events the service sends when a resource changes.
//
// # A first service
//
// This service serves one model, example.mymodel, that anyone may read:
//
//	package main
//
//	import (
//		"log"
//
//		"github.com/reskit/res"
//	)
//
//	func main() {
//		s := res.NewService("example")
//		s.Handle("mymodel",
//			res.Access(res.AccessGranted),
//			res.GetModel(func(r res.ModelRequest) {
//				r.Model(map[string]any{"message": "Hello, World!"})
//			}),
//		)
//		log.Fatal(s.ListenAndServe("nats://127.0.0.1:4222"))
//	}
//
// With a gateway on the same NATS server, a browser gets the model at
// /api/example/mymodel, or subscribes to it over WebSocket.
//
// # Handlers and requests
//
// Handle registers the handlers for a pattern with options: Access for
// access requests (what a client may do), GetModel, GetCollection or
// GetResource for get requests, Call and Set for method calls, Auth for
// authentication methods. Each handler gets a narrow view of the request,
// such as ModelRequest or CallRequest, and must reply before it returns,
// with one of the view's reply methods:
//
//	s.Handle("book.$id",
//		res.Access(res.AccessGranted),
//		res.GetModel(func(r res.ModelRequest) {
//			book, ok := books[r.PathParam("id")]
//			if !ok {
//				r.NotFound()
//				return
//			}
//			r.Model(book)
//		}),
//		res.Set(func(r res.CallRequest) {
//			p, err := res.ParseParams[struct{ Title string }](r)
//			if err != nil {
//				return // the client gets system.invalidParams
//			}
//			books[r.PathParam("id")].Title = p.Title
//			r.ChangeEvent(map[string]any{"title": p.Title})
//			r.OK(nil)
//		}),
//	)
//
// A handler that returns without replying makes the client get
// system.internalError, and the service log an error. A handler that
// panics does too, and the service goes on serving; panicking with a
// *Error replies with that error. A second reply is not sent: the reply
// method returns ErrReplied. Reply methods return an error, which handlers
// usually ignore since the service logs failures.
//
// A request for a resource no pattern matches gets system.notFound; a get
// request for a resource with no get handler too; a call or auth request
// for a method with no handler gets system.methodNotFound, unless a "*"
// method handler exists. An access request for a resource with no Access
// handler gets no reply, since another service may answer it.
//
// Each request carries a context (Request.Context), cancelled when the
// service shuts down; WithRequestTimeout gives it a deadline.
//
// # Patterns
//
// A pattern names the resources a handler serves. It is a resource name
// whose dot-separated parts may be placeholders:
//
//	literal   a part as it appears in resource names: "books", "42"
//	$name     a path parameter: matches any one part, whose value the request
//	          gives as PathParam("name"); a name is letters, digits and '_',
//	          and may appear once in a pattern
//	*         matches any one part, without naming it
//	>         matches one or more parts; only as the last part
//
// Patterns are relative to where they are registered. On a Service named
// "library", Handle("book.$id") serves "library.book.42"; a Router mounted
// at "shelf" (Service.Mount, Service.Route) puts "shelf." in front of each
// of its patterns, and its empty pattern is "shelf" itself. Examples of
// what a pattern matches, and what it does not:
//
//	"books"         "books"                  not "books.1", "book"
//	"book.$id"      "book.1", "book.abc"     not "book", "book.1.title"
//	"book.*.title"  "book.1.title"           not "book.1", "book.1.2.title"
//	"book.>"        "book.1", "book.1.title" not "book"
//
// When several patterns match a name, the most specific wins, part by part
// from the left: a literal before a $param, a $param before '*', and '*'
// before '>'. With "book.new", "book.$id" and "book.>" registered,
// "book.new" goes to the first, "book.42" to the second and "book.42.title"
// to the third.
//
// Registering the same pattern twice, two parameter names at the same
// position ("book.$id" and "book.$bookId.title"), a repeated parameter
// ("a.$id.b.$id") or an invalid pattern panics, with a message that names
// the patterns and where they were registered.
//
// # Events
//
// When a resource changes, its service must say how, with events, so that
// gateways update their caches and clients: ChangeEvent for a model,
// AddEvent and RemoveEvent for a collection, CreateEvent and DeleteEvent,
// ReaccessEvent when access changed, or a custom Event. Send the events of
// a change before the reply to the call that made it. Outside a request,
// Service.With gives a Resource on the resource's queue:
//
//	s.With("library.book.42", func(r res.Resource) {
//		r.ChangeEvent(map[string]any{"title": "Dune"})
//	})
//
// Apply hooks (ApplyChange, ApplyAdd, ...) run before the event is sent,
// so that the stored data can be changed in one place; listeners
// (Service.AddListener) run after it.
//
// For query resources (a resource ID with a query, such as
// "library.books?author=Herbert"), reply to get requests with QueryModel
// or QueryCollection and the normalized query, and call QueryEvent when
// the data behind them changed: each gateway then asks, for each query it
// holds, what changed.
//
// # Concurrency
//
// Requests for one resource run one at a time, in the order they arrived,
// each on a worker goroutine: a handler needs no lock for the data of its
// own resource, and its events and replies go out in order. Requests for
// different resources run in parallel, up to WithWorkers at a time.
//
// The unit of ordering is a queue, by default one per resource name (the
// query is left out, so all queries of a resource share it). Group puts
// several resources on one queue, such as a user and its roles with
// Group("user.${id}"), when their handlers share data. Parallel(true) runs
// a resource's requests concurrently instead, for handlers that protect
// their data themselves. Service.With and WithGroup run a function on a
// queue, in turn with the requests. A handler that blocks holds up its
// queue and one worker, not the other queues.
//
// # Testing
//
// Package restest serves a service in memory, with no NATS server, sends
// it requests as a gateway would and asserts its replies and events.
package res
