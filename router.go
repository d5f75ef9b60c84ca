package res

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Router maps resource-name patterns to handlers. A Service has one at its
// root; more can be built with NewRouter and attached with Mount or Route,
// so that a group of resources can be defined in one place and mounted
// under a path. See the package documentation, section Patterns, for the
// pattern grammar and which pattern wins when several match.
//
// A Router is not safe for concurrent registration. Register every handler
// before the service starts to Serve; Lookup is safe for concurrent use
// once registration is done.
type Router struct {
	root node

	// Set when the router is mounted: registrations are passed on to the
	// parent with the mount path in front.
	parent    *Router
	mountPath string

	// Set on a Service's root router.
	svc *Service
}

// Match is the result of a Lookup: the handler serving a resource name,
// its path parameters and the pattern the handler was registered with,
// relative to the router.
type Match struct {
	Handler   *Handler
	Params    map[string]string
	Pattern   string
	Listeners []func(*Event)
}

// node is one level of the pattern tree: the parts that may follow.
type node struct {
	static    map[string]*node
	param     *node
	paramName string
	paramPat  string // pattern that first put a parameter here
	paramLoc  string // where that pattern was registered
	star      *node
	full      *entry // pattern ending in '>' here
	entry     *entry // pattern ending here
}

// entry is what a pattern holds: a handler and its listeners.
type entry struct {
	pat       pattern
	handler   *Handler
	loc       string // file:line of the Handle call
	listeners []func(*Event)
}

// NewRouter returns an empty Router.
func NewRouter() *Router {
	return &Router{}
}

// Handle registers a handler for pattern, built from opts. It panics if
// pattern is invalid or conflicts with a pattern already registered, or if
// an option is given twice.
//
//	r.Handle("book.$id",
//		res.Access(res.AccessGranted),
//		res.GetModel(getBook),
//		res.Set(setBook),
//	)
func (r *Router) Handle(pattern string, opts ...Option) {
	h := &Handler{}
	for _, o := range opts {
		if o == nil {
			panic(fmt.Sprintf("res: nil option for pattern %q", pattern))
		}
		o.SetOption(h)
	}
	r.insert(pattern, h, nil, callerLoc())
}

// AddListener registers fn to be called with every event sent on a
// resource matching pattern, after the event is sent, on the goroutine that
// sent it. A handler must be registered for the same pattern before the
// service starts.
func (r *Router) AddListener(pattern string, fn func(*Event)) {
	if fn == nil {
		panic(fmt.Sprintf("res: nil listener for pattern %q", pattern))
	}
	r.insert(pattern, nil, fn, callerLoc())
}

// Route creates a Router, mounts it at subpath and calls fn with it to
// register its handlers. It returns the new Router.
//
//	s.Route("library", func(r *res.Router) {
//		r.Handle("books", res.GetCollection(getBooks)) // "library.books"
//		r.Handle("book.$id", res.GetModel(getBook))   // "library.book.$id"
//	})
func (r *Router) Route(subpath string, fn func(*Router)) *Router {
	sub := NewRouter()
	r.Mount(subpath, sub)
	if fn != nil {
		fn(sub)
	}
	return sub
}

// Mount attaches sub at subpath: each pattern p of sub is served as
// subpath + "." + p, and sub's empty pattern as subpath itself. Handlers
// registered on sub after Mount are added too. Mount panics if subpath is
// not a valid pattern, ends with '>', if sub is already mounted, or if a
// pattern of sub conflicts with one already registered.
func (r *Router) Mount(subpath string, sub *Router) {
	if sub == nil {
		panic(fmt.Sprintf("res: mounting nil router at %q", subpath))
	}
	p, err := parsePattern(subpath)
	if err != nil {
		panic(fmt.Sprintf("res: invalid mount path %q: %v", subpath, err))
	}
	if n := len(p.parts); n > 0 && p.parts[n-1].kind == partFull {
		panic(fmt.Sprintf("res: invalid mount path %q: ends with '>'", subpath))
	}
	if sub.parent != nil || sub.svc != nil {
		panic(fmt.Sprintf("res: router mounted at %q is already mounted at %q", subpath, sub.fullPath()))
	}
	for a := r; a != nil; a = a.parent {
		if a == sub {
			panic(fmt.Sprintf("res: mounting router at %q into itself", subpath))
		}
	}
	sub.parent = r
	sub.mountPath = subpath
	sub.root.walk(func(e *entry) {
		if e.handler != nil {
			r.insert(joinPattern(subpath, e.pat.raw), e.handler, nil, e.loc)
		}
		for _, l := range e.listeners {
			r.insert(joinPattern(subpath, e.pat.raw), nil, l, e.loc)
		}
	})
}

// Lookup returns the handler registered for the resource name rname, which
// must be a valid resource name with no query part (the service checks
// names before it looks them up).
func (r *Router) Lookup(rname string) (Match, bool) {
	e := r.lookup(rname)
	if e == nil {
		return Match{}, false
	}
	return Match{
		Handler:   e.handler,
		Params:    e.pat.params(rname),
		Pattern:   e.pat.raw,
		Listeners: e.listeners,
	}, true
}

// lookup returns the entry whose handler serves rname, or nil. Unlike
// Lookup, it allocates nothing: the path parameters are left for
// pattern.param to find when they are asked for.
func (r *Router) lookup(rname string) *entry {
	return r.root.match(rname, rname == "")
}

// fullPath returns the path at which r is mounted, from the topmost router.
func (r *Router) fullPath() string {
	path := ""
	for a := r; a.parent != nil; a = a.parent {
		path = joinPattern(a.mountPath, path)
	}
	return path
}

// insert adds a handler or a listener for the pattern s, and passes it on
// to the parent router, if any.
func (r *Router) insert(s string, h *Handler, listener func(*Event), loc string) {
	p, err := parsePattern(s)
	if err != nil {
		panic(fmt.Sprintf("res: invalid pattern %q: %v", r.display(s), err))
	}
	if r.svc != nil {
		r.svc.checkRegister(p, h)
	}
	n := &r.root
	for _, part := range p.parts {
		switch part.kind {
		case partLiteral:
			c := n.static[part.value]
			if c == nil {
				c = &node{}
				if n.static == nil {
					n.static = make(map[string]*node)
				}
				n.static[part.value] = c
			}
			n = c
		case partParam:
			if n.param == nil {
				n.param = &node{}
				n.paramName = part.value
				n.paramPat = s
				n.paramLoc = loc
			} else if n.paramName != part.value {
				panic(fmt.Sprintf("res: pattern %q (%s) conflicts with %q (%s): parameter $%s and $%s at the same position",
					r.display(s), loc, r.display(n.paramPat), n.paramLoc, part.value, n.paramName))
			}
			n = n.param
		case partStar:
			if n.star == nil {
				n.star = &node{}
			}
			n = n.star
		case partFull:
			if n.full == nil {
				n.full = &entry{pat: p}
			}
			n.full.add(r, p, h, listener, loc)
			r.registered(p, h, listener, loc)
			return
		}
	}
	if n.entry == nil {
		n.entry = &entry{pat: p}
	}
	n.entry.add(r, p, h, listener, loc)
	r.registered(p, h, listener, loc)
}

// registered passes a new registration on to the parent router, or, on a
// service's root router, tells the service.
func (r *Router) registered(p pattern, h *Handler, listener func(*Event), loc string) {
	if r.parent != nil {
		r.parent.insert(joinPattern(r.mountPath, p.raw), h, listener, loc)
	}
	if r.svc != nil && h != nil {
		r.svc.registered(p, h)
	}
}

func (e *entry) add(r *Router, p pattern, h *Handler, listener func(*Event), loc string) {
	if h != nil {
		if e.handler != nil {
			panic(fmt.Sprintf("res: pattern %q (%s) conflicts with %q (%s): registered twice",
				r.display(p.raw), loc, r.display(e.pat.raw), e.loc))
		}
		e.handler = h
		e.pat = p
		e.loc = loc
	}
	if listener != nil {
		e.listeners = append(e.listeners, listener)
	}
}

// callerLoc returns the file:line of the caller of the exported Router or
// Service method that called it, skipping this package's frames.
func callerLoc() string {
	for skip := 2; ; skip++ {
		pc, file, line, ok := runtime.Caller(skip)
		if !ok {
			return "unknown"
		}
		fn := runtime.FuncForPC(pc)
		if fn == nil || !strings.HasPrefix(fn.Name(), "github.com/reskit/res.") {
			return filepath.Base(file) + ":" + strconv.Itoa(line)
		}
	}
}

// display returns the pattern s as the user sees it: with the service name
// in front on a service's root router.
func (r *Router) display(s string) string {
	if r.svc != nil {
		return joinPattern(r.svc.name, s)
	}
	return s
}

// match finds the entry for the resource name parts, trying literals, then
// parameters, then '*', then '>', and backtracking when a branch fails.
// match returns the entry for the parts of a resource name left to match,
// name, or nil. The parts are separated by dots, as strings.Split gives
// them; end is true when there are none left.
func (n *node) match(name string, end bool) *entry {
	if end {
		if n.entry != nil && n.entry.handler != nil {
			return n.entry
		}
		return nil
	}
	part, rest, more := strings.Cut(name, ".")
	if c := n.static[part]; c != nil {
		if e := c.match(rest, !more); e != nil {
			return e
		}
	}
	if n.param != nil {
		if e := n.param.match(rest, !more); e != nil {
			return e
		}
	}
	if n.star != nil {
		if e := n.star.match(rest, !more); e != nil {
			return e
		}
	}
	if n.full != nil && n.full.handler != nil {
		return n.full
	}
	return nil
}

// walk calls fn for every entry in the tree.
func (n *node) walk(fn func(*entry)) {
	if n.entry != nil {
		fn(n.entry)
	}
	keys := make([]string, 0, len(n.static))
	for k := range n.static {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n.static[k].walk(fn)
	}
	if n.param != nil {
		n.param.walk(fn)
	}
	if n.star != nil {
		n.star.walk(fn)
	}
	if n.full != nil {
		fn(n.full)
	}
}
