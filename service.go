package res

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/internal/reshook"
	"github.com/reskit/res/resprot"
)

// Defaults of the service options.
const (
	defaultWorkers            = 32
	defaultQueryEventDuration = 3 * time.Second
	// gatewayTimeout is the request timeout of a gateway with default
	// settings (Resgate's, and ours).
	gatewayTimeout = 3 * time.Second
	inChanSize     = 4096
)

// errNotServing is returned by methods that need a serving service when
// called before Serve.
var errNotServing = errors.New("res: service is not serving")

// Service serves the resources of one service over a Conn, usually a NATS
// connection. Create it with NewService, register handlers with Handle,
// Route and Mount, then call ListenAndServe or Serve.
//
// Registration must be done before serving. Every other method is safe to
// call from any goroutine.
type Service struct {
	// Set by NewService and its options, then read-only.
	name           string
	router         *Router
	logger         *slog.Logger
	workers        int
	queueGroup     string
	queueGroupSet  bool
	ownedResources []string
	ownedAccess    []string
	ownedSet       bool
	queryDuration  time.Duration
	requestTimeout time.Duration
	onServe        func(*Service)
	onDisconnect   func(*Service)
	onReconnect    func(*Service)
	onError        func(*Service, error)

	// ctx is the parent of every request's context; cancel is called by
	// Shutdown.
	ctx    context.Context
	cancel context.CancelFunc

	// Created by Serve, then read-only.
	inCh       chan *nats.Msg // every subscription delivers here
	queue      *workQueue
	stop       chan struct{} // closed by Shutdown: stop reading inCh
	readDone   chan struct{} // closed when the read loop returns
	connClosed chan struct{} // closed when ListenAndServe's connection closes for good
	done       chan struct{} // closed when Shutdown is complete
	stopOnce   sync.Once
	closeOnce  sync.Once

	mu sync.Mutex
	// Protected by mu.
	state   serviceState
	conn    Conn
	ownConn *nats.Conn // the connection ListenAndServe opened, closed by Shutdown
	subs    []*nats.Subscription
	queries map[string]*queryEvent      // by inbox subject
	flushes map[*nats.Msg]chan struct{} // flush markers, with no subject, sent on inCh
}

type serviceState uint8

const (
	stateNew serviceState = iota
	stateServing
	stateClosing
	stateClosed
)

func init() {
	reshook.Flush = func(ctx context.Context, s any) error { return s.(*Service).flush(ctx) }
}

// ServiceOption configures a Service in NewService.
type ServiceOption func(*Service)

// WithLogger sets the logger. Default: slog.Default(). Request handling
// errors (a handler that panics or does not reply, a failed publish) are
// logged at level Error.
func WithLogger(l *slog.Logger) ServiceOption {
	return func(s *Service) {
		if l == nil {
			panic("res: WithLogger(nil)")
		}
		s.logger = l
	}
}

// WithWorkers sets how many handlers may run at the same time, across all
// resources. The service runs them on as many long-lived goroutines,
// started as they are needed. Default: 32.
func WithWorkers(n int) ServiceOption {
	return func(s *Service) {
		if n < 1 {
			panic(fmt.Sprintf("res: WithWorkers(%d): must be at least 1", n))
		}
		s.workers = n
	}
}

// WithQueueGroup sets the NATS queue group the service subscribes with, so
// that several instances of it share the requests. Default: the service
// name. The empty string subscribes with no queue group: every instance
// gets every request.
func WithQueueGroup(group string) ServiceOption {
	return func(s *Service) {
		s.queueGroup = group
		s.queueGroupSet = true
	}
}

// WithOwnedResources sets the resource name patterns the service owns:
// resources for get, call and auth requests, access for access requests.
// The service subscribes to requests for those patterns only, and its
// system.reset on start and reconnect names them.
//
// Default: the service name followed by ".>" (">" for a service with no
// name), plus the name itself if a handler is registered for it; as
// resources if any handler does more than serve access requests, and as
// access if any serves access requests.
func WithOwnedResources(resources, access []string) ServiceOption {
	return func(s *Service) {
		s.ownedResources = resources
		s.ownedAccess = access
		s.ownedSet = true
	}
}

// WithQueryEventDuration sets how long after a query event the service
// serves the query requests that follow it. Default: 3 seconds.
func WithQueryEventDuration(d time.Duration) ServiceOption {
	return func(s *Service) {
		if d <= 0 {
			panic(fmt.Sprintf("res: WithQueryEventDuration(%v): must be positive", d))
		}
		s.queryDuration = d
	}
}

// WithRequestTimeout gives each request's context (Request.Context) a
// deadline d after its handler starts. When d is longer than a gateway's
// default request timeout (3 seconds), the service also sends the
// pre-response timeout:"<d in ms>" as the handler starts, so that the
// gateway waits for the reply as long as the handler may run. Default: no
// deadline and no pre-response. A handler can also extend its own timeout
// with Request.Timeout.
func WithRequestTimeout(d time.Duration) ServiceOption {
	return func(s *Service) {
		if d <= 0 {
			panic(fmt.Sprintf("res: WithRequestTimeout(%v): must be positive", d))
		}
		s.requestTimeout = d
	}
}

// WithOnServe sets a function called once the service serves: subscribed,
// with its first system.reset sent.
func WithOnServe(fn func(*Service)) ServiceOption {
	return func(s *Service) { s.onServe = fn }
}

// WithOnDisconnect sets a function called when the connection opened by
// ListenAndServe is lost.
func WithOnDisconnect(fn func(*Service)) ServiceOption {
	return func(s *Service) { s.onDisconnect = fn }
}

// WithOnReconnect sets a function called when the connection opened by
// ListenAndServe is back, after the service sent its system.reset.
func WithOnReconnect(fn func(*Service)) ServiceOption {
	return func(s *Service) { s.onReconnect = fn }
}

// WithOnError sets a function called with every error the service logs.
func WithOnError(fn func(*Service, error)) ServiceOption {
	return func(s *Service) { s.onError = fn }
}

// NewService returns a service named name. The name is the first part of
// the names of the resources it serves: with the name "library",
// Handle("book.$id") serves "library.book.42". It may be empty, for a
// service whose patterns are full resource names. NewService panics if the
// name is not a valid resource name.
func NewService(name string, opts ...ServiceOption) *Service {
	if name != "" && !resprot.IsValidName(name) {
		panic(fmt.Sprintf("res: invalid service name %q", name))
	}
	s := &Service{
		name:          name,
		router:        NewRouter(),
		logger:        slog.Default(),
		workers:       defaultWorkers,
		queryDuration: defaultQueryEventDuration,
	}
	s.router.svc = s
	for _, o := range opts {
		o(s)
	}
	if !s.queueGroupSet {
		s.queueGroup = name
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Name returns the service name.
func (s *Service) Name() string { return s.name }

// Logger returns the service's logger.
func (s *Service) Logger() *slog.Logger { return s.logger }

// ProtocolVersion returns the RES protocol version the service implements.
func (s *Service) ProtocolVersion() string { return resprot.ProtocolVersion }

// Handle registers a handler for pattern, relative to the service name,
// built from opts. See Router.Handle.
func (s *Service) Handle(pattern string, opts ...Option) { s.router.Handle(pattern, opts...) }

// AddListener registers a listener for events on resources matching
// pattern. See Router.AddListener.
func (s *Service) AddListener(pattern string, fn func(*Event)) { s.router.AddListener(pattern, fn) }

// Route creates a Router mounted at subpath and calls fn with it. See
// Router.Route.
func (s *Service) Route(subpath string, fn func(*Router)) *Router {
	return s.router.Route(subpath, fn)
}

// Mount attaches a Router at subpath. See Router.Mount.
func (s *Service) Mount(subpath string, r *Router) { s.router.Mount(subpath, r) }

// checkRegister is called by the root router before a registration.
func (s *Service) checkRegister(p pattern, _ *Handler) {
	s.mu.Lock()
	started := s.state != stateNew
	s.mu.Unlock()
	if started {
		panic(fmt.Sprintf("res: registering %q after Serve", joinPattern(s.name, p.raw)))
	}
	if s.name == "" && p.raw == "" {
		panic("res: empty pattern on a service with no name")
	}
}

// registered is called by the root router for each handler registered.
func (s *Service) registered(p pattern, h *Handler) {
	full := joinPattern(s.name, p.raw)
	if h.Group != "" {
		g, err := parseGroup(h.Group)
		if err != nil {
			panic(fmt.Sprintf("res: pattern %q: Group(%q): %v", full, h.Group, err))
		}
		for _, seg := range g.segs {
			if seg.tag && !hasParam(p, seg.text) {
				panic(fmt.Sprintf("res: pattern %q: Group(%q): no parameter $%s", full, h.Group, seg.text))
			}
		}
	}
	if h.OnRegister != nil {
		h.OnRegister(s, full)
	}
}

func hasParam(p pattern, name string) bool {
	for _, part := range p.parts {
		if part.kind == partParam && part.value == name {
			return true
		}
	}
	return false
}

// lookup returns the resource rname, with its handler, or false if no
// handler serves it.
func (s *Service) lookup(rname string) (resource, bool) {
	var pname string // rname relative to the service name
	switch {
	case s.name == "":
		pname = rname
	case rname == s.name:
		pname = ""
	case len(rname) > len(s.name) && rname[len(s.name)] == '.' && rname[:len(s.name)] == s.name:
		pname = rname[len(s.name)+1:]
	default:
		return resource{}, false
	}
	e := s.router.lookup(pname)
	if e == nil {
		return resource{}, false
	}
	r := resource{
		s:         s,
		rname:     rname,
		pat:       &e.pat,
		pname:     pname,
		h:         e.handler,
		listeners: e.listeners,
	}
	switch {
	case r.h.Parallel:
	case r.h.Group != "":
		g, _ := parseGroup(r.h.Group)
		r.group = g.render(r.PathParams())
	default:
		r.group = rname
	}
	return r, true
}

// newResource returns the Resource for a resource ID, or an error if no
// handler serves it.
func (s *Service) newResource(rid string) (*Request, error) {
	if !resprot.IsValidRID(rid) {
		return nil, fmt.Errorf("res: invalid resource ID %q", rid)
	}
	rname, query := resprot.SplitRID(rid)
	res, ok := s.lookup(rname)
	if !ok {
		return nil, fmt.Errorf("res: no handler for %q", rid)
	}
	res.query = query
	res.ctx = s.ctx
	return &Request{resource: res}, nil
}

// With runs fn on the queue of the resource rid, with a handle on it, as
// a handler would run: use it to send events for changes made outside a
// request. It returns once fn is queued, with an error if no handler
// serves rid or the service is not serving.
func (s *Service) With(rid string, fn func(Resource)) error {
	r, err := s.newResource(rid)
	if err != nil {
		return err
	}
	return s.enqueue(r.group, func() {
		defer s.recoverCallback("With", rid)
		fn(r)
	})
}

// WithGroup runs fn on the queue group, as With does for a resource's
// queue.
func (s *Service) WithGroup(group string, fn func(*Service)) error {
	return s.enqueue(group, func() {
		defer s.recoverCallback("WithGroup", group)
		fn(s)
	})
}

func (s *Service) recoverCallback(where, name string) {
	if v := recover(); v != nil {
		s.logError(fmt.Errorf("res: %s callback panicked: %v", where, v), "name", name)
	}
}

func (s *Service) enqueue(group string, fn func()) error {
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch state {
	case stateNew:
		return errNotServing
	case stateClosed:
		return ErrServiceClosed
	}
	if !s.queue.add(group, fn) {
		return ErrServiceClosed
	}
	return nil
}

// Reset sends a system.reset: gateways get again the resources matching
// the resources patterns, and ask again for access to those matching the
// access patterns. It sends nothing when both are empty.
func (s *Service) Reset(resources, access []string) error {
	if len(resources) == 0 && len(access) == 0 {
		return nil
	}
	data, _ := marshalJSON(resprot.SystemReset{Resources: resources, Access: access})
	return s.publish(resprot.SubjectSystemReset, data)
}

// ResetAll sends a system.reset for every resource and access pattern the
// service owns (see WithOwnedResources). The service sends it itself when
// it starts serving and when it reconnects.
func (s *Service) ResetAll() error {
	resources, access := s.owned()
	return s.Reset(resources, access)
}

// TokenEvent sets the access token of the client connection cid. A nil
// token clears it.
func (s *Service) TokenEvent(cid string, token any) error {
	return s.tokenEvent(cid, "", token)
}

// TokenEventWithID sets the access token of the client connection cid,
// with the token ID tid that TokenReset uses.
func (s *Service) TokenEventWithID(cid, tid string, token any) error {
	return s.tokenEvent(cid, tid, token)
}

func (s *Service) tokenEvent(cid, tid string, token any) error {
	if !resprot.IsValidCID(cid) {
		return fmt.Errorf("res: invalid connection ID %q", cid)
	}
	raw, err := marshalJSON(token)
	if err != nil {
		return fmt.Errorf("res: token: %w", err)
	}
	data, _ := marshalJSON(resprot.TokenEvent{Token: raw, TID: tid})
	return s.publish(resprot.TokenSubject(cid), data)
}

// TokenReset sends a system.tokenReset: gateways send an auth request to
// subject for each connection whose token has one of the token IDs tids.
// It sends nothing when tids is empty.
func (s *Service) TokenReset(subject string, tids ...string) error {
	if len(tids) == 0 {
		return nil
	}
	if subject == "" || strings.ContainsAny(subject, " \t\r\n") {
		return fmt.Errorf("res: invalid subject %q", subject)
	}
	data, _ := marshalJSON(resprot.TokenReset{TIDs: tids, Subject: subject})
	return s.publish(resprot.SubjectSystemTokenReset, data)
}

// publish sends a message on the service's connection.
func (s *Service) publish(subject string, data []byte) error {
	s.mu.Lock()
	conn, state := s.conn, s.state
	s.mu.Unlock()
	if conn == nil {
		if state == stateNew {
			return errNotServing
		}
		return ErrServiceClosed
	}
	if err := conn.Publish(subject, data); err != nil {
		err = fmt.Errorf("res: publish %s: %w", subject, err)
		s.logError(err)
		return err
	}
	return nil
}

// logError logs err and passes it to the OnError callback.
func (s *Service) logError(err error, args ...any) {
	s.logger.Error(err.Error(), args...)
	if s.onError != nil {
		s.onError(s, err)
	}
}

// owned returns the resource and access patterns the service owns.
func (s *Service) owned() (resources, access []string) {
	if s.ownedSet {
		return s.ownedResources, s.ownedAccess
	}
	var hasRes, hasAccess, hasRoot bool
	s.router.root.walk(func(e *entry) {
		h := e.handler
		if h == nil {
			return
		}
		if h.Get != nil || len(h.Call) > 0 || len(h.Auth) > 0 || h.New != nil || h.Access == nil {
			hasRes = true // a handler with only hooks still owns the resources it sends events for
		}
		if h.Access != nil {
			hasAccess = true
		}
	})
	hasRoot = s.router.root.entry != nil && s.router.root.entry.handler != nil
	all := []string{">"}
	if s.name != "" {
		all = []string{s.name + ".>"}
		if hasRoot {
			all = []string{s.name, s.name + ".>"}
		}
	}
	if hasRes {
		resources = all
	}
	if hasAccess {
		access = all
	}
	return resources, access
}
