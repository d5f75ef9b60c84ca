package res

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/resprot"
)

// ListenAndServe connects to the NATS server at url and serves over the
// connection, as Serve does. The connection reconnects for ever; on each
// reconnect the service sends its system.reset again (gateways may have
// missed events meanwhile) and keeps serving. Handlers that opts sets for
// disconnect, reconnect and close still run, after the service's own.
//
// It returns ErrServiceClosed after Shutdown, which closes the connection,
// or an error if the connection fails or is closed by someone else.
func (s *Service) ListenAndServe(url string, opts ...nats.Option) error {
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch state {
	case stateServing:
		return errors.New("res: service is already serving")
	case stateClosing, stateClosed:
		return ErrServiceClosed
	}
	o := nats.GetDefaultOptions()
	for _, opt := range opts {
		if opt != nil {
			_ = opt(&o)
		}
	}
	userDisconnect, userReconnect, userClosed := o.DisconnectedErrCB, o.ReconnectedCB, o.ClosedCB
	all := append([]nats.Option{}, opts...)
	if o.Name == "" && s.name != "" {
		all = append(all, nats.Name(s.name))
	}
	all = append(all,
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if !nc.IsClosed() { // not closed on purpose, by Shutdown
				s.logger.Warn("res: disconnected from NATS", "error", err)
				if s.onDisconnect != nil {
					s.onDisconnect(s)
				}
			}
			if userDisconnect != nil {
				userDisconnect(nc, err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.logger.Info("res: reconnected to NATS", "url", nc.ConnectedUrlRedacted())
			if err := s.ResetAll(); err != nil {
				s.logError(fmt.Errorf("res: system reset after reconnect: %w", err))
			}
			if s.onReconnect != nil {
				s.onReconnect(s)
			}
			if userReconnect != nil {
				userReconnect(nc)
			}
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			s.mu.Lock()
			cc := s.connClosed
			s.mu.Unlock()
			if cc != nil {
				s.closeOnce.Do(func() { close(cc) })
			}
			if userClosed != nil {
				userClosed(nc)
			}
		}),
	)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		return fmt.Errorf("res: connecting to NATS: %w", err)
	}
	s.mu.Lock()
	s.ownConn = nc
	s.mu.Unlock()
	err = s.Serve(nc)
	if !errors.Is(err, ErrServiceClosed) {
		s.mu.Lock()
		if s.state == stateNew {
			s.ownConn = nil // Serve did not start: the service may serve later
		}
		s.mu.Unlock()
		nc.Close()
	}
	return err
}

// Serve serves requests that arrive on conn until Shutdown. It subscribes
// to the requests for the resources the service owns (see
// WithOwnedResources), with its queue group, sends a system.reset for them
// and calls the OnServe callback. Each request runs on its resource's
// queue (see the package documentation, section Concurrency).
//
// Serve returns ErrServiceClosed after Shutdown, or an error if it cannot
// start. A Service serves once: Serve may not be called again. The caller
// keeps ownership of conn: Shutdown unsubscribes but does not close it.
// Over a *nats.Conn of your own, call ResetAll from its reconnect handler,
// as ListenAndServe does, since gateways may have missed events while the
// connection was down.
func (s *Service) Serve(conn Conn) error {
	if conn == nil {
		return errors.New("res: nil connection")
	}
	s.mu.Lock()
	switch s.state {
	case stateServing:
		s.mu.Unlock()
		return errors.New("res: service is already serving")
	case stateClosing, stateClosed:
		s.mu.Unlock()
		return ErrServiceClosed
	}
	if err := s.validate(); err != nil {
		s.mu.Unlock()
		return err
	}
	resources, access := s.owned()
	subjects, err := subscribeSubjects(resources, access)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.state = stateServing
	s.conn = conn
	s.inCh = make(chan *nats.Msg, inChanSize)
	s.queue = newWorkQueue(s.workers)
	s.stop = make(chan struct{})
	s.readDone = make(chan struct{})
	s.done = make(chan struct{})
	s.queries = make(map[string]*queryEvent)
	s.flushes = make(map[*nats.Msg]chan struct{})
	if s.ownConn != nil {
		s.connClosed = make(chan struct{})
	}
	s.mu.Unlock()

	var subs []*nats.Subscription
	for _, subj := range subjects {
		var sub *nats.Subscription
		var err error
		if s.queueGroup == "" {
			sub, err = conn.ChanSubscribe(subj, s.inCh)
		} else {
			sub, err = conn.ChanQueueSubscribe(subj, s.queueGroup, s.inCh)
		}
		if err != nil {
			s.mu.Lock()
			s.subs = subs
			s.mu.Unlock()
			close(s.readDone)
			_ = s.Shutdown(context.Background())
			return fmt.Errorf("res: subscribing to %s: %w", subj, err)
		}
		subs = append(subs, sub)
	}
	s.mu.Lock()
	if s.state != stateServing { // Shutdown came during the subscriptions
		s.mu.Unlock()
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
		close(s.readDone)
		return ErrServiceClosed
	}
	s.subs = subs
	s.mu.Unlock()
	// A round trip to the server makes sure it has every subscription
	// before the reset tells gateways to send requests, and before
	// OnServe tells the user the service is reachable.
	if f, ok := conn.(interface{ FlushTimeout(time.Duration) error }); ok {
		if err := f.FlushTimeout(5 * time.Second); err != nil {
			s.logError(fmt.Errorf("res: flush after subscribing: %w", err))
		}
	}
	s.logger.Info("res: serving", "service", s.name, "subjects", subjects, "queue", s.queueGroup)

	if err := s.ResetAll(); err != nil {
		s.logError(fmt.Errorf("res: system reset: %w", err))
	}
	if s.onServe != nil {
		s.onServe(s)
	}
	return s.readLoop()
}

// validate checks the registrations before serving. Called with mu held.
func (s *Service) validate() error {
	var err error
	handlers := 0
	s.router.root.walk(func(e *entry) {
		if e.handler != nil {
			handlers++
		} else if err == nil && len(e.listeners) > 0 {
			err = fmt.Errorf("res: listener on %q has no handler", joinPattern(s.name, e.pat.raw))
		}
	})
	if err == nil && handlers == 0 {
		err = errors.New("res: no handlers registered")
	}
	return err
}

// subscribeSubjects returns the request subjects for the owned patterns,
// leaving out subjects that another one covers.
func subscribeSubjects(resources, access []string) ([]string, error) {
	var subjects []string
	for _, p := range resources {
		if !isResetPattern(p) {
			return nil, fmt.Errorf("res: invalid owned resource pattern %q", p)
		}
		full := p == ">" || strings.HasSuffix(p, ".>")
		for _, t := range []string{"get", "call", "auth"} {
			subj := t + "." + p
			if t != "get" && !full {
				subj += ".*"
			}
			subjects = append(subjects, subj)
		}
	}
	for _, p := range access {
		if !isResetPattern(p) {
			return nil, fmt.Errorf("res: invalid owned access pattern %q", p)
		}
		subjects = append(subjects, "access."+p)
	}
	var out []string
	for i, a := range subjects {
		covered := false
		for j, b := range subjects {
			if i != j && subjectCovers(b, a) && (a != b || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("res: no resources to serve")
	}
	return out, nil
}

// isResetPattern reports whether p is a resource name pattern: parts that
// are literals or '*', with an optional final '>'.
func isResetPattern(p string) bool {
	if p == "" {
		return false
	}
	parts := strings.Split(p, ".")
	for i, part := range parts {
		switch {
		case part == "*":
		case part == ">":
			if i != len(parts)-1 {
				return false
			}
		case !resprot.IsValidPart(part):
			return false
		}
	}
	return true
}

// subjectCovers reports whether every subject that b matches, a matches
// too. Both are NATS subjects with wildcards.
func subjectCovers(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i, t := range at {
		if t == ">" {
			return len(bt) > i
		}
		if i >= len(bt) {
			return false
		}
		switch {
		case bt[i] == ">":
			return false
		case t == "*":
		case t != bt[i]:
			return false
		}
	}
	return len(at) == len(bt)
}

// readLoop hands each message received to dispatch until Shutdown, then
// dispatches what is left in inCh.
func (s *Service) readLoop() error {
	defer close(s.readDone)
	for {
		select {
		case m := <-s.inCh:
			s.dispatch(m)
		case <-s.stop:
			for {
				select {
				case m := <-s.inCh:
					s.dispatch(m)
				default:
					return ErrServiceClosed
				}
			}
		case <-s.connClosed:
			go func() { _ = s.Shutdown(context.Background()) }()
			return errors.New("res: NATS connection closed")
		}
	}
}

// dispatch routes one message to its handler's queue. It runs on the read
// loop and must not block.
func (s *Service) dispatch(m *nats.Msg) {
	// Only flush markers, which have no subject, and query requests, which
	// come on an inbox, need a look in the maps; requests need no lock.
	if m.Subject == "" || strings.HasPrefix(m.Subject, queryInboxPrefix) {
		s.mu.Lock()
		flushed, isFlush := s.flushes[m]
		delete(s.flushes, m)
		qe := s.queries[m.Subject]
		s.mu.Unlock()
		if isFlush {
			close(flushed)
			return
		}
		if qe != nil {
			s.queue.add(qe.res.group, func() { s.handleQueryRequest(qe, m) })
			return
		}
	}
	if m.Reply == "" {
		s.logger.Debug("res: message without reply subject", "subject", m.Subject)
		return
	}
	rtype, rname, method, ok := parseSubject(m.Subject)
	if !ok {
		s.logger.Info("res: request subject with an invalid resource name", "subject", m.Subject)
		if rtype != "" && rtype != typeAccess {
			s.replyError(m.Reply, ErrNotFound)
		}
		return
	}
	res, found := s.lookup(rname)
	if !found {
		if rtype != typeAccess {
			s.replyError(m.Reply, ErrNotFound)
		}
		return
	}
	if rtype == typeAccess && res.h.Access == nil {
		return // another service may own access
	}
	r := &Request{
		resource: res,
		rtype:    rtype,
		method:   method,
		reply:    m.Reply,
		data:     m.Data,
	}
	s.queue.addTask(r.group, r)
}

// parseSubject splits a request subject into its type, resource name and
// method. It returns ok false, with the type if it is known, when the
// subject has no valid resource name.
func parseSubject(subj string) (rtype, rname, method string, ok bool) {
	rtype, rest, _ := strings.Cut(subj, ".")
	switch rtype {
	case typeAccess, typeGet:
		rname = rest
	case typeCall, typeAuth:
		i := strings.LastIndexByte(rest, '.')
		if i < 0 {
			return rtype, "", "", false
		}
		rname, method = rest[:i], rest[i+1:]
	default:
		return "", "", "", false
	}
	return rtype, rname, method, resprot.IsValidName(rname)
}

func (s *Service) replyError(reply string, e *Error) {
	enc := newEncoder()
	defer enc.free()
	enc.writeRaw(`{"error":`)
	_ = enc.writeError(e) // e is one of the predefined errors
	enc.writeRaw("}")
	_ = s.publish(reply, enc.buf.Bytes())
}

// runTask runs the request on the resource's queue: see handleRequest.
func (r *Request) runTask() { r.s.handleRequest(r) }

// handleRequest runs on the resource's queue: it decodes the payload and
// calls the handler.
func (s *Service) handleRequest(r *Request) {
	data := r.data
	r.data = nil
	if len(data) > 0 {
		if err := decodeRequest(data, &r.req); err != nil {
			s.logError(fmt.Errorf("res: malformed request payload: %w", err), "subject", r.subject())
			_ = r.sendError(&Error{Code: CodeInternalError, Message: "Internal error: malformed request payload"})
			return
		}
	}
	r.query = r.req.Query
	cancel := r.withContext()
	defer cancel()
	h := r.h
	switch r.rtype {
	case typeAccess:
		r.run(func() { h.Access(r) })
	case typeGet:
		if h.Get == nil {
			_ = r.NotFound()
			return
		}
		r.inGet = true
		r.run(func() { h.Get(r) })
	case typeCall:
		if r.method == "new" && h.New != nil {
			r.run(func() { h.New(r) })
			return
		}
		fn := h.Call[r.method]
		if fn == nil {
			fn = h.Call["*"]
		}
		if fn == nil {
			_ = r.MethodNotFound()
			return
		}
		r.run(func() { fn(r) })
	case typeAuth:
		fn := h.Auth[r.method]
		if fn == nil {
			fn = h.Auth["*"]
		}
		if fn == nil {
			_ = r.MethodNotFound()
			return
		}
		r.run(func() { fn(r) })
	}
}

// Shutdown stops the service: it stops taking requests, cancels the
// context of every request, ends pending query events, and waits for the
// handlers already running or queued to return, or for ctx to be done. It
// then closes the connection if ListenAndServe opened it.
//
// Shutdown returns ctx.Err() if ctx is done first. Calling it again, or
// before Serve, is harmless.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	switch s.state {
	case stateNew:
		s.state = stateClosed
		s.mu.Unlock()
		s.cancel()
		return nil
	case stateClosing, stateClosed:
		done := s.done
		s.mu.Unlock()
		if done == nil {
			return nil
		}
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.state = stateClosing
	subs := s.subs
	s.subs = nil
	conn := s.conn
	s.mu.Unlock()

	s.cancel()
	// Drain, unlike Unsubscribe, keeps taking the requests the server sent
	// before it got the unsubscription; the round trip of a flush makes
	// sure they are all in inCh, to be handled before the read loop stops.
	for _, sub := range subs {
		_ = sub.Drain()
	}
	if f, ok := conn.(interface{ FlushWithContext(context.Context) error }); ok {
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = f.FlushWithContext(fctx)
		cancel()
	}
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.readDone

	s.mu.Lock()
	var pending []*queryEvent
	for _, qe := range s.queries {
		if qe.timer == nil || qe.timer.Stop() {
			pending = append(pending, qe)
		}
	}
	s.mu.Unlock()
	for _, qe := range pending {
		s.endQueryEvent(qe)
	}
	s.queue.close()
	err := s.queue.wait(ctx)

	s.mu.Lock()
	s.state = stateClosed
	s.conn = nil
	nc := s.ownConn
	s.mu.Unlock()
	if nc != nil {
		_ = nc.FlushTimeout(time.Second)
		nc.Close()
	}
	close(s.done)
	return err
}

// flush waits until every message received before the call has been
// dispatched, and every task queued has run. The test kit uses it to tell
// that the service has nothing more to send.
func (s *Service) flush(ctx context.Context) error {
	s.mu.Lock()
	if s.state != stateServing {
		s.mu.Unlock()
		return nil
	}
	m := &nats.Msg{}
	ch := make(chan struct{})
	s.flushes[m] = ch
	s.mu.Unlock()
	select {
	case s.inCh <- m:
	case <-s.readDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ch:
	case <-s.readDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.queue.waitIdle(ctx)
}
