package res

import (
	"fmt"

	"github.com/reskit/res/resprot"
)

// ResourceType is the type of a resource: a model or a collection.
type ResourceType int

// Resource types.
const (
	TypeUnset ResourceType = iota
	TypeModel
	TypeCollection
)

// String returns "model", "collection" or "unset".
func (t ResourceType) String() string {
	switch t {
	case TypeModel:
		return "model"
	case TypeCollection:
		return "collection"
	}
	return "unset"
}

// Handler functions. Each is called on the resource's queue (see the
// package documentation, section Concurrency) and must reply to the
// request before it returns: a handler that returns without replying makes
// the service send system.internalError and log an error.
type (
	// AccessHandler answers an access request: what a client connection may
	// do with a resource.
	AccessHandler func(AccessRequest)
	// GetHandler answers a get request for a model or a collection.
	GetHandler func(GetRequest)
	// ModelHandler answers a get request for a model.
	ModelHandler func(ModelRequest)
	// CollectionHandler answers a get request for a collection.
	CollectionHandler func(CollectionRequest)
	// CallHandler answers a call request.
	CallHandler func(CallRequest)
	// AuthHandler answers an auth request.
	AuthHandler func(AuthRequest)
	// NewHandler answers a call request for the method "new" (deprecated in
	// RES protocol 1.2.0: reply to a call with Resource instead).
	NewHandler func(NewRequest)
)

// Apply hooks, run before the matching event is sent, so that a change can
// be stored (and undone) in one place. An error from a hook stops the event
// and is returned by the event method.
type (
	// ApplyChangeHandler applies changes to a model and returns the values
	// the changed properties had before, with DeleteAction for properties
	// that did not exist. Only the properties in the returned map are sent
	// in the event, so a property set to the value it had is left out; a
	// non-nil but empty map means nothing changed: no event is sent. A nil
	// map sends all the changes.
	ApplyChangeHandler func(r Resource, changes map[string]any) (map[string]any, error)
	// ApplyAddHandler inserts value at idx in a collection.
	ApplyAddHandler func(r Resource, value any, idx int) error
	// ApplyRemoveHandler removes the value at idx from a collection and
	// returns it.
	ApplyRemoveHandler func(r Resource, idx int) (any, error)
	// ApplyCreateHandler creates the resource from data.
	ApplyCreateHandler func(r Resource, data any) error
	// ApplyDeleteHandler deletes the resource and returns its last value.
	ApplyDeleteHandler func(r Resource) (any, error)
)

// AccessGranted is an AccessHandler that grants full access: get, and
// calling every method.
var AccessGranted AccessHandler = func(r AccessRequest) { _ = r.AccessGranted() }

// AccessDenied is an AccessHandler that denies all access.
var AccessDenied AccessHandler = func(r AccessRequest) { _ = r.AccessDenied() }

// Handler holds what serves one pattern: request handlers, apply hooks and
// how requests are queued. It is usually built with options passed to
// Handle, but any value with a SetOption method is an Option, which lets a
// type bundle several settings.
type Handler struct {
	// Type is the resource type, set by Model, Collection, GetModel and
	// GetCollection. Events check it: a change event on a collection is an
	// error, and so is an add or remove event on a model.
	Type ResourceType

	Access AccessHandler
	Get    GetHandler
	// Call and Auth map method names to handlers; the method "*" serves
	// every method without a handler of its own.
	Call map[string]CallHandler
	Auth map[string]AuthHandler
	// New, when set, serves call requests for the method "new" before Call.
	New NewHandler

	ApplyChange ApplyChangeHandler
	ApplyAdd    ApplyAddHandler
	ApplyRemove ApplyRemoveHandler
	ApplyCreate ApplyCreateHandler
	ApplyDelete ApplyDeleteHandler

	// Group names the queue on which requests for the resource run. It may
	// hold ${name} tags, replaced by path parameters. Empty means the
	// resource name (without query).
	Group string
	// Parallel lets requests for the resource run concurrently, each on
	// its own; Group is then ignored.
	Parallel bool

	// OnRegister is called when the handler is registered on a service,
	// with the full pattern, service name included.
	OnRegister func(s *Service, pattern string)

	set optionSlots
}

// optionSlots records which single-valued options were given, so that
// setting one twice panics.
type optionSlots uint8

const (
	slotParallel optionSlots = 1 << iota
	slotGroup
	slotType
)

// Option configures a Handler. It is the net/http Handler shape: a
// one-method interface, with OptionFunc as the function adapter.
type Option interface {
	SetOption(h *Handler)
}

// OptionFunc adapts a function to an Option.
type OptionFunc func(h *Handler)

// SetOption calls f(h).
func (f OptionFunc) SetOption(h *Handler) { f(h) }

func optionPanic(format string, args ...any) {
	panic("res: " + fmt.Sprintf(format, args...))
}

func setType(h *Handler, t ResourceType, opt string) {
	if h.set&slotType != 0 && h.Type != t {
		optionPanic("%s: resource type already set to %s", opt, h.Type)
	}
	h.set |= slotType
	h.Type = t
}

func setGet(h *Handler, g GetHandler, opt string) {
	if g == nil {
		optionPanic("%s: nil handler", opt)
	}
	if h.Get != nil {
		optionPanic("%s: get handler already set", opt)
	}
	h.Get = g
}

// Access sets the handler for access requests.
func Access(fn AccessHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil {
			optionPanic("Access: nil handler")
		}
		if h.Access != nil {
			optionPanic("Access: access handler already set")
		}
		h.Access = fn
	})
}

// GetModel sets the get handler and marks the resource as a model.
func GetModel(fn ModelHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil {
			optionPanic("GetModel: nil handler")
		}
		setType(h, TypeModel, "GetModel")
		setGet(h, func(r GetRequest) { fn(r) }, "GetModel")
	})
}

// GetCollection sets the get handler and marks the resource as a
// collection.
func GetCollection(fn CollectionHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil {
			optionPanic("GetCollection: nil handler")
		}
		setType(h, TypeCollection, "GetCollection")
		setGet(h, func(r GetRequest) { fn(r) }, "GetCollection")
	})
}

// GetResource sets a get handler that may answer with a model or a
// collection, for patterns that match both, such as "cache.>".
func GetResource(fn GetHandler) Option {
	return OptionFunc(func(h *Handler) { setGet(h, fn, "GetResource") })
}

// Model marks the resource as a model.
var Model Option = OptionFunc(func(h *Handler) {
	if h.set&slotType != 0 {
		optionPanic("Model: resource type already set to %s", h.Type)
	}
	setType(h, TypeModel, "Model")
})

// Collection marks the resource as a collection.
var Collection Option = OptionFunc(func(h *Handler) {
	if h.set&slotType != 0 {
		optionPanic("Collection: resource type already set to %s", h.Type)
	}
	setType(h, TypeCollection, "Collection")
})

func validMethod(m string) bool { return m == "*" || resprot.IsValidPart(m) }

// Call sets the handler for call requests for method. The method "*"
// serves every method that has no handler of its own.
func Call(method string, fn CallHandler) Option {
	return OptionFunc(func(h *Handler) {
		if !validMethod(method) {
			optionPanic("Call: invalid method name %q", method)
		}
		if fn == nil {
			optionPanic("Call(%q): nil handler", method)
		}
		if h.Call[method] != nil {
			optionPanic("Call(%q): handler already set", method)
		}
		if h.Call == nil {
			h.Call = make(map[string]CallHandler)
		}
		h.Call[method] = fn
	})
}

// Set sets the handler for call requests for the method "set", which
// updates a model's properties. It is short for Call("set", fn).
func Set(fn CallHandler) Option { return Call("set", fn) }

// Auth sets the handler for auth requests for method. The method "*"
// serves every method that has no handler of its own.
func Auth(method string, fn AuthHandler) Option {
	return OptionFunc(func(h *Handler) {
		if !validMethod(method) {
			optionPanic("Auth: invalid method name %q", method)
		}
		if fn == nil {
			optionPanic("Auth(%q): nil handler", method)
		}
		if h.Auth[method] != nil {
			optionPanic("Auth(%q): handler already set", method)
		}
		if h.Auth == nil {
			h.Auth = make(map[string]AuthHandler)
		}
		h.Auth[method] = fn
	})
}

// New sets the handler for call requests for the method "new".
//
// Deprecated: the "new" method is deprecated since RES protocol 1.2.0;
// use Call with a handler that replies with CallRequest.Resource.
func New(fn NewHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil {
			optionPanic("New: nil handler")
		}
		if h.New != nil {
			optionPanic("New: handler already set")
		}
		h.New = fn
	})
}

// Group sets the queue on which the resource's requests and With callbacks
// run, so that several resources can share one queue (and one goroutine at
// a time). The group may hold ${name} tags that are replaced by the path
// parameter name: with the pattern "user.$id.roles", Group("user.${id}")
// puts the roles collection on the same queue as "user.$id".
func Group(group string) Option {
	if _, err := parseGroup(group); err != nil {
		optionPanic("Group(%q): %v", group, err)
	}
	return OptionFunc(func(h *Handler) {
		if h.set&slotGroup != 0 {
			optionPanic("Group(%q): group already set to %q", group, h.Group)
		}
		h.set |= slotGroup
		h.Group = group
	})
}

// Parallel, when true, lets the resource's requests run concurrently with
// each other, each as soon as a worker is free, instead of one at a time.
// Use it for handlers that only read shared state protected by their own
// locks. Group is ignored when Parallel is true.
func Parallel(parallel bool) Option {
	return OptionFunc(func(h *Handler) {
		if h.set&slotParallel != 0 {
			optionPanic("Parallel: already set")
		}
		h.set |= slotParallel
		h.Parallel = parallel
	})
}

// OnRegister adds fn to be called when the handler is registered on a
// service, with the full pattern. Several OnRegister options all run, in
// order.
func OnRegister(fn func(s *Service, pattern string)) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil {
			optionPanic("OnRegister: nil callback")
		}
		prev := h.OnRegister
		if prev == nil {
			h.OnRegister = fn
			return
		}
		h.OnRegister = func(s *Service, pattern string) {
			prev(s, pattern)
			fn(s, pattern)
		}
	})
}

// ApplyChange sets the hook run by ChangeEvent before the event is sent.
func ApplyChange(fn ApplyChangeHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil || h.ApplyChange != nil {
			optionPanic("ApplyChange: nil or already set")
		}
		h.ApplyChange = fn
	})
}

// ApplyAdd sets the hook run by AddEvent before the event is sent.
func ApplyAdd(fn ApplyAddHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil || h.ApplyAdd != nil {
			optionPanic("ApplyAdd: nil or already set")
		}
		h.ApplyAdd = fn
	})
}

// ApplyRemove sets the hook run by RemoveEvent before the event is sent.
func ApplyRemove(fn ApplyRemoveHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil || h.ApplyRemove != nil {
			optionPanic("ApplyRemove: nil or already set")
		}
		h.ApplyRemove = fn
	})
}

// ApplyCreate sets the hook run by CreateEvent before the event is sent.
func ApplyCreate(fn ApplyCreateHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil || h.ApplyCreate != nil {
			optionPanic("ApplyCreate: nil or already set")
		}
		h.ApplyCreate = fn
	})
}

// ApplyDelete sets the hook run by DeleteEvent before the event is sent.
func ApplyDelete(fn ApplyDeleteHandler) Option {
	return OptionFunc(func(h *Handler) {
		if fn == nil || h.ApplyDelete != nil {
			optionPanic("ApplyDelete: nil or already set")
		}
		h.ApplyDelete = fn
	})
}
