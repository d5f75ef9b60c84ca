// Package gateway is a RES gateway: it serves clients that speak the
// RES-Client protocol over WebSocket with resources from services that speak
// the RES-Service protocol over NATS, as Resgate does (RES protocol 1.2.3).
//
// A gateway caches each resource once for all its clients, keeps the cache
// up to date with the events services send, follows resource references,
// checks each client's access with the services and forwards to every
// client the events of the resources it subscribes to.
//
//	g, err := gateway.New(gateway.Config{NATSURL: "nats://127.0.0.1:4222", Port: 8080})
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := g.Start(); err != nil {
//		log.Fatal(err)
//	}
//	defer g.Stop(context.Background())
//
// To serve the gateway from your own HTTP server, set Config.NoHTTP, call
// Start to connect to NATS, and mount Handler.
//
// Under Config.APIPath, the same resources are served as REST: GET
// /api/library/books gets library.books through the shared cache, as JSON
// with its references nested (Config.APIEncoding), and POST
// /api/library/books/add calls method add with the body as params. An
// HTTP request is handled on its own goroutine, which waits for the
// services' replies.
//
// # Concurrency
//
// NATS messages, events and request replies alike, are handled by one
// dispatcher goroutine in the order NATS delivers them, so the events of a
// resource and the replies about it are applied in the order the service
// sent them (package internal/mq). The cache (package cache) guards the
// resources of one resource name with one mutex and applies each event once.
//
// Each client connection keeps one goroutine, the reader of its
// WebSocket. Its state (subscriptions, access, token) belongs to a worker
// that runs the connection's work one function at a time (requests,
// replies, events) on a goroutine that exists only while there is work;
// when the connection is idle, the reader or the NATS dispatcher runs it
// in place. Outgoing messages wait in a bounded queue. A pool of
// goroutines shared by all connections, one per CPU, writes them with
// system calls that do not block; what a socket does not take at once,
// and pings, go to a writer goroutine of the connection's own, with a
// write deadline. A client whose queue fills up, or whose write times
// out, is disconnected, so a client that does not read cannot delay the
// others.
package gateway
