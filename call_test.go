package res_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/restest"
)

// TestCallReplies covers every reply a call handler can give.
func TestCallReplies(t *testing.T) {
	custom := &res.Error{Code: "test.outOfStock", Message: "Out of stock: {title}", Data: []byte(`{"title":"Dune"}`)}
	tests := []struct {
		name   string
		h      res.CallHandler
		assert func(m *restest.Msg)
	}{
		{"result", func(r res.CallRequest) { _ = r.OK(map[string]any{"n": 1}) }, func(m *restest.Msg) { m.AssertResult(map[string]any{"n": 1}) }},
		{"nil result is null", func(r res.CallRequest) { _ = r.OK(nil) }, func(m *restest.Msg) { m.AssertRawPayload([]byte(`{"result":null}`)) }},
		{"string result", func(r res.CallRequest) { _ = r.OK("done") }, func(m *restest.Msg) { m.AssertResult("done") }},
		{"resource", func(r res.CallRequest) { _ = r.Resource("test.book.2") }, func(m *restest.Msg) { m.AssertResource("test.book.2") }},
		{"resource with query", func(r res.CallRequest) { _ = r.Resource("test.books?q=a") }, func(m *restest.Msg) { m.AssertResource("test.books?q=a") }},
		{"not found", func(r res.CallRequest) { _ = r.NotFound() }, func(m *restest.Msg) { m.AssertError(res.ErrNotFound) }},
		{"method not found", func(r res.CallRequest) { _ = r.MethodNotFound() }, func(m *restest.Msg) { m.AssertError(res.ErrMethodNotFound) }},
		{"invalid params", func(r res.CallRequest) { _ = r.InvalidParams("Missing title") }, func(m *restest.Msg) {
			m.AssertError(&res.Error{Code: res.CodeInvalidParams, Message: "Missing title"})
		}},
		{"invalid params default", func(r res.CallRequest) { _ = r.InvalidParams("") }, func(m *restest.Msg) { m.AssertError(res.ErrInvalidParams) }},
		{"invalid query", func(r res.CallRequest) { _ = r.InvalidQuery("") }, func(m *restest.Msg) { m.AssertError(res.ErrInvalidQuery) }},
		{"custom error", func(r res.CallRequest) { _ = r.Error(custom) }, func(m *restest.Msg) { m.AssertError(custom) }},
		{"wrapped custom error", func(r res.CallRequest) { _ = r.Error(fmt.Errorf("lend: %w", custom)) }, func(m *restest.Msg) { m.AssertError(custom) }},
		{"predefined error", func(r res.CallRequest) { _ = r.Error(res.ErrTimeout) }, func(m *restest.Msg) { m.AssertError(res.ErrTimeout) }},
		{"plain error", func(r res.CallRequest) { _ = r.Error(errors.New("db down")) }, func(m *restest.Msg) {
			m.AssertError(&res.Error{Code: res.CodeInternalError, Message: "Internal error: db down"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, logs := newSession(t, func(s *res.Service) { s.Handle("book.$id", res.Call("do", tt.h)) })
			tt.assert(session.Call("test.book.1", "do", nil).Response())
			session.AssertNoMsg()
			assertNoErrorLogged(t, logs)
		})
	}
}

// TestCallBadReply checks replies that cannot be sent: the client gets
// system.internalError, the method returns an error and the cause is
// logged.
func TestCallBadReply(t *testing.T) {
	tests := []struct {
		name  string
		reply func(r res.CallRequest) error
	}{
		{"invalid resource ID", func(r res.CallRequest) error { return r.Resource("test..book") }},
		{"wildcard resource ID", func(r res.CallRequest) error { return r.Resource("test.>") }},
		{"result does not encode", func(r res.CallRequest) error { return r.OK(func() {}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			session, logs := newSession(t, func(s *res.Service) {
				s.Handle("book", res.Call("do", func(r res.CallRequest) { errc <- tt.reply(r) }))
			})
			session.Call("test.book", "do", nil).Response().AssertErrorCode(res.CodeInternalError)
			if err := <-errc; err == nil {
				t.Error("reply method returned nil, want an error")
			}
			assertLogged(t, logs, "level=ERROR")
		})
	}
}

// TestCallMethods checks which handler serves which method: an exact
// match, then the "*" fallback, else system.methodNotFound.
func TestCallMethods(t *testing.T) {
	reply := func(tag string) res.CallHandler {
		return func(r res.CallRequest) { _ = r.OK(tag + ":" + r.Method()) }
	}
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("a", res.Call("foo", reply("foo")), res.Set(reply("set")), res.Call("*", reply("any")))
		s.Handle("b", res.Call("foo", reply("foo")), model(map[string]any{}))
	})
	tests := []struct {
		rid, method string
		want        string // "" for methodNotFound
	}{
		{"test.a", "foo", "foo:foo"},
		{"test.a", "set", "set:set"},
		{"test.a", "bar", "any:bar"},
		{"test.a", "new", "any:new"},
		{"test.b", "foo", "foo:foo"},
		{"test.b", "bar", ""},
		{"test.b", "set", ""},
	}
	for _, tt := range tests {
		t.Run(tt.rid+"."+tt.method, func(t *testing.T) {
			m := session.Call(tt.rid, tt.method, nil).Response()
			if tt.want == "" {
				m.AssertError(res.ErrMethodNotFound)
				return
			}
			m.AssertResult(tt.want)
		})
	}
	t.Run("no handler", func(t *testing.T) {
		session.Call("test.c", "foo", nil).Response().AssertError(res.ErrNotFound)
	})
}

// TestCallRequestFields checks what a call handler reads from the request:
// CID, raw and parsed params and token, query, isHttp and the resource.
func TestCallRequestFields(t *testing.T) {
	type params struct {
		Title string `json:"title"`
		Count int    `json:"count"`
	}
	type token struct {
		User string `json:"user"`
	}
	type seen struct {
		Method, CID, RawParams, RawToken, Query, Name, ID string
		Params                                            params
		Typed                                             params
		Token                                             token
		TypedToken                                        token
		IsHTTP                                            bool
	}
	tests := []struct {
		name string
		rid  string
		req  *restest.Request
		want seen
	}{
		{"default", "test.book.1", nil, seen{Method: "do", CID: restest.DefaultCID, Name: "test.book.1", ID: "1"}},
		{
			"params and token", "test.book.2",
			&restest.Request{CID: "c9", Params: map[string]any{"title": "Dune", "count": 3}, Token: map[string]any{"user": "jane"}},
			seen{
				Method: "do", CID: "c9", Name: "test.book.2", ID: "2",
				RawParams: `{"count":3,"title":"Dune"}`, RawToken: `{"user":"jane"}`,
				Params: params{"Dune", 3}, Typed: params{"Dune", 3}, Token: token{"jane"}, TypedToken: token{"jane"},
			},
		},
		{"query and http", "test.book.3?lang=en", &restest.Request{CID: "c1", IsHTTP: true},
			seen{Method: "do", CID: "c1", Name: "test.book.3", ID: "3", Query: "lang=en", IsHTTP: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 1)
			session, _ := newSession(t, func(s *res.Service) {
				s.Handle("book.$id", res.Call("do", func(r res.CallRequest) {
					v := seen{
						Method: r.Method(), CID: r.CID(), RawParams: string(r.RawParams()), RawToken: string(r.RawToken()),
						Query: r.Query(), Name: r.ResourceName(), ID: r.PathParam("id"), IsHTTP: r.IsHTTP(),
					}
					if err := r.ParseParams(&v.Params); err != nil {
						t.Errorf("ParseParams: %v", err)
					}
					if err := r.ParseToken(&v.Token); err != nil {
						t.Errorf("ParseToken: %v", err)
					}
					var err error
					if v.Typed, err = res.ParseParams[params](r); err != nil {
						t.Errorf("res.ParseParams: %v", err)
					}
					if v.TypedToken, err = res.ParseToken[token](r); err != nil {
						t.Errorf("res.ParseToken: %v", err)
					}
					got <- v
					_ = r.OK(nil)
				}))
			})
			session.Call(tt.rid, "do", tt.req).Response().AssertResult(nil)
			v := <-got
			// Compare the raw JSON as values: key order is the encoder's.
			if !sameJSON(v.RawParams, tt.want.RawParams) || !sameJSON(v.RawToken, tt.want.RawToken) {
				t.Errorf("raw params, token = %s, %s, want %s, %s", v.RawParams, v.RawToken, tt.want.RawParams, tt.want.RawToken)
			}
			v.RawParams, v.RawToken = tt.want.RawParams, tt.want.RawToken
			if v != tt.want {
				t.Errorf("call request = %+v, want %+v", v, tt.want)
			}
		})
	}
}

// sameJSON reports whether a and b are the same JSON value; two empty
// strings are the same too.
func sameJSON(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestCallNullParams checks that "params":null and "token":null, which a
// gateway sends when there are none, parse as absent.
func TestCallNullParams(t *testing.T) {
	got := make(chan string, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.Call("do", func(r res.CallRequest) {
			p := map[string]any{"kept": true}
			tok := map[string]any{"kept": true}
			err1, err2 := r.ParseParams(&p), r.ParseToken(&tok)
			got <- fmt.Sprint(p, tok, err1, err2)
			_ = r.OK(nil)
		}))
	})
	session.Request("call.test.x.do", []byte(`{"cid":"c1","params":null,"token":null}`)).Response().AssertResult(nil)
	if s := <-got; s != "map[kept:true] map[kept:true] <nil> <nil>" {
		t.Errorf("after parsing null params and token: %s", s)
	}
}

func TestCallTimeout(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"seconds", 15 * time.Second, `timeout:"15000"`},
		{"milliseconds", 1500 * time.Millisecond, `timeout:"1500"`},
		{"zero", 0, `timeout:"0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session, _ := newSession(t, func(s *res.Service) {
				s.Handle("x", res.Call("do", func(r res.CallRequest) {
					_ = r.Timeout(tt.d)
					_ = r.OK(nil)
				}))
			})
			req := session.Call("test.x", "do", nil)
			req.Response().AssertRawPayload([]byte(tt.want))
			req.Response().AssertResult(nil)
		})
	}
	t.Run("negative", func(t *testing.T) {
		errc := make(chan error, 1)
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Call("do", func(r res.CallRequest) {
				errc <- r.Timeout(-time.Second)
				_ = r.OK(nil)
			}))
		})
		session.Call("test.x", "do", nil).Response().AssertResult(nil)
		if err := <-errc; err == nil {
			t.Error("Timeout(-1s) = nil, want an error")
		}
	})
	t.Run("after reply", func(t *testing.T) {
		errc := make(chan error, 1)
		session, _ := newSession(t, func(s *res.Service) {
			s.Handle("x", res.Call("do", func(r res.CallRequest) {
				_ = r.OK(nil)
				errc <- r.Timeout(time.Second)
			}))
		})
		session.Call("test.x", "do", nil).Response().AssertResult(nil)
		if err := <-errc; !errors.Is(err, res.ErrReplied) {
			t.Errorf("Timeout after reply = %v, want ErrReplied", err)
		}
		session.AssertNoMsg()
	})
}

// TestRequestTimeoutOption checks WithRequestTimeout: the handler's
// context has a deadline, and a pre-response covers a timeout longer than
// a gateway's default.
func TestRequestTimeoutOption(t *testing.T) {
	hasDeadline := make(chan bool, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.Call("do", func(r res.CallRequest) {
			_, ok := r.Context().Deadline()
			hasDeadline <- ok
			_ = r.OK(nil)
		}))
	}, res.WithRequestTimeout(10*time.Second))
	req := session.Call("test.x", "do", nil)
	req.Response().AssertPreResponse(10 * time.Second)
	req.Response().AssertResult(nil)
	if !<-hasDeadline {
		t.Error("request context has no deadline")
	}
}

// TestParseWithoutParams checks the typed parse functions when the request
// has no params or token: the zero value and no error.
func TestParseWithoutParams(t *testing.T) {
	type params struct{ N int }
	got := make(chan string, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.Call("do", func(r res.CallRequest) {
			p, err1 := res.ParseParams[params](r)
			tok, err2 := res.ParseToken[*params](r)
			got <- fmt.Sprint(p, tok, err1, err2)
			_ = r.OK(nil)
		}))
	})
	session.Call("test.x", "do", nil).Response().AssertResult(nil)
	if s := <-got; s != "{0} <nil> <nil> <nil>" {
		t.Errorf("parsed without params and token: %s", s)
	}
}
