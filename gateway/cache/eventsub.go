package cache

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/reskit/res/resprot"
)

// eventSub holds the resources of one resource name, its base resource and
// its query variants, and the NATS subscription to event.<name>.*.
type eventSub struct {
	c     *Cache
	name  string
	unsub func()

	// mu protects the fields below and the resources.
	mu   sync.Mutex
	base *resource
	// links maps a query, as asked and as normalized by the service, to
	// its resource. A query the service ignored links to base.
	links map[string]*resource
	count int // open handles
	dead  bool
	timer *time.Timer
	// While query requests are pending, other events wait in held.
	queryPending int
	held         []heldEvent
}

type heldEvent struct {
	name string
	data []byte
}

// lookup returns the resource for query, or nil.
func (es *eventSub) lookup(query string) *resource {
	if query == "" {
		return es.base
	}
	return es.links[query]
}

// resources returns each resource of es once.
func (es *eventSub) resources() []*resource {
	var list []*resource
	seen := make(map[*resource]bool)
	if es.base != nil {
		list = append(list, es.base)
		seen[es.base] = true
	}
	for _, r := range es.links {
		if !seen[r] {
			seen[r] = true
			list = append(list, r)
		}
	}
	return list
}

// unlink removes r from es, so that it is fetched again when asked for.
func (es *eventSub) unlink(r *resource) {
	if es.base == r {
		es.base = nil
	}
	for q, lr := range es.links {
		if lr == r {
			delete(es.links, q)
		}
	}
}

func (es *eventSub) kill() {
	es.dead = true
	if es.timer != nil {
		es.timer.Stop()
	}
	if es.unsub != nil {
		es.unsub()
	}
}

// loaded handles the reply to the get request of r.
func (es *eventSub) loaded(r *resource, data []byte, err error) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if r.state != stateLoading {
		return
	}
	var res resprot.GetResult
	if err == nil {
		var raw json.RawMessage
		raw, err = decodeResult(data)
		if err == nil {
			if e := json.Unmarshal(raw, &res); e != nil {
				err = resprot.InternalError(e)
			}
		}
	}
	var snap Snapshot
	if err == nil {
		snap, err = parseSnapshot(res.Model, res.Collection)
		if err != nil {
			es.c.log.Error("cache: invalid get response", "rid", resprot.JoinRID(es.name, r.rawQuery), "error", err)
			err = resprot.InternalError(err)
		}
	}
	if err != nil || es.dead {
		if err == nil {
			err = ErrClosed
		}
		// Errors are not cached: the next subscriber asks again.
		es.unlink(r)
		r.state = stateDeleted
		for h := range r.handles {
			h.r = nil
			h.sub.Loaded(Snapshot{}, resprot.ToError(err))
		}
		r.handles = nil
		es.scheduleSweep()
		return
	}
	target := r
	if r.rawQuery != "" {
		switch nq := res.Query; {
		case nq == "":
			// The service ignored the query: share the base resource.
			if es.base != nil {
				target = es.base
			} else {
				es.base = r
			}
			es.links[r.rawQuery] = target
		case es.links[nq] != nil && es.links[nq] != r && es.links[nq].state == stateLoaded:
			target = es.links[nq]
			es.links[r.rawQuery] = target
		default:
			r.query = nq
			es.links[nq] = r
		}
	}
	if target != r {
		r.state = stateDeleted
		for h := range r.handles {
			h.r = target
			target.handles[h] = struct{}{}
			if target.state == stateLoaded {
				h.sub.Loaded(target.snap, nil)
			}
		}
		r.handles = nil
		return
	}
	r.state = stateLoaded
	r.snap = snap
	for h := range r.handles {
		h.sub.Loaded(snap, nil)
	}
	if len(r.handles) == 0 {
		r.idleSince = time.Now()
		es.scheduleSweep()
	}
}

// scheduleSweep starts the eviction timer unless it runs already.
func (es *eventSub) scheduleSweep() {
	if es.timer != nil || es.dead {
		return
	}
	es.timer = time.AfterFunc(es.c.delay, es.sweep)
}

// sweep evicts the resources that have had no subscriber for the
// unsubscribe delay, and drops es when nothing is left.
func (es *eventSub) sweep() {
	c := es.c
	c.mu.Lock()
	defer c.mu.Unlock()
	es.mu.Lock()
	defer es.mu.Unlock()
	es.timer = nil
	if es.dead {
		return
	}
	now := time.Now()
	var next time.Duration
	for _, r := range es.resources() {
		if r.state != stateLoaded || len(r.handles) > 0 {
			continue
		}
		if idle := now.Sub(r.idleSince); idle >= c.delay {
			es.unlink(r)
			r.state = stateDeleted
		} else if wait := c.delay - idle; next == 0 || wait < next {
			next = wait
		}
	}
	if es.count == 0 && es.base == nil && len(es.links) == 0 {
		es.kill()
		if c.names[es.name] == es {
			delete(c.names, es.name)
		}
		return
	}
	if next > 0 {
		es.timer = time.AfterFunc(next, es.sweep)
	}
}

// onMessage handles a message on event.<name>.*.
func (es *eventSub) onMessage(subject string, data []byte) {
	ev := eventName(subject)
	es.c.events.Add(1)
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.dead {
		return
	}
	if es.queryPending > 0 && ev != resprot.EventReaccess {
		es.held = append(es.held, heldEvent{name: ev, data: data})
		return
	}
	es.handleEvent(ev, data)
}

func (es *eventSub) handleEvent(ev string, data []byte) {
	switch ev {
	case resprot.EventReaccess:
		for _, r := range es.resources() {
			for h := range r.handles {
				h.sub.Reaccess()
			}
		}
	case resprot.EventQuery:
		es.queryEvent(data)
	default:
		// Events that arrive while the resource is loading are already
		// part of the get reply, which the service sends after them.
		if r := es.base; r != nil && r.state == stateLoaded {
			es.apply(r, ev, data)
		}
	}
}

func (es *eventSub) logError(r *resource, msg string, args ...any) {
	es.c.log.Error("cache: "+msg, append([]any{"rid", resprot.JoinRID(es.name, r.query)}, args...)...)
}

func (es *eventSub) deliver(r *resource, ev *Event) {
	for h := range r.handles {
		h.sub.Event(ev)
	}
}

// apply applies event ev with payload data to r and hands it to the
// subscribers.
func (es *eventSub) apply(r *resource, ev string, data []byte) {
	switch ev {
	case resprot.EventChange:
		if r.snap.Kind != KindModel {
			es.logError(r, "change event on a collection")
			return
		}
		values, err := changeValues(data)
		if err != nil {
			es.logError(r, "invalid change event", "error", err)
			return
		}
		changed := make(map[string]resprot.Value, len(values))
		for k, raw := range values {
			v, err := parseValue(raw, true)
			if err != nil {
				es.logError(r, "invalid change event", "error", err)
				return
			}
			changed[k] = v
		}
		es.change(r, changed)
	case resprot.EventAdd:
		if r.snap.Kind != KindCollection {
			es.logError(r, "add event on a model")
			return
		}
		var p struct {
			Idx   *int            `json:"idx"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(data, &p); err != nil || p.Idx == nil {
			es.logError(r, "invalid add event", "payload", string(data))
			return
		}
		v, err := parseValue(p.Value, false)
		if err != nil || *p.Idx < 0 || *p.Idx > len(r.snap.Collection) {
			es.logError(r, "invalid add event", "payload", string(data))
			return
		}
		es.add(r, *p.Idx, v)
	case resprot.EventRemove:
		if r.snap.Kind != KindCollection {
			es.logError(r, "remove event on a model")
			return
		}
		var p struct {
			Idx *int `json:"idx"`
		}
		if err := json.Unmarshal(data, &p); err != nil || p.Idx == nil || *p.Idx < 0 || *p.Idx >= len(r.snap.Collection) {
			es.logError(r, "invalid remove event", "payload", string(data))
			return
		}
		es.remove(r, *p.Idx)
	case resprot.EventDelete:
		es.unlink(r)
		r.state = stateDeleted
		es.deliver(r, &Event{Name: resprot.EventDelete, Snapshot: r.snap})
	case resprot.EventUnsubscribe:
		// Only a gateway tells a client it was unsubscribed: a service's
		// event of that name would look like it.
		es.logError(r, "service event with the reserved name unsubscribe; dropped")
	default:
		var d json.RawMessage
		if len(data) > 0 {
			if !json.Valid(data) {
				es.logError(r, "invalid event payload", "event", ev)
				return
			}
			d = data
		}
		es.deliver(r, &Event{Name: ev, Data: d, Snapshot: r.snap})
	}
}

// changeValues returns the values of a change event payload. A payload
// without the "values" wrapper of protocol 1.1 is read as the bare map of
// protocol 1.0.
func changeValues(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if raw, ok := m["values"]; ok && len(m) == 1 && len(raw) > 0 && raw[0] == '{' {
		var values map[string]json.RawMessage
		if err := json.Unmarshal(raw, &values); err != nil {
			return nil, err
		}
		return values, nil
	}
	if m == nil {
		return nil, errors.New("null payload")
	}
	return m, nil
}

// change applies the changed values to model r, leaving out values that
// are already set and deletes of absent properties.
func (es *eventSub) change(r *resource, changed map[string]resprot.Value) {
	old := r.snap.Model
	for k, v := range changed {
		cur, ok := old[k]
		if v.Type == resprot.ValueDelete && !ok || ok && valueEqual(cur, v) {
			delete(changed, k)
		}
	}
	if len(changed) == 0 {
		return
	}
	m := make(map[string]resprot.Value, len(old)+len(changed))
	for k, v := range old {
		m[k] = v
	}
	for k, v := range changed {
		if v.Type == resprot.ValueDelete {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	r.snap = Snapshot{Kind: KindModel, Model: m}
	es.deliver(r, &Event{Name: resprot.EventChange, Values: changed, Snapshot: r.snap})
}

func (es *eventSub) add(r *resource, idx int, v resprot.Value) {
	old := r.snap.Collection
	c := make([]resprot.Value, 0, len(old)+1)
	c = append(c, old[:idx]...)
	c = append(c, v)
	c = append(c, old[idx:]...)
	r.snap = Snapshot{Kind: KindCollection, Collection: c}
	es.deliver(r, &Event{Name: resprot.EventAdd, Idx: idx, Value: v, Snapshot: r.snap})
}

func (es *eventSub) remove(r *resource, idx int) {
	old := r.snap.Collection
	c := make([]resprot.Value, 0, len(old)-1)
	c = append(c, old[:idx]...)
	c = append(c, old[idx+1:]...)
	r.snap = Snapshot{Kind: KindCollection, Collection: c}
	es.deliver(r, &Event{Name: resprot.EventRemove, Idx: idx, Snapshot: r.snap})
}

// update turns the difference between r and snap into events.
func (es *eventSub) update(r *resource, snap Snapshot) {
	if snap.Kind != r.snap.Kind {
		es.logError(r, "resource type changed")
		return
	}
	if snap.Kind == KindModel {
		if ch := diffModel(r.snap.Model, snap.Model); ch != nil {
			es.change(r, ch)
		}
		return
	}
	for _, op := range diffCollection(r.snap.Collection, snap.Collection) {
		if op.add {
			es.add(r, op.idx, op.value)
		} else {
			es.remove(r, op.idx)
		}
	}
}

// fail handles the failure of a reset or query request of r. Only a
// service's system.notFound answer deletes the resource; a request that no
// service received (NATS has no responders, as while services reconnect)
// leaves it as it is.
func (es *eventSub) fail(r *resource, err error, answered bool) {
	if answered && errors.Is(err, resprot.ErrNotFound) {
		es.apply(r, resprot.EventDelete, nil)
		return
	}
	es.logError(r, "request failed", "error", err)
}

// refetch sends a new get request for r, as a system reset asks, and
// applies the difference.
func (es *eventSub) refetch(r *resource) {
	payload := []byte(`{}`)
	if r.query != "" {
		payload, _ = json.Marshal(resprot.Request{Query: r.query})
	}
	subject := "get." + es.name
	broker := es.c.broker
	es.c.reset.do(func(done func()) {
		err := broker.Request(subject, payload, 0, func(data []byte, err error) {
			done()
			es.refetched(r, data, err)
		})
		if err != nil {
			done()
			es.c.log.Error("cache: reset request failed", "subject", subject, "error", err)
		}
	})
}

func (es *eventSub) refetched(r *resource, data []byte, err error) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if r.state != stateLoaded || es.dead {
		return
	}
	if err != nil {
		es.fail(r, err, false)
		return
	}
	raw, err := decodeResult(data)
	if err != nil {
		es.fail(r, err, true)
		return
	}
	var res resprot.GetResult
	if err := json.Unmarshal(raw, &res); err != nil {
		es.logError(r, "invalid get response", "error", err)
		return
	}
	snap, err := parseSnapshot(res.Model, res.Collection)
	if err != nil {
		es.logError(r, "invalid get response", "error", err)
		return
	}
	es.update(r, snap)
}
