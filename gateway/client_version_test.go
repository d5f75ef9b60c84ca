package gateway_test

import (
	"testing"

	"github.com/reskit/res/resprot"
)

// Client protocol, "Version request": the gateway answers with the version
// it supports, rejects versions it cannot support, and assumes v1.1.x for a
// client that sends none.

func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  any
		wantErr string // error code; "" for success
	}{
		{name: "current", params: js(`{"protocol":"1.2.3"}`)},
		{name: "older minor", params: js(`{"protocol":"1.1.1"}`)},
		{name: "first", params: js(`{"protocol":"1.0.0"}`)},
		{name: "1.2.0", params: js(`{"protocol":"1.2.0"}`)},
		{name: "newer patch", params: js(`{"protocol":"1.2.99"}`)},
		{name: "major 0", params: js(`{"protocol":"0.9.9"}`), wantErr: resprot.CodeUnsupportedProtocol},
		{name: "major 2", params: js(`{"protocol":"2.0.0"}`), wantErr: resprot.CodeUnsupportedProtocol},
		{name: "two parts", params: js(`{"protocol":"1.2"}`), wantErr: resprot.CodeInvalidParams},
		{name: "four parts", params: js(`{"protocol":"1.2.3.4"}`), wantErr: resprot.CodeInvalidParams},
		{name: "letters", params: js(`{"protocol":"a.b.c"}`), wantErr: resprot.CodeInvalidParams},
		{name: "negative part", params: js(`{"protocol":"1.-2.3"}`), wantErr: resprot.CodeInvalidParams},
		{name: "number", params: js(`{"protocol":123}`), wantErr: resprot.CodeInvalidParams},
		{name: "params not an object", params: js(`"1.2.3"`), wantErr: resprot.CodeInvalidParams},
	}
	s := newSession(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.ConnectLegacy(t)
			resp := c.Request(t, "version", tt.params)
			if tt.wantErr != "" {
				resp.AssertErrorCode(t, tt.wantErr)
			} else {
				resp.AssertResult(t, js(`{"protocol":"1.2.3"}`))
			}
			// The connection is still usable.
			c.Request(t, "version", js(`{"protocol":"1.2.3"}`)).AssertResult(t, js(`{"protocol":"1.2.3"}`))
		})
	}
}

// The protocol member is optional: the gateway answers with its version and
// keeps assuming v1.1.x.
func TestVersionWithoutProtocol(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params any
	}{
		{name: "no params", params: nil},
		{name: "empty object", params: js(`{}`)},
		{name: "null protocol", params: js(`{"protocol":null}`)},
		{name: "empty protocol", params: js(`{"protocol":""}`)},
	}
	s := newSession(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.ConnectLegacy(t)
			c.Request(t, "version", tt.params).AssertResult(t, js(`{"protocol":"1.2.3"}`))
			// Still legacy: a call result comes back bare.
			assertCallResultShape(t, s, c, js(`{"foo":"bar"}`))
		})
	}
}

// The version a client states decides the shape of call results: v1.2.0
// and later get {"payload":...}, earlier versions and clients that sent no
// version get the bare result.
func TestVersionDecidesCallResultShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		version string // "" sends no version request
		want    string
	}{
		{name: "no version request", version: "", want: `{"foo":"bar"}`},
		{name: "1.1.1", version: "1.1.1", want: `{"foo":"bar"}`},
		{name: "1.2.0", version: "1.2.0", want: `{"payload":{"foo":"bar"}}`},
		{name: "1.2.3", version: "1.2.3", want: `{"payload":{"foo":"bar"}}`},
	}
	s := newSession(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.ConnectLegacy(t)
			if tt.version != "" {
				c.Request(t, "version", map[string]string{"protocol": tt.version}).AssertResult(t, js(`{"protocol":"1.2.3"}`))
			}
			assertCallResultShape(t, s, c, js(tt.want))
		})
	}
}

// assertCallResultShape calls test.model.method, which returns
// {"foo":"bar"}, and checks the client's result.
func assertCallResultShape(t testing.TB, s *session, c *Client, want any) {
	t.Helper()
	creq := c.Send(t, "call.test.model.method", nil)
	s.Serve(t, map[string]func(*Request){
		"access.test.model":      result(accessGranted),
		"call.test.model.method": result(js(`{"foo":"bar"}`)),
	})
	creq.GetResponse(t).AssertResult(t, want)
}
