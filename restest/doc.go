// Package restest tests RES services written with package res, as
// net/http/httptest tests HTTP handlers: in memory, with no NATS server
// and no gateway.
//
// A Session serves the service under test over a MockConn. The test sends
// requests as a gateway would and asserts the replies, then reads the
// events the service published, in order:
//
//	func TestSetTitle(t *testing.T) {
//		s := res.NewService("library")
//		s.Handle("book.1",
//			res.GetModel(func(r res.ModelRequest) { _ = r.Model(book) }),
//			res.Set(func(r res.CallRequest) {
//				_ = r.ChangeEvent(map[string]any{"title": "Dune"})
//				_ = r.OK(nil)
//			}),
//		)
//		session := restest.NewSession(t, s)
//
//		session.Call("library.book.1", "set", nil).Response().AssertResult(nil)
//		session.GetMsg().AssertChangeEvent("library.book.1", map[string]any{"title": "Dune"})
//		session.AssertNoMsg()
//	}
//
// Replies go to the request that asked (NATSRequest.Response); every other
// message (events, system and connection events) is read with
// Session.GetMsg in the order it was published. Session.AssertNoMsg checks
// that nothing else was published, without sleeping: it first waits until
// the service has handled everything sent to it (Session.Flush).
//
// Assertions fail the test with t.Fatal, showing the expected and the
// actual JSON. Waits fail after DefaultTimeout. To see the service's logs
// with the failures, create it with res.WithLogger(restest.NewLogger(t)).
package restest
