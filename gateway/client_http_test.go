package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// The HTTP API: GET /api/<path> is a get request of the resource, POST
// /api/<path>/<method> a call; requests carry isHttp, and the meta member of
// responses sets status and headers (service protocol, "Meta object").

// httpCall is an HTTP request in flight.
type httpCall struct {
	done chan struct{} // closed when the response is read
	resp *http.Response
	body []byte
	err  error
}

// HTTPRequest sends an HTTP request to the gateway without waiting, so the
// test can serve the NATS requests it causes; awaitHTTP gets the response.
func (s *session) HTTPRequest(t testing.TB, method, path, body string) *httpCall {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: waitTimeout}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+s.gw.Addr().String()+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &httpCall{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.resp, c.err = client.Do(req)
		if c.err != nil {
			return
		}
		c.body, c.err = io.ReadAll(c.resp.Body)
		_ = c.resp.Body.Close()
	}()
	t.Cleanup(func() { <-c.done })
	return c
}

// serveHTTP serves the NATS requests of an HTTP call, failing at once if
// the HTTP response comes first.
func (s *session) serveHTTP(t testing.TB, c *httpCall, handlers map[string]func(*Request)) {
	t.Helper()
	s.serve(t, handlers, c.done, c.cameFirst)
}

// getHTTPRequest is GetRequestOn for the requests of an HTTP call.
func (s *session) getHTTPRequest(t testing.TB, c *httpCall, subject string) *Request {
	t.Helper()
	r := s.getRequest(t, c.done, c.cameFirst)
	return r.AssertSubject(t, subject)
}

// cameFirst describes the response of a call that ended before the
// gateway sent the expected request.
func (c *httpCall) cameFirst() string {
	if c.err != nil {
		return "the HTTP request failed first: " + c.err.Error()
	}
	return "the HTTP response came first: " + c.resp.Status + " " + string(c.body)
}

// awaitHTTP waits for the response and checks its status.
func awaitHTTP(t testing.TB, c *httpCall, status int) *httpCall {
	t.Helper()
	<-c.done
	if c.err != nil {
		t.Fatalf("http request: %v", c.err)
	}
	if c.resp.StatusCode != status {
		t.Fatalf("http status = %d, want %d; body: %s", c.resp.StatusCode, status, c.body)
	}
	return c
}

func TestHTTPGetModel(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	hc := s.HTTPRequest(t, "GET", "/api/test/model", "")
	s.serveHTTP(t, hc, map[string]func(*Request){
		"access.test.model": func(r *Request) {
			r.AssertField(t, "isHttp", true)
			r.CID(t)
			r.RespondSuccess(accessGranted)
		},
		"get.test.model": result(model(testModel)),
	})
	r := awaitHTTP(t, hc, http.StatusOK)
	if ct := r.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	assertJSON(t, "body", r.body, js(testModel))
}

func TestHTTPGetCollectionWithQuery(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	hc := s.HTTPRequest(t, "GET", "/api/test/collection?start=0", "")
	s.serveHTTP(t, hc, map[string]func(*Request){
		"access.test.collection": func(r *Request) {
			r.AssertField(t, "query", "start=0")
			r.RespondSuccess(accessGranted)
		},
		"get.test.collection": func(r *Request) {
			r.AssertPayload(t, js(`{"query":"start=0"}`))
			r.RespondSuccess(js(`{"collection":["a","b"],"query":"start=0"}`))
		},
	})
	assertJSON(t, "body", awaitHTTP(t, hc, http.StatusOK).body, js(`["a","b"]`))
}

func TestHTTPGetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		access func(*Request)
		get    func(*Request)
		status int
		want   *resprot.Error
	}{
		{name: "access denied", access: errorReply(resprot.ErrAccessDenied), status: http.StatusUnauthorized, want: resprot.ErrAccessDenied},
		{name: "not found", access: result(accessGranted), get: errorReply(resprot.ErrNotFound), status: http.StatusNotFound, want: resprot.ErrNotFound},
		{name: "internal error", access: result(accessGranted), get: errorReply(resprot.ErrInternalError), status: http.StatusInternalServerError, want: resprot.ErrInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			if tt.get == nil {
				s.AutoRespond("get.test.model", result(model(testModel)))
			}
			hc := s.HTTPRequest(t, "GET", "/api/test/model", "")
			h := map[string]func(*Request){"access.test.model": tt.access}
			if tt.get != nil {
				h["get.test.model"] = tt.get
			}
			s.serveHTTP(t, hc, h)
			assertJSON(t, "body", awaitHTTP(t, hc, tt.status).body, tt.want)
		})
	}
}

func TestHTTPPostCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		params any
		result any
		status int
		want   string
	}{
		{name: "result", body: `{"a":1}`, params: js(`{"a":1}`), result: js(`{"b":2}`), status: http.StatusOK, want: `{"b":2}`},
		{name: "null result", body: `{"a":1}`, params: js(`{"a":1}`), result: js(`null`), status: http.StatusNoContent, want: ``},
		{name: "no body", body: ``, params: nil, result: js(`"ok"`), status: http.StatusOK, want: `"ok"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t)
			hc := s.HTTPRequest(t, "POST", "/api/test/model/method", tt.body)
			s.getHTTPRequest(t, hc, "access.test.model").AssertField(t, "isHttp", true).RespondSuccess(accessGranted)
			s.getHTTPRequest(t, hc, "call.test.model.method").
				AssertField(t, "isHttp", true).
				AssertField(t, "params", tt.params).
				RespondSuccess(tt.result)
			r := awaitHTTP(t, hc, tt.status)
			if tt.want == "" {
				if len(r.body) != 0 {
					t.Fatalf("body = %s, want none", r.body)
				}
				return
			}
			assertJSON(t, "body", r.body, js(tt.want))
		})
	}
}

func TestHTTPPostErrors(t *testing.T) {
	t.Parallel()
	t.Run("call error", func(t *testing.T) {
		t.Parallel()
		s := newSession(t)
		hc := s.HTTPRequest(t, "POST", "/api/test/model/method", `{}`)
		s.getHTTPRequest(t, hc, "access.test.model").RespondSuccess(accessGranted)
		s.getHTTPRequest(t, hc, "call.test.model.method").RespondError(resprot.ErrInvalidParams)
		assertJSON(t, "body", awaitHTTP(t, hc, http.StatusBadRequest).body, resprot.ErrInvalidParams)
	})
	t.Run("call not allowed", func(t *testing.T) {
		t.Parallel()
		s := newSession(t)
		hc := s.HTTPRequest(t, "POST", "/api/test/model/method", `{}`)
		s.getHTTPRequest(t, hc, "access.test.model").RespondSuccess(accessGetOnly)
		r := awaitHTTP(t, hc, http.StatusUnauthorized)
		assertJSON(t, "error code", encode(t, decode(t, r.body).(map[string]any)["code"]), resprot.CodeAccessDenied)
		s.AssertNoRequest(t)
	})
	t.Run("body not JSON", func(t *testing.T) {
		t.Parallel()
		s := newSession(t)
		s.AutoRespond("access.test.model", result(accessGranted))
		hc := s.HTTPRequest(t, "POST", "/api/test/model/method", `{not json`)
		awaitHTTP(t, hc, http.StatusBadRequest)
	})
}

// Meta: a call's meta status and headers apply to the HTTP response.
func TestHTTPMeta(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	hc := s.HTTPRequest(t, "POST", "/api/test/model/method", `{}`)
	s.getHTTPRequest(t, hc, "access.test.model").RespondSuccess(accessGranted)
	s.getHTTPRequest(t, hc, "call.test.model.method").
		RespondRaw([]byte(`{"error":{"code":"test.gone","message":"Gone"},"meta":{"status":410,"header":{"X-Custom":["yes"]}}}`))
	r := awaitHTTP(t, hc, http.StatusGone)
	if got := r.resp.Header.Get("X-Custom"); got != "yes" {
		t.Errorf("X-Custom header = %q, want %q", got, "yes")
	}
	assertJSON(t, "body", r.body, js(`{"code":"test.gone","message":"Gone"}`))
}

// Paths that do not map to a resource ID are not found, with no request
// to any service.
func TestHTTPInvalidPath(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	for _, p := range []string{"/api/", "/api/test.model", "/api/test//model", "/api/test/model/"} {
		t.Run(p, func(t *testing.T) {
			awaitHTTP(t, s.HTTPRequest(t, "GET", p, ""), http.StatusNotFound)
		})
	}
	s.AssertNoRequest(t)
}
