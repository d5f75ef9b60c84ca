package gateway_test

// Helpers of the HTTP API tests: a net/http client for a session's
// gateway. A request runs on its own goroutine, so that the test can play
// the service meanwhile, and the test then waits for its response.

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reskit/res/gateway"
	"github.com/reskit/res/resprot"
)

// apiClient sends HTTP requests to a session's gateway.
type apiClient struct {
	base string // "http://127.0.0.1:port"
	hc   *http.Client
}

// newAPISession starts a session whose gateway has the given HTTP
// settings, and returns it with a client of its HTTP API.
func newAPISession(t testing.TB, opts ...sessionOption) (*session, *apiClient) {
	t.Helper()
	s := newSession(t, opts...)
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return s, &apiClient{
		base: "http://" + s.gw.Addr().String(),
		hc: &http.Client{
			Transport: tr,
			Timeout:   2 * waitTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// withConfig changes the gateway's configuration with f.
func withConfig(f func(*gateway.Config)) sessionOption { return f }

// httpResponse is what a client got for an HTTP request.
type httpResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// pendingHTTP is an HTTP request in flight.
type pendingHTTP struct {
	desc string
	ch   chan pendingResult
}

type pendingResult struct {
	r   *httpResponse
	err error
}

// start sends an HTTP request with method to path (which starts with '/')
// and returns at once. A nil header sends none; an empty body sends none.
func (c *apiClient) start(t testing.TB, method, path, body string, header http.Header) *pendingHTTP {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	p := &pendingHTTP{desc: method + " " + path, ch: make(chan pendingResult, 1)}
	go func() {
		resp, err := c.hc.Do(req)
		if err != nil {
			p.ch <- pendingResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		p.ch <- pendingResult{r: &httpResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}, err: err}
	}()
	return p
}

// do sends an HTTP request and waits for its response; for requests that
// the gateway answers without asking a service.
func (c *apiClient) do(t testing.TB, method, path, body string, header http.Header) *httpResponse {
	t.Helper()
	return c.start(t, method, path, body, header).wait(t)
}

// wait returns the response to the request.
func (p *pendingHTTP) wait(t testing.TB) *httpResponse {
	t.Helper()
	select {
	case res := <-p.ch:
		if res.err != nil {
			t.Fatalf("%s: %v", p.desc, res.err)
		}
		return res.r
	case <-time.After(2 * waitTimeout):
		t.Fatalf("%s: no response within %v", p.desc, 2*waitTimeout)
	}
	return nil
}

// assertStatus fails unless the response has status code.
func (r *httpResponse) assertStatus(t testing.TB, code int) *httpResponse {
	t.Helper()
	if r.Status != code {
		t.Fatalf("status = %d, want %d (body %s)", r.Status, code, r.Body)
	}
	return r
}

// assertBody compares the body with want as JSON.
func (r *httpResponse) assertBody(t testing.TB, want any) *httpResponse {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type = %q, want application/json; charset=utf-8", ct)
	}
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	if err := json.Unmarshal(encode(t, want), &exp); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body:\n got: %s\nwant: %s", r.Body, encode(t, want))
	}
	return r
}

// assertError fails unless the response is status with error e as body.
func (r *httpResponse) assertError(t testing.TB, status int, e *resprot.Error) *httpResponse {
	t.Helper()
	return r.assertStatus(t, status).assertBody(t, e)
}

// assertErrorCode fails unless the response is status with an error of
// code as body.
func (r *httpResponse) assertErrorCode(t testing.TB, status int, code string) *httpResponse {
	t.Helper()
	r.assertStatus(t, status)
	var e resprot.Error
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Code != code {
		t.Fatalf("body = %s, want an error with code %s", r.Body, code)
	}
	return r
}

// assertNoBody fails if the response has a body.
func (r *httpResponse) assertNoBody(t testing.TB) *httpResponse {
	t.Helper()
	if len(r.Body) > 0 {
		t.Fatalf("body = %s, want none", r.Body)
	}
	return r
}

// assertHeader fails unless header key has the values want; no values
// means the header is absent.
func (r *httpResponse) assertHeader(t testing.TB, key string, want ...string) *httpResponse {
	t.Helper()
	got := r.Header.Values(key)
	if len(got) == 0 && len(want) == 0 {
		return r
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("header %s = %q, want %q", key, got, want)
	}
	return r
}

// serveGet serves the access and get requests of an HTTP GET of the
// resource name, in the order they come, with get access granted.
func serveGet(t testing.TB, s *session, name string, get json.RawMessage) {
	t.Helper()
	s.Serve(t, map[string]func(*Request){
		"access." + name: result(accessGetOnly),
		"get." + name:    result(get),
	})
}

// timeoutOption gives the rows of a table whose name ends in "timeout" a
// short request timeout, so that they do not wait long for it, and the
// others the session's generous default.
func timeoutOption(name string) sessionOption {
	if strings.HasSuffix(name, "timeout") {
		return withRequestTimeout(200 * time.Millisecond)
	}
	return func(*gateway.Config) {}
}
