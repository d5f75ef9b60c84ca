package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reskit/res/resprot"
)

// apiHandler serves the HTTP API under Config.APIPath. It is a transport
// of its own beside the WebSocket one: GET and HEAD requests get a
// resource, with the resources it references, through the cache that
// WebSocket clients share; POST requests (and PUT, DELETE and PATCH when
// mapped) call a method.
//
// Every request acts as a short-lived client connection with a connection
// ID of its own, used in the access, call and auth requests it sends.
// With Config.HeaderAuth, the only case where a token event can affect an
// HTTP request, a request takes the token events for its ID from the
// gateway's tokenRouter while it is served.
type apiHandler struct {
	g *Gateway
}

func (h *apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := h.g
	originOK := g.setCORSHeaders(w.Header(), r)
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", g.allowMethods())
		if rh := r.Header["Access-Control-Request-Headers"]; len(rh) > 0 {
			w.Header().Set("Access-Control-Allow-Headers", strings.Join(rh, ", "))
		}
		return
	}
	if !originOK {
		writeAPIError(w, errForbiddenOrigin)
		return
	}

	path := r.URL.EscapedPath()
	apiPath := g.cfg.APIPath
	if len(path) > len(apiPath) && path[len(path)-1] == '/' {
		writeAPIError(w, resprot.ErrNotFound)
		return
	}
	var rid, method string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		rid = pathToRID(path, r.URL.RawQuery, apiPath)
		if rid == "" {
			writeAPIError(w, resprot.ErrNotFound)
			return
		}
		h.serve(w, r, func(a *apiRequest) { a.get(rid) })
		return
	case http.MethodPost:
		rid, method = pathToRIDMethod(path, r.URL.RawQuery, apiPath)
	case http.MethodPut, http.MethodDelete, http.MethodPatch:
		method = g.mappedMethod(r.Method)
		if method == "" {
			writeAPIError(w, resprot.ErrMethodNotAllowed)
			return
		}
		rid = pathToRID(path, r.URL.RawQuery, apiPath)
	default:
		writeAPIError(w, resprot.ErrMethodNotAllowed)
		return
	}
	if rid == "" || !resprot.IsValidPart(method) {
		writeAPIError(w, resprot.ErrNotFound)
		return
	}
	// The body must come within ReadTimeout; the reply may take longer.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(g.cfg.ReadTimeout))
	params, err := readParams(w, r, h.maxBody())
	if err != nil {
		writeAPIError(w, err)
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	h.serve(w, r, func(a *apiRequest) { a.call(rid, method, params) })
}

// readParams reads the body of a call request: JSON that becomes the
// call's params, or nothing (params null).
func readParams(w http.ResponseWriter, r *http.Request, limit int64) (json.RawMessage, error) {
	body := r.Body
	if limit > 0 {
		body = http.MaxBytesReader(w, r.Body, limit)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, &resprot.Error{Code: resprot.CodeBadRequest, Message: "Error reading request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var params json.RawMessage
	if err := json.Unmarshal(b, &params); err != nil {
		return nil, &resprot.Error{Code: resprot.CodeBadRequest, Message: "Error decoding request body: " + err.Error()}
	}
	return params, nil
}

// maxBody returns the largest body a call request may have: the NATS
// server's maximum payload, which no request can exceed anyway. Zero
// means unknown.
func (h *apiHandler) maxBody() int64 {
	g := h.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.nc == nil {
		return 0
	}
	return g.nc.MaxPayload()
}

// mappedMethod returns the call method HTTP method m is mapped to, or ""
// when it is not mapped.
func (g *Gateway) mappedMethod(m string) string {
	switch m {
	case http.MethodPut:
		return g.cfg.PUTMethod
	case http.MethodDelete:
		return g.cfg.DELETEMethod
	case http.MethodPatch:
		return g.cfg.PATCHMethod
	}
	return ""
}

// allowMethods returns the value of Access-Control-Allow-Methods.
func (g *Gateway) allowMethods() string {
	s := "GET, HEAD, OPTIONS, POST"
	if g.cfg.PUTMethod != "" {
		s += ", PUT"
	}
	if g.cfg.DELETEMethod != "" {
		s += ", DELETE"
	}
	if g.cfg.PATCHMethod != "" {
		s += ", PATCH"
	}
	return s
}

// pathToRID returns the resource ID that the escaped URL path names under
// prefix, with query appended after a '?', or "" when the path names
// none. Each segment of the path is unescaped and becomes one part of the
// resource name:
//
//	/api/library/books        library.books
//	/api/library/books?q=a    library.books?q=a
//	/api/user/john%20doe      invalid: a space is not allowed in a name
//	/api/library.books        invalid: a literal '.' in the path
//	/api/library//books       invalid: an empty segment
//	/api/                     invalid: no resource
func pathToRID(path, query, prefix string) string {
	parts := pathParts(path, prefix)
	if parts == nil {
		return ""
	}
	rid := resprot.JoinRID(strings.Join(parts, "."), query)
	if !resprot.IsValidRID(rid) {
		return ""
	}
	return rid
}

// pathToRIDMethod returns the resource ID and the method that a call
// request's path names: the last segment is the method.
func pathToRIDMethod(path, query, prefix string) (rid, method string) {
	parts := pathParts(path, prefix)
	if len(parts) < 2 {
		return "", ""
	}
	rid = resprot.JoinRID(strings.Join(parts[:len(parts)-1], "."), query)
	method = parts[len(parts)-1]
	if !resprot.IsValidRID(rid) || !resprot.IsValidPart(method) {
		return "", ""
	}
	return rid, method
}

// pathParts returns the unescaped segments of path after prefix, or nil
// when path does not start with prefix, names nothing, holds a literal
// '.', or has a segment that is not properly escaped.
func pathParts(path, prefix string) []string {
	if len(path) <= len(prefix) || !strings.HasPrefix(path, prefix) {
		return nil
	}
	path = path[len(prefix):]
	if strings.IndexByte(path, '.') >= 0 {
		return nil
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil {
			return nil
		}
		parts[i] = s
	}
	return parts
}

// ridToPath returns the path of resource rid under prefix, the inverse
// of pathToRID: each part of the name is escaped and becomes a segment.
// The query, if any, is escaped into the last segment, as Resgate does.
func ridToPath(rid, prefix string) string {
	if rid == "" {
		return ""
	}
	return prefix + strings.ReplaceAll(url.PathEscape(rid), ".", "/")
}

// apiDefaults checks the HTTP API's settings and fills in their defaults.
func (c *Config) apiDefaults() error {
	switch strings.ToLower(c.APIEncoding) {
	case "", "json":
		c.APIEncoding = "json"
	case "jsonflat":
		c.APIEncoding = "jsonflat"
	default:
		return fmt.Errorf("gateway: invalid api encoding %q: want json or jsonflat", c.APIEncoding)
	}
	for _, m := range []struct{ name, v string }{{"put", c.PUTMethod}, {"delete", c.DELETEMethod}, {"patch", c.PATCHMethod}} {
		if m.v != "" && !resprot.IsValidPart(m.v) {
			return fmt.Errorf("gateway: invalid %s method %q: must be a valid call method name", m.name, m.v)
		}
	}
	origins, err := parseOrigins(c.AllowOrigin)
	if err != nil {
		return err
	}
	c.AllowOrigin = origins
	return nil
}

// writeAPIError writes err as the JSON body of an error response, with
// the status its code maps to.
func writeAPIError(w http.ResponseWriter, err error) {
	e := resprot.ToError(err)
	writeHTTPError(w, errorStatus(e), e)
}

// errorStatus returns the HTTP status of an error response with e.
func errorStatus(e *resprot.Error) int {
	switch e.Code {
	case resprot.CodeNotFound, resprot.CodeMethodNotFound, resprot.CodeTimeout:
		return http.StatusNotFound
	case resprot.CodeAccessDenied:
		return http.StatusUnauthorized
	case resprot.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case resprot.CodeInternalError:
		return http.StatusInternalServerError
	case resprot.CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	case resprot.CodeForbidden:
		return http.StatusForbidden
	case resprot.CodeSubjectTooLong:
		return http.StatusRequestURITooLong
	}
	return http.StatusBadRequest
}
