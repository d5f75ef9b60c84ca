package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/resprot"
)

func TestHTTPGetEncoding(t *testing.T) {
	notFound := `{"code":"system.notFound","message":"Not found"}`
	tests := []struct {
		name string
		root json.RawMessage           // get result of test.a
		refs map[string]func(*Request) // responders of the references' get requests
		json string
		flat string
	}{
		{
			name: "model with primitives",
			root: model(`{"s":"x","n":1.5,"b":true,"z":null}`),
			json: `{"s":"x","n":1.5,"b":true,"z":null}`,
			flat: `{"s":"x","n":1.5,"b":true,"z":null}`,
		},
		{
			name: "collection",
			root: collection(`["x",1,false,null]`),
			json: `["x",1,false,null]`,
			flat: `["x",1,false,null]`,
		},
		{
			name: "empty model",
			root: model(`{}`),
			json: `{}`,
			flat: `{}`,
		},
		{
			name: "referenced model",
			root: model(`{"b":{"rid":"test.b"}}`),
			refs: map[string]func(*Request){"get.test.b": result(model(`{"x":1}`))},
			json: `{"b":{"href":"/api/test/b","model":{"x":1}}}`,
			flat: `{"b":{"x":1}}`,
		},
		{
			name: "referenced collection",
			root: model(`{"c":{"rid":"test.c"}}`),
			refs: map[string]func(*Request){"get.test.c": result(collection(`[1,2]`))},
			json: `{"c":{"href":"/api/test/c","collection":[1,2]}}`,
			flat: `{"c":[1,2]}`,
		},
		{
			name: "reference that fails",
			root: collection(`[{"rid":"test.b"}]`),
			refs: map[string]func(*Request){"get.test.b": errorReply(resprot.ErrNotFound)},
			json: `[{"href":"/api/test/b","error":` + notFound + `}]`,
			flat: `[` + notFound + `]`,
		},
		{
			name: "references two levels deep",
			root: model(`{"b":{"rid":"test.b"}}`),
			refs: map[string]func(*Request){
				"get.test.b": result(collection(`[{"rid":"test.c"}]`)),
				"get.test.c": result(model(`{"deep":true}`)),
			},
			json: `{"b":{"href":"/api/test/b","collection":[{"href":"/api/test/c","model":{"deep":true}}]}}`,
			flat: `{"b":[{"deep":true}]}`,
		},
		{
			name: "cycle",
			root: model(`{"b":{"rid":"test.b"}}`),
			refs: map[string]func(*Request){"get.test.b": result(model(`{"a":{"rid":"test.a"}}`))},
			json: `{"b":{"href":"/api/test/b","model":{"a":{"href":"/api/test/a"}}}}`,
			flat: `{"b":{"a":{"href":"/api/test/a"}}}`,
		},
		{
			name: "reference to itself",
			root: model(`{"self":{"rid":"test.a"}}`),
			json: `{"self":{"href":"/api/test/a"}}`,
			flat: `{"self":{"href":"/api/test/a"}}`,
		},
		{
			name: "same resource twice",
			root: collection(`[{"rid":"test.b"},{"rid":"test.b"}]`),
			refs: map[string]func(*Request){"get.test.b": result(model(`{"x":1}`))},
			json: `[{"href":"/api/test/b","model":{"x":1}},{"href":"/api/test/b","model":{"x":1}}]`,
			flat: `[{"x":1},{"x":1}]`,
		},
		{
			name: "soft reference",
			root: model(`{"s":{"rid":"test.x","soft":true}}`),
			json: `{"s":{"href":"/api/test/x"}}`,
			flat: `{"s":{"href":"/api/test/x"}}`,
		},
		{
			name: "data values",
			root: model(`{"o":{"data":{"a":[1]}},"arr":{"data":[1,2]},"p":{"data":"str"}}`),
			json: `{"o":{"a":[1]},"arr":[1,2],"p":"str"}`,
			flat: `{"o":{"a":[1]},"arr":[1,2],"p":"str"}`,
		},
		{
			name: "reference to a query resource",
			root: model(`{"q":{"rid":"test.b?x=1&y=2"}}`),
			refs: map[string]func(*Request){"get.test.b": result(js(`{"model":{"n":1},"query":"x=1&y=2"}`))},
			json: `{"q":{"href":"/api/test/b%3Fx=1&y=2","model":{"n":1}}}`,
			flat: `{"q":{"n":1}}`,
		},
		{
			name: "reference whose name needs escaping",
			root: model(`{"r":{"rid":"test.x,y","soft":true}}`),
			json: `{"r":{"href":"/api/test/x%2Cy"}}`,
			flat: `{"r":{"href":"/api/test/x%2Cy"}}`,
		},
	}
	for _, tt := range tests {
		for _, enc := range []string{"json", "jsonflat"} {
			t.Run(tt.name+"/"+enc, func(t *testing.T) {
				s, c := newAPISession(t, withConfig(func(cfg *gateway.Config) { cfg.APIEncoding = enc }))
				p := c.start(t, "GET", "/api/test/a", "", nil)
				handlers := map[string]func(*Request){
					"access.test.a": result(accessGetOnly),
					"get.test.a":    result(tt.root),
				}
				for k, v := range tt.refs {
					handlers[k] = v
				}
				s.Serve(t, handlers)
				want := tt.json
				if enc == "jsonflat" {
					want = tt.flat
				}
				p.wait(t).assertStatus(t, http.StatusOK).assertBody(t, js(want))
				s.AssertNoRequest(t)
			})
		}
	}
}

func TestHTTPGetSortsModelProperties(t *testing.T) {
	s, c := newAPISession(t)
	p := c.start(t, "GET", "/api/test/a", "", nil)
	serveGet(t, s, "test.a", model(`{"b":2,"c":{"data":{"z":1,"a":2}},"a":1}`))
	r := p.wait(t).assertStatus(t, http.StatusOK)
	if got, want := string(r.Body), `{"a":1,"b":2,"c":{"z":1,"a":2}}`; got != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
}

func TestHTTPGetPayloads(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		access any
		get    any
	}{
		{"resource", "/api/test/model", `{"token":null,"isHttp":true}`, `{}`},
		{"query resource", "/api/test/model?q=a&n=1", `{"token":null,"query":"q=a&n=1","isHttp":true}`, `{"query":"q=a&n=1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			p := c.start(t, "GET", tt.path, "", nil)
			s.Serve(t, map[string]func(*Request){
				"access.test.model": func(r *Request) {
					cid := r.CID(t)
					want := map[string]any{}
					_ = json.Unmarshal([]byte(tt.access.(string)), &want)
					want["cid"] = cid
					r.AssertPayload(t, want).RespondSuccess(accessGetOnly)
				},
				"get.test.model": func(r *Request) {
					r.AssertPayload(t, js(tt.get.(string))).RespondSuccess(js(`{"model":{"x":1},"query":"n=1&q=a"}`))
				},
			})
			p.wait(t).assertStatus(t, http.StatusOK).assertBody(t, js(`{"x":1}`))
		})
	}
}

func TestHTTPGetErrorStatus(t *testing.T) {
	custom := &resprot.Error{Code: "test.custom", Message: "Custom", Data: js(`{"x":1}`)}
	tests := []struct {
		name   string
		access func(*Request)
		get    func(*Request) // nil: the get request goes unanswered
		status int
		want   *resprot.Error
	}{
		{"not found", result(accessGetOnly), errorReply(resprot.ErrNotFound), 404, resprot.ErrNotFound},
		{"internal error", result(accessGetOnly), errorReply(resprot.ErrInternalError), 500, resprot.ErrInternalError},
		{"invalid query", result(accessGetOnly), errorReply(resprot.ErrInvalidQuery), 400, resprot.ErrInvalidQuery},
		{"custom error", result(accessGetOnly), errorReply(custom), 400, custom},
		{"access denied by error", errorReply(accessDenied), result(model(`{}`)), 401, resprot.ErrAccessDenied},
		{"get not granted", result(js(`{"call":"*"}`)), result(model(`{}`)), 401, resprot.ErrAccessDenied},
		{"access error wins over get error", errorReply(custom), errorReply(resprot.ErrNotFound), 400, custom},
		{"access timeout", (*Request).Timeout, result(model(`{}`)), 404, resprot.ErrTimeout},
		{"get timeout", result(accessGetOnly), (*Request).Timeout, 404, resprot.ErrTimeout},
		{"malformed get response", result(accessGetOnly), rawReply(`{"result":`), 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t, timeoutOption(tt.name))
			p := c.start(t, "GET", "/api/test/model", "", nil)
			s.Serve(t, map[string]func(*Request){"access.test.model": tt.access, "get.test.model": tt.get})
			r := p.wait(t)
			if tt.want == nil {
				r.assertErrorCode(t, tt.status, resprot.CodeInternalError)
				return
			}
			r.assertError(t, tt.status, tt.want)
		})
	}
}

func TestHTTPGetNoResponders(t *testing.T) {
	s, c := newAPISession(t)
	s.StopListening(t, "access.>")
	s.StopListening(t, "get.>")
	c.do(t, "GET", "/api/test/model", "", nil).assertError(t, 404, resprot.ErrNotFound)
}

func TestHTTPGetSubjectTooLong(t *testing.T) {
	s, c := newAPISession(t)
	long := strings.Repeat("x", 5000)
	c.do(t, "GET", "/api/test/"+long, "", nil).assertError(t, http.StatusRequestURITooLong, resprot.ErrSubjectTooLong)
	c.do(t, "POST", "/api/test/"+long+"/do", "", nil).assertError(t, http.StatusRequestURITooLong, resprot.ErrSubjectTooLong)
	s.AssertNoRequest(t)
}

func TestHTTPHead(t *testing.T) {
	tests := []struct {
		name   string
		get    func(*Request)
		status int
	}{
		{"found", result(model(`{"x":1}`)), 200},
		{"not found", errorReply(resprot.ErrNotFound), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newAPISession(t)
			p := c.start(t, "HEAD", "/api/test/model", "", nil)
			s.Serve(t, map[string]func(*Request){"access.test.model": result(accessGetOnly), "get.test.model": tt.get})
			p.wait(t).assertStatus(t, tt.status).assertNoBody(t).
				assertHeader(t, "Content-Type", "application/json; charset=utf-8").
				assertHeader(t, "Access-Control-Allow-Origin", "*")
		})
	}
}

func TestHTTPHeadInvalidPaths(t *testing.T) {
	_, c := newAPISession(t)
	for _, path := range []string{"/wrong/test/model", "/api/", "/api/test.model", "/api/test/model/", "/api/test//model", "/api/test/m%C3%A5del"} {
		t.Run(path, func(t *testing.T) {
			c.do(t, "HEAD", path, "", nil).assertStatus(t, http.StatusNotFound).assertNoBody(t)
		})
	}
}

// An HTTP client gets resources through the cache that WebSocket clients
// share: what a WebSocket client subscribes to is not fetched again, but
// access is asked for each HTTP request.
func TestHTTPGetSharesCache(t *testing.T) {
	s, c := newAPISession(t)
	ws := s.Connect(t)
	subscribe(t, s, ws, "test.a", accessGranted, map[string]json.RawMessage{
		"test.a": model(`{"b":{"rid":"test.b"}}`),
		"test.b": model(`{"x":1}`),
	})
	for range 2 {
		p := c.start(t, "GET", "/api/test/a", "", nil)
		s.GetRequestOn(t, "access.test.a").RespondSuccess(accessGetOnly)
		p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"b":{"href":"/api/test/b","model":{"x":1}}}`))
		s.AssertNoRequest(t)
	}

	// A change the WebSocket client sees is seen over HTTP too.
	s.Event(t, "test.b", "change", js(`{"values":{"x":2}}`))
	ws.GetEvent(t).AssertName(t, "test.b.change")
	p := c.start(t, "GET", "/api/test/b", "", nil)
	s.GetRequestOn(t, "access.test.b").RespondSuccess(accessGetOnly)
	p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"x":2}`))
}

func TestHTTPGetCIDTag(t *testing.T) {
	s, c := newAPISession(t)
	p := c.start(t, "GET", "/api/user/%7Bcid%7D", "", nil)
	reqs := map[string]*Request{}
	for range 2 {
		r := s.GetRequest(t)
		reqs[r.Subject[:strings.IndexByte(r.Subject, '.')]] = r
	}
	acc, get := reqs["access"], reqs["get"]
	if acc == nil || get == nil {
		t.Fatalf("want an access and a get request, got %v", reqs)
	}
	cid := acc.CID(t)
	acc.AssertSubject(t, "access.user."+cid).RespondSuccess(accessGetOnly)
	get.AssertSubject(t, "get.user."+cid).RespondSuccess(model(`{"me":true}`))
	p.wait(t).assertStatus(t, 200).assertBody(t, js(`{"me":true}`))
}

// BenchmarkHTTPGetCached measures an HTTP GET of a cached resource with a
// reference, the service answering access requests at once.
func BenchmarkHTTPGetCached(b *testing.B) {
	s, c := newAPISession(b)
	s.AutoRespond("access.test.a", result(accessGetOnly))
	s.AutoRespond("get.test.a", result(model(`{"name":"a","b":{"rid":"test.b"},"n":{"data":[1]}}`)))
	s.AutoRespond("get.test.b", result(collection(`[1,2,3,"x"]`)))
	ws := s.Connect(b)
	ws.Request(b, "subscribe.test.a", nil)
	tr := &http.Transport{}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	url := c.base + "/api/test/a"
	b.ResetTimer()
	for b.Loop() {
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
