package resprot_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/reskit/res/resprot"
)

// assertJSON fails unless got and want hold the same JSON value, whatever
// the key order and spacing.
func assertJSON(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got malformed JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want malformed JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

func TestRequestJSON(t *testing.T) {
	tests := []struct {
		name string
		req  resprot.Request
		json string
	}{
		{"empty get", resprot.Request{}, `{}`},
		{"query get", resprot.Request{Query: "limit=25&start=0"}, `{"query":"limit=25&start=0"}`},
		{
			"access with token",
			resprot.Request{CID: "c1", Token: json.RawMessage(`{"userid":42,"username":"foo","role":"admin"}`)},
			`{"cid":"c1","token":{"userid":42,"username":"foo","role":"admin"}}`,
		},
		{
			"http call",
			resprot.Request{CID: "c1", Params: json.RawMessage(`{"title":"Dune"}`), Query: "q=a", IsHTTP: true},
			`{"cid":"c1","params":{"title":"Dune"},"query":"q=a","isHttp":true}`,
		},
		{
			"auth",
			resprot.Request{
				CID:        "c1",
				Params:     json.RawMessage(`{"password":"secret"}`),
				Header:     map[string][]string{"Accept-Language": {"en"}, "Cookie": {"a=1", "b=2"}},
				Host:       "localhost:8080",
				RemoteAddr: "127.0.0.1:51234",
				URI:        "/ws",
			},
			`{"cid":"c1","params":{"password":"secret"},"header":{"Accept-Language":["en"],"Cookie":["a=1","b=2"]},"host":"localhost:8080","remoteAddr":"127.0.0.1:51234","uri":"/ws"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.req)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b, tt.json)
			var back resprot.Request
			if err := json.Unmarshal([]byte(tt.json), &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.json, err)
			}
			b2, _ := json.Marshal(back)
			assertJSON(t, b2, tt.json)
		})
	}
}

// TestRequestNullTokenAndParams checks the payload a gateway sends when a
// connection has no token and a client gives no params.
func TestRequestNullTokenAndParams(t *testing.T) {
	var r resprot.Request
	if err := json.Unmarshal([]byte(`{"cid":"c1","token":null,"params":null}`), &r); err != nil {
		t.Fatal(err)
	}
	if !resprot.IsNull(r.Token) || !resprot.IsNull(r.Params) {
		t.Errorf("IsNull(token %q), IsNull(params %q) = %v, %v, want true, true", r.Token, r.Params, resprot.IsNull(r.Token), resprot.IsNull(r.Params))
	}
}

func TestIsNull(t *testing.T) {
	tests := []struct {
		name string
		raw  json.RawMessage
		want bool
	}{
		{"absent", nil, true},
		{"empty", json.RawMessage{}, true},
		{"null", json.RawMessage(`null`), true},
		{"false", json.RawMessage(`false`), false},
		{"empty object", json.RawMessage(`{}`), false},
		{"string null", json.RawMessage(`"null"`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resprot.IsNull(tt.raw); got != tt.want {
				t.Errorf("IsNull(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestResponseJSON(t *testing.T) {
	tests := []struct {
		name string
		resp resprot.Response
		json string
	}{
		{"null result", resprot.Response{Result: json.RawMessage(`null`)}, `{"result":null}`},
		{"model result", resprot.Response{Result: json.RawMessage(`{"model":{"id":42}}`)}, `{"result":{"model":{"id":42}}}`},
		{"resource", resprot.Response{Resource: &resprot.ResourceRef{RID: "example.user.42"}}, `{"resource":{"rid":"example.user.42"}}`},
		{"error", resprot.Response{Error: resprot.ErrNotFound}, `{"error":{"code":"system.notFound","message":"Not found"}}`},
		{
			"meta",
			resprot.Response{
				Result: json.RawMessage(`null`),
				Meta:   &resprot.Meta{Status: 302, Header: http.Header{"Location": {"/login"}, "Set-Cookie": {"a=1"}}},
			},
			`{"result":null,"meta":{"status":302,"header":{"Location":["/login"],"Set-Cookie":["a=1"]}}}`,
		},
		{"meta without status", resprot.Response{Error: resprot.ErrAccessDenied, Meta: &resprot.Meta{Header: http.Header{"X-A": {"b"}}}}, `{"error":{"code":"system.accessDenied","message":"Access denied"},"meta":{"header":{"X-A":["b"]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.resp)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b, tt.json)
		})
	}
}

func TestAccessResultJSON(t *testing.T) {
	tests := []struct {
		name   string
		result resprot.AccessResult
		json   string
	}{
		{"no access", resprot.AccessResult{}, `{}`},
		{"get only", resprot.AccessResult{Get: true}, `{"get":true}`},
		{"spec call list", resprot.AccessResult{Call: "set,foo,bar"}, `{"call":"set,foo,bar"}`},
		{"all", resprot.AccessResult{Get: true, Call: "*"}, `{"get":true,"call":"*"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.result)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b, tt.json)
		})
	}
}

func TestAccessResultCanCall(t *testing.T) {
	tests := []struct {
		name   string
		call   string
		method string
		want   bool
	}{
		{"spec list first", "set,foo,bar", "set", true},
		{"spec list middle", "set,foo,bar", "foo", true},
		{"spec list last", "set,foo,bar", "bar", true},
		{"spec list missing", "set,foo,bar", "baz", false},
		{"star", "*", "anything", true},
		{"star in list", "set,*", "anything", true},
		{"empty", "", "set", false},
		{"prefix is no match", "settle", "set", false},
		{"no trimming", "set, foo", "foo", false},
		{"empty entries", ",,set,", "set", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := resprot.AccessResult{Call: tt.call}
			if got := a.CanCall(tt.method); got != tt.want {
				t.Errorf("AccessResult{Call: %q}.CanCall(%q) = %v, want %v", tt.call, tt.method, got, tt.want)
			}
		})
	}
}

// TestQueryResultJSON decodes the spec's example query results.
func TestQueryResultJSON(t *testing.T) {
	t.Run("spec events", func(t *testing.T) {
		data := `{"events":[{"event":"remove","data":{"idx":24}},{"event":"add","data":{"value":"foo","idx":0}}]}`
		var r resprot.QueryResult
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Events) != 2 || r.Events[0].Event != "remove" || r.Events[1].Event != "add" {
			t.Fatalf("events = %+v, want remove then add", r.Events)
		}
		var rm resprot.RemoveEvent
		if err := json.Unmarshal(r.Events[0].Data, &rm); err != nil || rm.Idx != 24 {
			t.Errorf("remove data = %+v, %v, want idx 24", rm, err)
		}
		var add resprot.AddEvent
		if err := json.Unmarshal(r.Events[1].Data, &add); err != nil || add.Idx != 0 || string(add.Value) != `"foo"` {
			t.Errorf("add data = %+v, %v, want idx 0 value \"foo\"", add, err)
		}
		b, _ := json.Marshal(r)
		assertJSON(t, b, data)
	})
	t.Run("spec collection", func(t *testing.T) {
		data := `{"collection":["first","second","third"]}`
		var r resprot.QueryResult
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Fatal(err)
		}
		if r.Events != nil || r.Model != nil {
			t.Errorf("QueryResult = %+v, want only a collection", r)
		}
		b, _ := json.Marshal(r)
		assertJSON(t, b, data)
	})
	t.Run("spec query request", func(t *testing.T) {
		b, _ := json.Marshal(resprot.QueryRequest{Query: "limit=25&start=0"})
		assertJSON(t, b, `{"query":"limit=25&start=0"}`)
	})
	t.Run("event without data", func(t *testing.T) {
		b, _ := json.Marshal(resprot.EventEntry{Event: "reaccess"})
		assertJSON(t, b, `{"event":"reaccess"}`)
	})
}

func TestGetResultJSON(t *testing.T) {
	tests := []struct {
		name   string
		result resprot.GetResult
		json   string
	}{
		{"spec model", resprot.GetResult{Model: json.RawMessage(`{"id":42,"name":"Jane Doe","roles":{"rid":"example.user.42.roles"}}`)}, `{"model":{"id":42,"name":"Jane Doe","roles":{"rid":"example.user.42.roles"}}}`},
		{"spec collection", resprot.GetResult{Collection: json.RawMessage(`["admin","tester","developer"]`)}, `{"collection":["admin","tester","developer"]}`},
		{"query collection", resprot.GetResult{Collection: json.RawMessage(`[]`), Query: "limit=25&start=0"}, `{"collection":[],"query":"limit=25&start=0"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.result)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b, tt.json)
		})
	}
}
