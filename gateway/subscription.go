package gateway

import (
	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// maxDirect is the most direct subscriptions one connection may hold on
// one resource.
const maxDirect = 256

type subState byte

const (
	subLoading subState = iota
	subReady
	subFailed
)

// sub is a connection's subscription to one resource: direct (counted),
// indirect (reached through references), or held for a request in
// progress. It is owned by the connection's worker; its cache.Subscriber
// methods only queue work there.
//
// Invariants: a sub that is sent (the client has its data) refers only to
// subs that are sent too; snap is what the client has of a sent sub, and
// the latest value of a sub that is not sent.
type sub struct {
	c      *conn
	rid    string // as the client names it; may hold the {cid} tag
	handle *cache.Handle
	state  subState
	err    *resprot.Error
	snap   cache.Snapshot

	seq     uint64 // events received
	snapSeq uint64 // the event snap reflects

	direct  int  // direct subscriptions
	pins    int  // requests and events in progress that need the sub
	sent    bool // the client has the resource
	removed bool // dropped from the connection
	isRef   bool // loaded as a reference; counts for ReferenceThrottle

	// While an event waits for the resources its new references point to,
	// the sub is blocked and later events wait in held.
	blocked bool
	held    []seqEvent
}

type seqEvent struct {
	ev  *cache.Event
	seq uint64
}

// Loaded implements cache.Subscriber.
func (s *sub) Loaded(snap cache.Snapshot, err error) {
	s.c.do(func() { s.loaded(snap, err) })
}

// Event implements cache.Subscriber. It runs on the NATS dispatcher with
// the cache's lock held. When the connection is idle and the event needs
// no call into the cache, the dispatcher handles it at once: for a change
// event, that saves a hand-off to the worker's goroutine on every
// connection the event goes to.
func (s *sub) Event(ev *cache.Event) {
	c := s.c
	if c.w.claim() {
		if s.isSimple(ev) {
			s.event(ev)
		} else {
			c.do(func() { s.event(ev) })
		}
		c.w.release()
		return
	}
	c.do(func() { s.event(ev) })
}

// isSimple reports whether event handles ev without a call into the
// cache, which may not be made under the cache's lock: a custom event, or
// a change event that neither adds nor drops a reference, for a
// resource the client has.
func (s *sub) isSimple(ev *cache.Event) bool {
	if s.removed || s.state != subReady || !s.sent || s.blocked {
		return false
	}
	switch ev.Name {
	case resprot.EventChange:
		for k, v := range ev.Values {
			if v.Type == resprot.ValueReference {
				return false
			}
			if old, ok := s.snap.Model[k]; ok && old.Type == resprot.ValueReference {
				return false
			}
		}
		return true
	case resprot.EventAdd, resprot.EventRemove, resprot.EventDelete:
		return false
	}
	return true
}

// Reaccess implements cache.Subscriber.
func (s *sub) Reaccess() {
	s.c.do(func() { s.c.reaccess(s) })
}

func (s *sub) setSnap(e seqEvent) {
	if e.seq > s.snapSeq {
		s.snap = e.ev.Snapshot
		s.snapSeq = e.seq
	}
}

// setDirect sets the number of direct subscriptions of s, keeping the
// connection's count of them.
func (c *conn) setDirect(s *sub, n int) {
	c.nDirect += n - s.direct
	s.direct = n
}

// getSub returns the connection's sub for rid, creating it and starting to
// load it when there is none.
func (c *conn) getSub(rid string, ref bool) *sub {
	if s := c.subs[rid]; s != nil {
		return s
	}
	s := &sub{c: c, rid: rid}
	c.subs[rid] = s
	if ref && c.g.cfg.ReferenceThrottle > 0 && c.refLoad >= c.g.cfg.ReferenceThrottle {
		c.refQueue = append(c.refQueue, s)
		return s
	}
	c.startLoad(s, ref)
	return s
}

func (c *conn) startLoad(s *sub, ref bool) {
	if ref {
		s.isRef = true
		c.refLoad++
	}
	s.handle = c.g.cache.Subscribe(c.realRID(s.rid), s)
}

func (s *sub) loaded(snap cache.Snapshot, err error) {
	c := s.c
	if s.isRef {
		s.isRef = false
		c.refLoad--
		for len(c.refQueue) > 0 && c.refLoad < c.g.cfg.ReferenceThrottle {
			q := c.refQueue[0]
			c.refQueue = c.refQueue[1:]
			if !q.removed {
				c.startLoad(q, true)
			}
		}
	}
	if s.removed {
		return
	}
	if err != nil {
		s.state = subFailed
		s.err = resprot.ToError(err)
		s.handle.Close()
	} else {
		s.state = subReady
		s.snap = snap
	}
	c.checkOps()
}

func (s *sub) event(ev *cache.Event) {
	if s.removed || s.state != subReady {
		return
	}
	s.seq++
	e := seqEvent{ev: ev, seq: s.seq}
	c := s.c
	if !s.sent {
		// The client has not got the resource: keep the latest value for
		// when it is sent.
		s.setSnap(e)
		c.checkOps()
		return
	}
	if s.blocked {
		s.held = append(s.held, e)
		return
	}
	c.handleEvent(s, e)
}

// handleEvent sends event e of sent sub s to the client. An event that
// adds references to resources the client lacks waits until they are
// loaded, and then carries them; s's later events wait for it.
func (c *conn) handleEvent(s *sub, e seqEvent) {
	if e.seq <= s.snapSeq {
		return // already in what the client has
	}
	ev := e.ev
	var roots []*sub
	var dropsRef bool
	switch ev.Name {
	case resprot.EventChange:
		for k, v := range ev.Values {
			if old, ok := s.snap.Model[k]; ok && old.Type == resprot.ValueReference {
				dropsRef = true
			}
			if v.Type == resprot.ValueReference {
				if t := c.subs[v.RID]; t == nil || !t.sent {
					roots = append(roots, c.getSub(v.RID, true))
				}
			}
		}
	case resprot.EventAdd:
		if ev.Value.Type == resprot.ValueReference {
			if t := c.subs[ev.Value.RID]; t == nil || !t.sent {
				roots = append(roots, c.getSub(ev.Value.RID, true))
			}
		}
	case resprot.EventRemove:
		if ev.Idx < len(s.snap.Collection) && s.snap.Collection[ev.Idx].Type == resprot.ValueReference {
			dropsRef = true
		}
	case resprot.EventDelete:
		s.setSnap(e)
		c.event(s.rid, resprot.EventDelete, nil)
		if s.direct > 0 {
			c.setDirect(s, 0)
			c.event(s.rid, resprot.EventUnsubscribe, unsubscribeData{Reason: resprot.ErrDeleted})
		}
		c.gc()
		return
	default:
		if ev.Data != nil {
			c.event(s.rid, ev.Name, ev.Data)
		} else {
			c.event(s.rid, ev.Name, nil)
		}
		return
	}
	if len(roots) == 0 {
		s.setSnap(e)
		c.sendEvent(s, ev, nil)
		if dropsRef {
			c.gc()
		}
		return
	}
	s.blocked = true
	for _, r := range roots {
		r.pins++
	}
	o := &op{roots: roots}
	o.complete = func() {
		for _, r := range roots {
			r.pins--
		}
		s.blocked = false
		// The client may have dropped s and got it again meanwhile, with a
		// snapshot that already holds this event.
		if !s.removed && e.seq > s.snapSeq {
			s.setSnap(e)
			if s.sent {
				c.sendEvent(s, ev, c.collect(roots, true))
			}
		}
		c.gc()
		c.drainHeld(s)
	}
	c.addOp(o)
}

// drainHeld handles the events that waited while s was blocked.
func (c *conn) drainHeld(s *sub) {
	for len(s.held) > 0 && !s.blocked && !s.removed {
		e := s.held[0]
		s.held = s.held[1:]
		if !s.sent {
			s.setSnap(e)
			continue
		}
		c.handleEvent(s, e)
	}
	if len(s.held) == 0 {
		s.held = nil
	}
}

type unsubscribeData struct {
	Reason *resprot.Error `json:"reason"`
}

// op is work that waits until some subs and everything they reference are
// loaded: a subscribe or get request, or an event that adds references.
type op struct {
	roots []*sub
	// ready reports whether the op may complete; nil means when the
	// roots' reference trees are loaded.
	ready    func() bool
	complete func()
}

func (c *conn) addOp(o *op) {
	c.ops = append(c.ops, o)
	c.checkOps()
}

// checkOps completes the ops that are ready, in the order they came.
func (c *conn) checkOps() {
	for i := 0; i < len(c.ops); i++ {
		o := c.ops[i]
		ready := o.ready
		if ready == nil {
			ready = func() bool { return c.loadedTree(o.roots) }
		}
		if !ready() {
			continue
		}
		c.ops = append(c.ops[:i:i], c.ops[i+1:]...)
		o.complete()
		// complete may have added or completed ops: start over.
		i = -1
	}
}

// loadedTree reports whether roots and all subs they reach through
// references the client lacks are loaded. Missing subs are created and
// start loading.
func (c *conn) loadedTree(roots []*sub) bool {
	ok := true
	seen := make(map[*sub]bool)
	stack := append([]*sub(nil), roots...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || s.removed {
			continue
		}
		seen[s] = true
		switch {
		case s.state == subLoading:
			ok = false
			continue
		case s.state == subFailed, s.sent:
			continue
		}
		s.snap.Refs(func(rid string) {
			stack = append(stack, c.getSub(rid, true))
		})
	}
	return ok
}

// collect returns the resources reachable from roots that the client
// lacks, marking them sent when markSent is set.
func (c *conn) collect(roots []*sub, markSent bool) *resourceSet {
	rs := &resourceSet{}
	seen := make(map[*sub]bool)
	stack := append([]*sub(nil), roots...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || s.removed || s.sent {
			continue
		}
		seen[s] = true
		switch s.state {
		case subFailed:
			rs.addError(s.rid, s.err)
		case subReady:
			rs.add(c, s.rid, s.snap)
			s.snap.Refs(func(rid string) {
				if t := c.subs[rid]; t != nil {
					stack = append(stack, t)
				}
			})
		default:
			continue
		}
		if markSent {
			s.sent = true
		}
	}
	return rs
}

// gc drops the subs that no direct subscription or pending work reaches
// through references, and marks as not sent those the client dropped: the
// subs it cannot reach from a direct subscription through resources it
// has. Cycles of references are kept only while one of them is reached.
func (c *conn) gc() {
	marked := make(map[*sub]bool, len(c.subs))
	var stack []*sub
	for _, s := range c.subs {
		if s.direct > 0 || s.pins > 0 {
			stack = append(stack, s)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if marked[s] {
			continue
		}
		marked[s] = true
		if s.state == subReady {
			s.snap.Refs(func(rid string) {
				if t := c.subs[rid]; t != nil && !marked[t] {
					stack = append(stack, t)
				}
			})
		}
	}
	for _, s := range c.subs {
		if !marked[s] {
			c.removeSub(s)
		}
	}
	known := make(map[*sub]bool, len(c.subs))
	for _, s := range c.subs {
		if s.direct > 0 && s.sent {
			stack = append(stack, s)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if known[s] {
			continue
		}
		known[s] = true
		if s.state == subReady {
			s.snap.Refs(func(rid string) {
				if t := c.subs[rid]; t != nil && t.sent && !known[t] {
					stack = append(stack, t)
				}
			})
		}
	}
	for _, s := range c.subs {
		if s.sent && !known[s] {
			s.sent = false
			if n := len(s.held); n > 0 {
				s.setSnap(s.held[n-1])
				s.held = nil
			}
		}
	}
}

func (c *conn) removeSub(s *sub) {
	s.removed = true
	delete(c.subs, s.rid)
	if s.handle != nil {
		s.handle.Close()
	}
	if e := c.access[s.rid]; e != nil && e.done {
		delete(c.access, s.rid)
	}
}
