package res

import (
	"context"
	"errors"
	"net/url"
)

// Resource is a handle on one resource: its name, query and path
// parameters, and the events that describe its changes. Every request is a
// Resource; Service.With gives one outside a request.
//
// A Resource belongs to the goroutine running on its queue (see the
// package documentation, section Concurrency). Do not keep it, or use it
// from another goroutine, after the handler or callback that got it
// returns.
type Resource interface {
	// Service returns the service the resource belongs to.
	Service() *Service
	// ResourceName returns the resource ID without its query.
	ResourceName() string
	// ResourceType returns the type set by the handler's options.
	ResourceType() ResourceType
	// PathParams returns the path parameters by name. Do not modify it.
	PathParams() map[string]string
	// PathParam returns the path parameter key, or "" if there is none.
	PathParam(key string) string
	// Query returns the query part of the resource ID, without '?'.
	Query() string
	// ParseQuery parses Query as a URL query; a malformed query gives the
	// values that could be parsed.
	ParseQuery() url.Values
	// Group returns the name of the queue the resource runs on.
	Group() string
	// Context returns the context of the request, or the service's
	// context outside a request. It is cancelled when the service shuts
	// down, and has a deadline when the service has a request timeout.
	Context() context.Context

	// Value runs the resource's get handler, without sending anything,
	// and returns what it replied with: the value given to Model or
	// Collection, or the error. It may not be called from a get handler.
	Value() (any, error)
	// RequireValue is Value that panics with the error. In a handler, the
	// panic replies with the error.
	RequireValue() any

	// Event sends a custom event. Names the protocol reserves (change,
	// add, remove, create, delete, reaccess, query, patch, reset,
	// unsubscribe) are rejected.
	Event(name string, payload any) error
	// ChangeEvent sends a model change event with the changed properties
	// and their new values (DeleteAction for a deleted property), after
	// running the ApplyChange hook. Empty changes send nothing, and so
	// does a non-nil but empty map returned by ApplyChange.
	ChangeEvent(changes map[string]any) error
	// AddEvent sends a collection add event: value inserted at idx.
	AddEvent(value any, idx int) error
	// RemoveEvent sends a collection remove event: the value at idx
	// removed.
	RemoveEvent(idx int) error
	// ReaccessEvent tells gateways that access to the resource changed.
	ReaccessEvent() error
	// ResetEvent sends a system.reset for the resource, so that gateways
	// get it again.
	ResetEvent() error
	// CreateEvent sends a create event, after the ApplyCreate hook gets
	// data. The event itself has no payload.
	CreateEvent(data any) error
	// DeleteEvent sends a delete event, after running the ApplyDelete
	// hook.
	DeleteEvent() error
	// QueryEvent tells gateways that query resources of this resource
	// name may have changed. Gateways then send a query request for each
	// query they hold; cb is called for each, on the resource's queue,
	// and once with nil when the service stops taking them (after the
	// query event duration).
	QueryEvent(cb func(QueryRequest)) error
}

// resource is the state that every Request has as a Resource.
type resource struct {
	s         *Service
	rname     string
	query     string
	pat       *pattern          // the pattern of the handler, nil if none
	pname     string            // rname relative to the router of pat
	params    map[string]string // made by PathParams when first called
	group     string
	h         *Handler
	listeners []func(*Event)
	ctx       context.Context
	inGet     bool // running a get handler: Value may not be called
}

// Service returns the service the resource belongs to.
func (r *resource) Service() *Service { return r.s }

// ResourceName returns the resource ID without its query.
func (r *resource) ResourceName() string { return r.rname }

// ResourceType returns the type set by the handler's options.
func (r *resource) ResourceType() ResourceType {
	if r.h == nil {
		return TypeUnset
	}
	return r.h.Type
}

// PathParams returns the path parameters by name.
func (r *resource) PathParams() map[string]string {
	if r.params == nil && r.pat != nil {
		r.params = r.pat.params(r.pname)
	}
	return r.params
}

// PathParam returns the path parameter key, or "" if there is none.
func (r *resource) PathParam(key string) string {
	if r.pat == nil {
		return ""
	}
	return r.pat.param(r.pname, key)
}

// Query returns the query part of the resource ID, without '?'.
func (r *resource) Query() string { return r.query }

// ParseQuery parses Query as a URL query.
func (r *resource) ParseQuery() url.Values {
	v, _ := url.ParseQuery(r.query)
	return v
}

// Group returns the name of the queue the resource runs on.
func (r *resource) Group() string { return r.group }

// Context returns the context of the request or of the service.
func (r *resource) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

func (r *resource) rid() string {
	if r.query == "" {
		return r.rname
	}
	return r.rname + "?" + r.query
}

// Value runs the get handler and returns the value it replied with.
func (r *Request) Value() (any, error) {
	if r.inGet {
		return nil, errors.New("res: Value called from a get handler")
	}
	if r.h == nil || r.h.Get == nil {
		return nil, ErrNotFound
	}
	vr := &Request{resource: r.resource, rtype: typeGet, forValue: true}
	vr.inGet = true
	func() {
		defer func() {
			if v := recover(); v != nil {
				var rerr *Error
				if err, ok := v.(error); ok && errors.As(err, &rerr) {
					vr.valueErr = rerr
				} else {
					vr.valueErr = ErrInternalError
					r.s.logError(errors.New("res: get handler panicked in Value"), "resource", r.rid(), "panic", v)
				}
				vr.replied = true
			}
		}()
		r.h.Get(vr)
	}()
	if !vr.replied {
		return nil, &Error{Code: CodeInternalError, Message: "Internal error: missing response"}
	}
	if vr.valueErr != nil {
		return nil, vr.valueErr
	}
	return vr.value, nil
}

// RequireValue is Value that panics with the error.
func (r *Request) RequireValue() any {
	v, err := r.Value()
	if err != nil {
		panic(ToError(err))
	}
	return v
}
