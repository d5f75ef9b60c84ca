package gateway

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/gateway/internal/mq"
	"github.com/reskit/res/resprot"
)

// apiRequest is one HTTP API request in progress. It runs on the
// goroutine net/http gave the request, and waits there for the replies of
// the services it asks, one after the other: header auth, access, then
// get or call.
//
// The response may be decided early by a service: a meta status of 3xx,
// 4xx or 5xx in the reply to the auth or access request ends the request
// with that status. Meta headers collect in header, auth's first, then
// access's, then call's, so that a later one wins.
type apiRequest struct {
	g     *Gateway
	mq    *mq.Client
	cache *cache.Cache
	w     http.ResponseWriter
	r     *http.Request
	cid   string
	log   *slog.Logger

	header http.Header // meta headers of the service replies so far

	// mu protects token, which token events set from the NATS
	// dispatcher goroutine.
	mu    sync.Mutex
	token json.RawMessage
}

// serve runs f as a request on a fresh connection ID, after header auth
// if it is configured.
func (h *apiHandler) serve(w http.ResponseWriter, r *http.Request, f func(*apiRequest)) {
	m, c := h.g.backend()
	if m == nil {
		writeAPIError(w, resprot.ErrServiceUnavailable)
		return
	}
	a := &apiRequest{
		g:      h.g,
		mq:     m,
		cache:  c,
		w:      w,
		r:      r,
		cid:    newCID(),
		header: http.Header{},
	}
	a.log = h.g.log.With("cid", a.cid)
	if a.log.Enabled(a.r.Context(), LevelTrace) {
		a.log.Log(a.r.Context(), LevelTrace, "--> http", "method", r.Method, "uri", r.RequestURI)
	}
	if auth := h.g.cfg.HeaderAuth; auth != "" {
		h.g.tokens.add(a.cid, a)
		defer h.g.tokens.remove(a.cid)
		if !a.headerAuth(auth) {
			return
		}
	}
	f(a)
}

// backend returns the NATS client and the cache, or nils when the gateway
// is not started or is stopping.
func (g *Gateway) backend() (*mq.Client, *cache.Cache) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped || g.mq == nil {
		return nil, nil
	}
	return g.mq, g.cache
}

// tokenEvent implements tokenTarget: the token is used for the rest of
// the request.
func (a *apiRequest) tokenEvent(ev resprot.TokenEvent) {
	a.mu.Lock()
	a.token = ev.Token
	if resprot.IsNull(a.token) {
		a.token = nil
	}
	a.mu.Unlock()
}

// tokenJSON returns the token for a request payload: null when none.
func (a *apiRequest) tokenJSON() json.RawMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token == nil {
		return json.RawMessage("null")
	}
	return a.token
}

// realRID returns rid with the {cid} tag replaced by the connection ID.
func (a *apiRequest) realRID(rid string) string {
	return strings.ReplaceAll(rid, "{cid}", a.cid)
}

// errCanceled ends a request whose client left; errAnswered one that a
// service's meta status has answered. Neither is written to the client.
var (
	errCanceled = errors.New("gateway: http request canceled")
	errAnswered = errors.New("gateway: http request answered")
)

// request sends a request to a service and waits for the reply. While
// it waits, pump is called each time wake signals, if both are set.
func (a *apiRequest) request(subject string, payload any, wake <-chan struct{}, pump func()) ([]byte, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, resprot.InternalError(err)
	}
	type reply struct {
		data []byte
		err  error
	}
	ch := make(chan reply, 1)
	err = a.mq.Request(subject, b, 0, func(data []byte, err error) {
		ch <- reply{data, err}
	})
	if err != nil {
		return nil, err
	}
	for {
		select {
		case rep := <-ch:
			return rep.data, rep.err
		case <-wake:
			pump()
		case <-a.r.Context().Done():
			return nil, errCanceled
		}
	}
}

// parseMetaResponse decodes a service's reply to an access, call or auth
// request made for an HTTP client: the response and its meta, or the
// error it holds. The meta comes with errors too.
func parseMetaResponse(data []byte, err error) (*resprot.Response, *resprot.Meta, error) {
	if err != nil {
		return nil, nil, err
	}
	var r resprot.Response
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, nil, resprot.InternalError(err)
	}
	switch {
	case r.Error != nil:
		return nil, r.Meta, r.Error
	case r.Resource != nil:
		if !resprot.IsValidRID(r.Resource.RID) {
			return nil, r.Meta, resprot.InternalError(errors.New("invalid resource ID in resource response"))
		}
	case r.Result == nil:
		return nil, r.Meta, resprot.InternalError(errors.New("response missing result"))
	}
	return &r, r.Meta, nil
}

// applyMeta adds the headers of meta to the response's, and returns its
// status when it is one that ends the request (3xx, 4xx, 5xx), or 0.
// Set-Cookie values add to those already set; other headers replace them.
func (a *apiRequest) applyMeta(meta *resprot.Meta) int {
	if meta == nil {
		return 0
	}
	for k, v := range metaHeader(meta.Header) {
		if k == "Set-Cookie" {
			a.header[k] = append(a.header[k], v...)
		} else {
			a.header[k] = v
		}
	}
	switch st := meta.Status; {
	case st >= 300 && st < 600:
		return st
	case st != 0:
		a.log.Error("gateway: invalid meta status", "status", st)
	}
	return 0
}

// headerAuth sends the auth request of Config.HeaderAuth with the HTTP
// request's headers. Its error does not stop the request; its meta may.
// It reports false when the request has been answered.
func (a *apiRequest) headerAuth(method string) bool {
	i := strings.LastIndexByte(method, '.')
	name, query := resprot.SplitRID(a.realRID(method[:i]))
	data, err := a.request("auth."+name+"."+method[i+1:], resprot.Request{
		CID:        a.cid,
		Token:      json.RawMessage("null"),
		Header:     a.r.Header,
		Host:       a.r.Host,
		RemoteAddr: a.r.RemoteAddr,
		URI:        a.r.RequestURI,
		Query:      query,
		IsHTTP:     true,
	}, nil, nil)
	if errors.Is(err, errCanceled) {
		return false
	}
	r, meta, err := parseMetaResponse(data, err)
	if st := a.applyMeta(meta); st != 0 {
		a.respondStatus(st, resourcePath(r, a.g.cfg.APIPath), err)
		return false
	}
	if err != nil {
		a.log.Debug("gateway: header auth failed", "error", err)
	}
	return true
}

// access asks for the client's access to rid. It returns errAnswered when
// the reply's meta status answered the request.
func (a *apiRequest) access(rid string, wake <-chan struct{}, pump func()) (*resprot.AccessResult, error) {
	name, query := resprot.SplitRID(a.realRID(rid))
	data, err := a.request("access."+name, resprot.Request{
		CID:    a.cid,
		Token:  a.tokenJSON(),
		Query:  query,
		IsHTTP: true,
	}, wake, pump)
	r, meta, err := parseMetaResponse(data, err)
	var acc resprot.AccessResult
	if err == nil {
		if r.Result == nil {
			err = resprot.InternalError(errors.New("access response missing result"))
		} else if e := json.Unmarshal(r.Result, &acc); e != nil {
			err = resprot.InternalError(e)
		}
	}
	if st := a.applyMeta(meta); st != 0 {
		a.respondStatus(st, "", err)
		return nil, errAnswered
	}
	return &acc, err
}

// get answers a GET or HEAD request with resource rid and the resources
// it references, from the cache.
func (a *apiRequest) get(rid string) {
	t := newRefTree(a.cache, a.realRID, a.g.cfg.ReferenceThrottle)
	defer t.close()
	t.add(rid, false)
	acc, err := a.access(rid, t.wake, t.pump)
	if err == nil && !acc.Get {
		err = resprot.ErrAccessDenied
	}
	if err == nil {
		err = t.wait(a.r.Context())
	}
	if err == nil {
		if n := t.nodes[rid]; n.err != nil {
			err = n.err
		}
	}
	if err != nil {
		a.respondError(err)
		return
	}
	enc := apiEncoder{apiPath: a.g.cfg.APIPath, flat: a.g.cfg.APIEncoding == "jsonflat", nodes: t.nodes}
	a.respondBody(enc.encode(rid))
}

// call answers a POST request, or a mapped PUT, DELETE or PATCH request,
// with the result of calling method on rid.
func (a *apiRequest) call(rid, method string, params json.RawMessage) {
	acc, err := a.access(rid, nil, nil)
	if err == nil && !acc.CanCall(method) {
		err = resprot.ErrAccessDenied
	}
	if err != nil {
		a.respondError(err)
		return
	}
	if params == nil {
		params = json.RawMessage("null")
	}
	name, query := resprot.SplitRID(a.realRID(rid))
	data, err := a.request("call."+name+"."+method, resprot.Request{
		CID:    a.cid,
		Params: params,
		Token:  a.tokenJSON(),
		Query:  query,
		IsHTTP: true,
	}, nil, nil)
	r, meta, err := parseMetaResponse(data, err)
	if err == nil && method == "new" && r.Resource == nil {
		// Protocol 1.1 services answer a new call with a bare reference.
		if ref, ok := legacyNewResult(r.Result); ok {
			a.log.Warn("gateway: deprecated: resource reference as result of a new call; use a resource response")
			r.Resource = &resprot.ResourceRef{RID: ref}
		}
	}
	href := resourcePath(r, a.g.cfg.APIPath)
	if st := a.applyMeta(meta); st != 0 {
		a.respondStatus(st, href, err)
		return
	}
	switch {
	case err != nil:
		a.respondError(err)
	case href != "":
		a.writeHeader()
		a.w.Header().Set("Location", href)
		a.w.WriteHeader(http.StatusOK)
	case resprot.IsNull(r.Result):
		a.writeHeader()
		a.w.WriteHeader(http.StatusNoContent)
	default:
		a.respondBody(r.Result)
	}
}

// legacyNewResult reports whether result is a bare reference, {"rid":..},
// and returns its resource ID.
func legacyNewResult(result json.RawMessage) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(result, &m) != nil || len(m) != 1 {
		return "", false
	}
	var rid string
	if json.Unmarshal(m["rid"], &rid) != nil || !resprot.IsValidRID(rid) {
		return "", false
	}
	return rid, true
}

// resourcePath returns the path of the resource of a resource response,
// or "" for any other response.
func resourcePath(r *resprot.Response, apiPath string) string {
	if r == nil || r.Resource == nil {
		return ""
	}
	return ridToPath(r.Resource.RID, apiPath)
}

// writeHeader adds the meta headers to the response.
func (a *apiRequest) writeHeader() {
	h := a.w.Header()
	for k, v := range a.header {
		h[k] = v
	}
}

// respondBody answers 200 with a JSON body.
func (a *apiRequest) respondBody(body []byte) {
	a.writeHeader()
	a.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	a.w.WriteHeader(http.StatusOK)
	_, _ = a.w.Write(body)
}

// respondError answers with err and the status its code maps to. A method
// that a PUT, DELETE or PATCH request was mapped to and the service does
// not have makes the HTTP method not allowed.
func (a *apiRequest) respondError(err error) {
	if errors.Is(err, errCanceled) || errors.Is(err, errAnswered) {
		return
	}
	a.writeHeader()
	if errors.Is(err, resprot.ErrMethodNotFound) {
		switch a.r.Method {
		case http.MethodPut, http.MethodDelete, http.MethodPatch:
			err = resprot.ErrMethodNotAllowed
		}
	}
	writeAPIError(a.w, err)
}

// respondStatus answers with the status a service set in a meta: a
// redirect to the meta's Location or else to href, or an error response
// with err or, without one, the error that matches the status.
func (a *apiRequest) respondStatus(status int, href string, err error) {
	if errors.Is(err, errCanceled) {
		return
	}
	a.writeHeader()
	if status < 400 {
		if href != "" && a.w.Header().Get("Location") == "" {
			a.w.Header().Set("Location", href)
		}
		a.w.WriteHeader(status)
		return
	}
	e := resprot.ToError(err)
	if e == nil {
		e = statusError(status)
	}
	writeHTTPError(a.w, status, e)
}
