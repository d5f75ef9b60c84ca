package res

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/reskit/res/resprot"
)

// AccessRequest is an access request: what the client connection CID may
// do with the resource. Reply with Access, AccessGranted, AccessDenied or
// an error.
type AccessRequest interface {
	Resource
	CID() string
	RawToken() json.RawMessage
	ParseToken(v any) error
	IsHTTP() bool
	SetResponseStatus(code int) error
	ResponseHeader() http.Header
	Access(get bool, call string) error
	AccessGranted() error
	AccessDenied() error
	NotFound() error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
}

// ModelRequest is a get request for a model. Reply with Model (or
// QueryModel for a query resource) or an error.
type ModelRequest interface {
	Resource
	Model(v any) error
	QueryModel(v any, query string) error
	NotFound() error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
	// ForValue reports whether the request was made by Resource.Value
	// rather than by a gateway; the reply is then not sent anywhere.
	ForValue() bool
}

// CollectionRequest is a get request for a collection. Reply with
// Collection (or QueryCollection for a query resource) or an error.
type CollectionRequest interface {
	Resource
	Collection(v any) error
	QueryCollection(v any, query string) error
	NotFound() error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
	ForValue() bool
}

// GetRequest is a get request for a resource that may be a model or a
// collection.
type GetRequest interface {
	Resource
	Model(v any) error
	QueryModel(v any, query string) error
	Collection(v any) error
	QueryCollection(v any, query string) error
	NotFound() error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
	ForValue() bool
}

// CallRequest is a call request for Method. Reply with OK, with Resource
// (a reference to a resource, such as one the call created) or an error.
type CallRequest interface {
	Resource
	Method() string
	CID() string
	RawParams() json.RawMessage
	RawToken() json.RawMessage
	ParseParams(v any) error
	ParseToken(v any) error
	IsHTTP() bool
	SetResponseStatus(code int) error
	ResponseHeader() http.Header
	OK(result any) error
	Resource(rid string) error
	NotFound() error
	MethodNotFound() error
	InvalidParams(msg string) error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
}

// AuthRequest is an auth request: a call that needs no access, and that
// also carries the HTTP request the client connected with. TokenEvent sets
// the connection's token; send it before the reply.
type AuthRequest interface {
	CallRequest
	Header() http.Header
	Host() string
	RemoteAddr() string
	URI() string
	TokenEvent(token any) error
}

// NewRequest is a call request for the method "new".
//
// Deprecated: the "new" method is deprecated since RES protocol 1.2.0.
type NewRequest interface {
	Resource
	CID() string
	RawParams() json.RawMessage
	RawToken() json.RawMessage
	ParseParams(v any) error
	ParseToken(v any) error
	New(rid Ref) error
	NotFound() error
	MethodNotFound() error
	InvalidParams(msg string) error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
}

// QueryRequest is a request from a gateway, sent after a query event, for
// the changes to one query of the resource (its Query). Describe them with
// ChangeEvent, AddEvent and RemoveEvent, which are collected into the reply
// instead of being sent; or reply with the whole new Model or Collection,
// or with an error. A QueryRequest with no event and no reply answers that
// nothing changed.
type QueryRequest interface {
	Resource
	Model(v any) error
	Collection(v any) error
	NotFound() error
	InvalidQuery(msg string) error
	Error(err error) error
	Timeout(d time.Duration) error
}

// Request types.
const (
	typeAccess = "access"
	typeGet    = "get"
	typeCall   = "call"
	typeAuth   = "auth"
	typeQuery  = "query"
)

// Request is a request to a service, and also a handle on the resource it
// is for. Handlers see it through one of the narrow interfaces above
// (AccessRequest, CallRequest, ...); a Resource given by Service.With is a
// Request that cannot be replied to.
//
// A Request is owned by the goroutine running its handler and must not be
// used after the handler returns.
type Request struct {
	resource

	rtype   string // typeAccess ... typeQuery, or "" for no request
	method  string
	reply   string // reply subject
	data    []byte // the payload, until handleRequest decodes it into req
	req     resprot.Request
	replied bool

	status   int         // meta status, when IsHTTP
	header   http.Header // meta header, when IsHTTP
	parseErr *Error      // from ParseParams or ParseToken

	forValue bool // made by Value: the reply is kept, not sent
	value    any
	valueErr error

	events []resprot.EventEntry // collected by a query request
}

// Method returns the method of a call or auth request.
func (r *Request) Method() string { return r.method }

// CID returns the connection ID of the client that made the request.
func (r *Request) CID() string { return r.req.CID }

// RawParams returns the params of a call or auth request as JSON, or nil.
func (r *Request) RawParams() json.RawMessage { return r.req.Params }

// RawToken returns the access token of the client connection as JSON, or
// nil when the connection has none.
func (r *Request) RawToken() json.RawMessage { return r.req.Token }

// Header returns the HTTP header of the client connection (auth requests).
func (r *Request) Header() http.Header { return r.req.Header }

// Host returns the host the client connected to (auth requests).
func (r *Request) Host() string { return r.req.Host }

// RemoteAddr returns the network address of the client (auth requests).
func (r *Request) RemoteAddr() string { return r.req.RemoteAddr }

// URI returns the request URI the client connected with (auth requests).
func (r *Request) URI() string { return r.req.URI }

// IsHTTP reports whether the request comes from an HTTP request, so that
// SetResponseStatus and ResponseHeader take effect.
func (r *Request) IsHTTP() bool { return r.req.IsHTTP }

// ForValue reports whether the request was made by Resource.Value.
func (r *Request) ForValue() bool { return r.forValue }

// ParseParams decodes the params of the request into v. Absent or null
// params leave v as it is. Params that do not decode give a
// system.invalidParams *Error, which the client gets if the handler
// returns it with Error, or returns without replying.
func (r *Request) ParseParams(v any) error {
	if resprot.IsNull(r.req.Params) {
		return nil
	}
	if err := json.Unmarshal(r.req.Params, v); err != nil {
		r.parseErr = &Error{Code: CodeInvalidParams, Message: "Invalid parameters: " + err.Error()}
		r.s.logger.Info("res: invalid params", "subject", r.subject(), "error", err)
		return r.parseErr
	}
	return nil
}

// ParseToken decodes the access token into v. An absent or null token
// leaves v as it is. A token that does not decode gives a
// system.internalError *Error, handled as for ParseParams.
func (r *Request) ParseToken(v any) error {
	if resprot.IsNull(r.req.Token) {
		return nil
	}
	if err := json.Unmarshal(r.req.Token, v); err != nil {
		r.parseErr = &Error{Code: CodeInternalError, Message: "Internal error: invalid token: " + err.Error()}
		r.s.logger.Info("res: invalid token", "subject", r.subject(), "error", err)
		return r.parseErr
	}
	return nil
}

// ParseParams decodes the params of a call, auth or new request into a T.
// It is the typed form of r.ParseParams:
//
//	p, err := res.ParseParams[struct{ Title string }](r)
//	if err != nil {
//		return // the client gets system.invalidParams
//	}
func ParseParams[T any](r interface{ RawParams() json.RawMessage }) (T, error) {
	var v T
	if pr, ok := r.(interface{ ParseParams(any) error }); ok {
		err := pr.ParseParams(&v)
		return v, err
	}
	if resprot.IsNull(r.RawParams()) {
		return v, nil
	}
	if err := json.Unmarshal(r.RawParams(), &v); err != nil {
		return v, &Error{Code: CodeInvalidParams, Message: "Invalid parameters: " + err.Error()}
	}
	return v, nil
}

// ParseToken decodes the access token of a request into a T. It is the
// typed form of r.ParseToken.
func ParseToken[T any](r interface{ RawToken() json.RawMessage }) (T, error) {
	var v T
	if pr, ok := r.(interface{ ParseToken(any) error }); ok {
		err := pr.ParseToken(&v)
		return v, err
	}
	if resprot.IsNull(r.RawToken()) {
		return v, nil
	}
	if err := json.Unmarshal(r.RawToken(), &v); err != nil {
		return v, &Error{Code: CodeInternalError, Message: "Internal error: invalid token: " + err.Error()}
	}
	return v, nil
}

// SetResponseStatus sets the HTTP status of the response a gateway gives
// an HTTP client (the meta object of RES protocol 1.2.3). It applies to
// access, call and auth requests for which IsHTTP is true, and must be
// called before the reply.
func (r *Request) SetResponseStatus(code int) error {
	if err := r.checkMeta(); err != nil {
		return err
	}
	if code < 100 || code > 999 {
		return fmt.Errorf("res: invalid response status %d", code)
	}
	r.status = code
	return nil
}

// ResponseHeader returns the HTTP header that a gateway sets on its
// response to an HTTP client (the meta object of RES protocol 1.2.3). It
// is sent with the reply to access, call and auth requests for which
// IsHTTP is true, and ignored otherwise.
func (r *Request) ResponseHeader() http.Header {
	if r.header == nil {
		r.header = make(http.Header)
	}
	return r.header
}

func (r *Request) checkMeta() error {
	switch {
	case r.rtype != typeAccess && r.rtype != typeCall && r.rtype != typeAuth:
		return errors.New("res: response meta on a request that is not access, call or auth")
	case !r.req.IsHTTP:
		return errors.New("res: response meta on a request that is not over HTTP")
	case r.replied:
		return ErrReplied
	}
	return nil
}

// OK replies to a call or auth request with a successful result. A nil
// result is sent as null.
func (r *Request) OK(result any) error {
	e := newEncoder()
	e.writeRaw(`{"result":`)
	if err := e.writeValue(result); err != nil {
		e.free()
		return r.replyBadValue(fmt.Errorf("res: result: %w", err))
	}
	return r.send(e)
}

// Resource replies to a call or auth request with a reference to the
// resource rid, such as a resource the call created.
func (r *Request) Resource(rid string) error {
	if !resprot.IsValidRID(rid) {
		return r.replyBadValue(fmt.Errorf("res: invalid resource ID %q", rid))
	}
	e := newEncoder()
	e.writeRaw(`{"resource":{"rid":`)
	e.writeString(rid)
	e.writeRaw("}")
	return r.send(e)
}

// New replies to a new request with a reference to the created resource.
//
// Deprecated: reply to a call request with Resource.
func (r *Request) New(rid Ref) error {
	return r.Resource(string(rid))
}

// Error replies with err: a *Error found in err's chain as it is, any
// other error as system.internalError.
func (r *Request) Error(err error) error {
	if err == nil {
		err = errors.New("nil error")
	}
	return r.sendError(ToError(err))
}

// NotFound replies with system.notFound.
func (r *Request) NotFound() error { return r.sendError(ErrNotFound) }

// MethodNotFound replies with system.methodNotFound.
func (r *Request) MethodNotFound() error { return r.sendError(ErrMethodNotFound) }

// InvalidParams replies with system.invalidParams, with msg as the message
// or the default message if msg is empty.
func (r *Request) InvalidParams(msg string) error {
	if msg == "" {
		return r.sendError(ErrInvalidParams)
	}
	return r.sendError(&Error{Code: CodeInvalidParams, Message: msg})
}

// InvalidQuery replies with system.invalidQuery, with msg as the message or
// the default message if msg is empty.
func (r *Request) InvalidQuery(msg string) error {
	if msg == "" {
		return r.sendError(ErrInvalidQuery)
	}
	return r.sendError(&Error{Code: CodeInvalidQuery, Message: msg})
}

// Access replies to an access request: get tells whether the client may
// get the resource, and call lists the methods it may call, separated by
// commas, "*" for all or "" for none. Access(false, "") replies with
// system.accessDenied.
func (r *Request) Access(get bool, call string) error {
	if !get && call == "" {
		return r.sendError(ErrAccessDenied)
	}
	e := newEncoder()
	switch {
	case !get:
		e.writeRaw(`{"result":{"call":`)
		e.writeString(call)
	case call == "":
		e.writeRaw(`{"result":{"get":true`)
	case call == "*":
		e.writeRaw(`{"result":{"get":true,"call":"*"`)
	default:
		e.writeRaw(`{"result":{"get":true,"call":`)
		e.writeString(call)
	}
	e.writeRaw("}")
	return r.send(e)
}

// AccessGranted replies to an access request with full access: get, and
// every method.
func (r *Request) AccessGranted() error { return r.Access(true, "*") }

// AccessDenied replies with system.accessDenied.
func (r *Request) AccessDenied() error { return r.sendError(ErrAccessDenied) }

// Model replies to a get request with the model v, which must encode as a
// JSON object whose values are RES values (primitives, Ref, SoftRef,
// DataValue).
func (r *Request) Model(v any) error { return r.getReply(v, "", true) }

// QueryModel replies to a get request for a query resource with the model
// v and the normalized query.
func (r *Request) QueryModel(v any, query string) error { return r.getReply(v, query, true) }

// Collection replies to a get request with the collection v, which must
// encode as a JSON array of RES values.
func (r *Request) Collection(v any) error { return r.getReply(v, "", false) }

// QueryCollection replies to a get request for a query resource with the
// collection v and the normalized query.
func (r *Request) QueryCollection(v any, query string) error { return r.getReply(v, query, false) }

func (r *Request) getReply(v any, query string, model bool) error {
	kind, open := "collection", byte('[')
	if model {
		kind, open = "model", '{'
	}
	e := newEncoder()
	e.writeRaw(`{"result":{"`)
	e.writeRaw(kind)
	e.writeRaw(`":`)
	start := e.buf.Len()
	err := e.writeValue(v)
	if raw := e.buf.Bytes()[start:]; err == nil && (len(raw) == 0 || raw[0] != open) {
		err = fmt.Errorf("encodes as %.20s, not a JSON %s", raw, map[bool]string{true: "object", false: "array"}[model])
	}
	if err != nil {
		e.free()
		return r.replyBadValue(fmt.Errorf("res: %s: %w", kind, err))
	}
	if r.forValue {
		e.free()
		if r.replied {
			return ErrReplied
		}
		r.replied = true
		r.value = v
		return nil
	}
	if query != "" && r.rtype != typeQuery {
		e.writeRaw(`,"query":`)
		e.writeString(query)
	}
	e.writeRaw("}")
	return r.send(e)
}

// Timeout sends a pre-response that asks the requester to wait d for the
// reply, counted from when it gets the pre-response. Use it before a reply
// that may take longer than the gateway's request timeout (by default 3
// seconds).
func (r *Request) Timeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("res: negative timeout %v", d)
	}
	if r.reply == "" || r.forValue {
		return ErrNotRequest
	}
	if r.replied {
		return ErrReplied
	}
	return r.s.publish(r.reply, []byte(`timeout:"`+strconv.FormatInt(d.Milliseconds(), 10)+`"`))
}

// TokenEvent sets the access token of the connection that made the auth
// request. A nil token clears it. Send it before the reply.
func (r *Request) TokenEvent(token any) error {
	return r.s.TokenEvent(r.req.CID, token)
}

// replyBadValue replies with system.internalError when a reply value is
// unfit to send (a programming error), logs it and returns it.
func (r *Request) replyBadValue(err error) error {
	r.s.logError(err, "resource", r.rid())
	if e := r.sendError(InternalError(err)); errors.Is(e, ErrReplied) {
		return e
	}
	return err
}

func (r *Request) sendError(e *Error) error {
	if r.forValue {
		if r.replied {
			return ErrReplied
		}
		r.replied = true
		r.valueErr = e
		return nil
	}
	enc := newEncoder()
	enc.writeRaw(`{"error":`)
	if err := enc.writeError(e); err != nil {
		enc.free()
		return r.replyBadValue(fmt.Errorf("res: %w", err))
	}
	return r.send(enc)
}

// send sends the reply, once: the response object that e holds, opened
// and with its first member written; send adds the meta object if there is
// one, and closes it. It frees e.
func (r *Request) send(e *encoder) error {
	defer e.free()
	if r.reply == "" {
		return ErrNotRequest
	}
	if r.replied {
		r.s.logError(ErrReplied, "subject", r.subject())
		return ErrReplied
	}
	r.replied = true
	if r.req.IsHTTP && (r.status != 0 || len(r.header) > 0) &&
		(r.rtype == typeAccess || r.rtype == typeCall || r.rtype == typeAuth) {
		e.writeRaw(`,"meta":`)
		if err := e.writeValue(resprot.Meta{Status: r.status, Header: r.header}); err != nil {
			return fmt.Errorf("res: encoding reply: %w", err)
		}
	}
	e.writeRaw("}")
	return r.s.publish(r.reply, e.buf.Bytes())
}

// subject returns the subject the request came on, for logs.
func (r *Request) subject() string {
	switch r.rtype {
	case typeCall, typeAuth:
		return r.rtype + "." + r.rname + "." + r.method
	case typeQuery:
		return "query." + r.rid()
	}
	return r.rtype + "." + r.rname
}

// run calls fn, the request's handler, and makes sure the request gets
// exactly one reply: a handler that panics or returns without replying
// gets an error sent for it.
func (r *Request) run(fn func()) {
	defer func() {
		v := recover()
		if v == nil {
			if !r.replied {
				if r.parseErr != nil {
					_ = r.sendError(r.parseErr)
					return
				}
				r.s.logError(errors.New("res: handler returned without replying"), "subject", r.subject())
				_ = r.sendError(&Error{Code: CodeInternalError, Message: "Internal error: missing response"})
			}
			return
		}
		var rerr *Error
		if err, ok := v.(error); ok && errors.As(err, &rerr) {
			if !r.replied {
				_ = r.sendError(rerr)
				return
			}
		}
		r.s.logError(fmt.Errorf("res: handler panicked: %v", v), "subject", r.subject(), "stack", string(debug.Stack()))
		if !r.replied {
			_ = r.sendError(ErrInternalError)
		}
	}()
	fn()
}

// withContext gives the request its context, with the service's request
// timeout if one is set, and returns the function that releases it.
func (r *Request) withContext() context.CancelFunc {
	if d := r.s.requestTimeout; d > 0 {
		ctx, cancel := context.WithTimeout(r.s.ctx, d)
		r.ctx = ctx
		if d > gatewayTimeout && r.reply != "" {
			_ = r.Timeout(d)
		}
		return cancel
	}
	r.ctx = r.s.ctx
	return func() {}
}
