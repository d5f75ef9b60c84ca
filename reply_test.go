package res_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/reskit/res"
	"github.com/reskit/res/resprot"
	"github.com/reskit/res/restest"
)

// TestReplyBytes checks that each reply is, byte for byte, the response
// that encoding/json gives for resprot.Response, with HTML escaping off:
// the service writes the envelope around the encoded value itself.
func TestReplyBytes(t *testing.T) {
	odd := "q\"uote\\ <b>&amp; \u2028 \x01 café"
	model := map[string]any{"name": odd, "ref": res.Ref("test.a"), "soft": res.SoftRef("test.b"), "n": 1.5}
	collection := []any{odd, res.Ref("test.a"), nil, true}
	custom := &res.Error{Code: "test.odd", Message: odd, Data: json.RawMessage(`{ "a" : [1, 2] }`)}
	get := func(s *restest.Session) *restest.Msg { return s.Get("test.x").Response() }
	getQuery := func(s *restest.Session) *restest.Msg { return s.Get("test.x?b=2&a=1").Response() }
	call := func(s *restest.Session) *restest.Msg { return s.Call("test.x", "do", nil).Response() }
	access := func(s *restest.Session) *restest.Msg { return s.Access("test.x", nil).Response() }
	httpCall := func(s *restest.Session) *restest.Msg {
		return s.Call("test.x", "do", &restest.Request{CID: restest.DefaultCID, IsHTTP: true}).Response()
	}
	tests := []struct {
		name string
		opt  res.Option
		send func(*restest.Session) *restest.Msg
		want resprot.Response
	}{
		{"model", res.GetModel(func(r res.ModelRequest) { _ = r.Model(model) }), get,
			resprot.Response{Result: encode(t, resprot.GetResult{Model: encode(t, model)})}},
		{"query model", res.GetModel(func(r res.ModelRequest) { _ = r.QueryModel(model, "a=1&b=<2>") }), getQuery,
			resprot.Response{Result: encode(t, resprot.GetResult{Model: encode(t, model), Query: "a=1&b=<2>"})}},
		{"collection", res.GetCollection(func(r res.CollectionRequest) { _ = r.Collection(collection) }), get,
			resprot.Response{Result: encode(t, resprot.GetResult{Collection: encode(t, collection)})}},
		{"query collection", res.GetCollection(func(r res.CollectionRequest) { _ = r.QueryCollection(collection, odd) }), getQuery,
			resprot.Response{Result: encode(t, resprot.GetResult{Collection: encode(t, collection), Query: odd})}},
		{"call result", res.Call("do", func(r res.CallRequest) { _ = r.OK(model) }), call,
			resprot.Response{Result: encode(t, model)}},
		{"call nil result", res.Call("do", func(r res.CallRequest) { _ = r.OK(nil) }), call,
			resprot.Response{Result: json.RawMessage("null")}},
		{"call resource", res.Call("do", func(r res.CallRequest) { _ = r.Resource("test.new.1") }), call,
			resprot.Response{Resource: &resprot.ResourceRef{RID: "test.new.1"}}},
		{"access granted", res.Access(res.AccessGranted), access,
			resprot.Response{Result: encode(t, resprot.AccessResult{Get: true, Call: "*"})}},
		{"access get only", res.Access(func(r res.AccessRequest) { _ = r.Access(true, "") }), access,
			resprot.Response{Result: encode(t, resprot.AccessResult{Get: true})}},
		{"access call only", res.Access(func(r res.AccessRequest) { _ = r.Access(false, "set,foo") }), access,
			resprot.Response{Result: encode(t, resprot.AccessResult{Call: "set,foo"})}},
		{"access odd call list", res.Access(func(r res.AccessRequest) { _ = r.Access(true, odd) }), access,
			resprot.Response{Result: encode(t, resprot.AccessResult{Get: true, Call: odd})}},
		{"access denied", res.Access(res.AccessDenied), access,
			resprot.Response{Error: res.ErrAccessDenied}},
		{"not found", res.GetModel(func(r res.ModelRequest) { _ = r.NotFound() }), get,
			resprot.Response{Error: res.ErrNotFound}},
		{"custom error with data", res.Call("do", func(r res.CallRequest) { _ = r.Error(custom) }), call,
			resprot.Response{Error: custom}},
		{"meta with result", res.Call("do", func(r res.CallRequest) {
			_ = r.SetResponseStatus(302)
			r.ResponseHeader().Set("Location", "/a?b=1&c=<2>")
			r.ResponseHeader().Add("Set-Cookie", "x=1")
			_ = r.OK(odd)
		}), httpCall, resprot.Response{
			Result: encode(t, odd),
			Meta:   &resprot.Meta{Status: 302, Header: http.Header{"Location": {"/a?b=1&c=<2>"}, "Set-Cookie": {"x=1"}}},
		}},
		{"meta with error", res.Call("do", func(r res.CallRequest) {
			_ = r.SetResponseStatus(401)
			_ = r.Error(custom)
		}), httpCall, resprot.Response{Error: custom, Meta: &resprot.Meta{Status: 401}}},
		{"meta with resource", res.Call("do", func(r res.CallRequest) {
			r.ResponseHeader().Set("X-A", "1")
			_ = r.Resource("test.y")
		}), httpCall, resprot.Response{Resource: &resprot.ResourceRef{RID: "test.y"}, Meta: &resprot.Meta{Header: http.Header{"X-A": {"1"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := res.NewService("test", res.WithLogger(restest.NewLogger(t)))
			s.Handle("x", tt.opt)
			m := tt.send(restest.NewSession(t, s))
			if want := encode(t, tt.want); !bytes.Equal(m.Payload, want) {
				t.Errorf("reply\n got: %s\nwant: %s", m.Payload, want)
			}
		})
	}
}

// encode encodes v as encoding/json does with HTML escaping off.
func encode(t testing.TB, v any) json.RawMessage {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("Encode(%#v): %v", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestReplyErrorBadData checks that an error whose data is not JSON, a
// programming error, gets the client a system.internalError rather than
// no reply.
func TestReplyErrorBadData(t *testing.T) {
	s := res.NewService("test", res.WithLogger(restest.NewLogger(t)))
	errc := make(chan error, 1)
	s.Handle("x", res.Call("do", func(r res.CallRequest) {
		errc <- r.Error(&res.Error{Code: "test.bad", Message: "Bad", Data: json.RawMessage(`{not json`)})
	}))
	session := restest.NewSession(t, s)
	session.Call("test.x", "do", nil).Response().AssertErrorCode(res.CodeInternalError)
	if err := <-errc; err == nil {
		t.Error("Error with data that is not JSON = nil, want an error")
	}
}
