package gateway

import (
	"encoding/json"
	"errors"

	"github.com/reskit/res/resprot"
)

// accessEntry is a connection's access to one resource: the reply to an
// access request, or the request in flight. It is kept only while the
// connection subscribes to the resource, and only when it is a grant or a
// system.accessDenied; reaccess events, token changes and system.reset
// drop it. Owned by the connection's worker.
type accessEntry struct {
	rid     string
	done    bool
	stale   bool // dropped while in flight: the reply is not kept
	get     bool
	call    string
	err     *resprot.Error
	waiters []func(*accessEntry)
}

// getErr returns why the client may not get the resource, or nil.
func (e *accessEntry) getErr() *resprot.Error {
	if e.err != nil {
		return e.err
	}
	if !e.get {
		return resprot.ErrAccessDenied
	}
	return nil
}

// callErr returns why the client may not call method, or nil.
func (e *accessEntry) callErr(method string) *resprot.Error {
	if e.err != nil {
		return e.err
	}
	if !(resprot.AccessResult{Call: e.call}).CanCall(method) {
		return resprot.ErrAccessDenied
	}
	return nil
}

// getAccess calls cb with the connection's access to rid, asking the
// service unless it is known or already being asked.
func (c *conn) getAccess(rid string, cb func(*accessEntry)) {
	c.askAccess(rid, false, cb)
}

// askAccess is getAccess; when reset is set, a request it sends is one
// that a system.reset caused, and waits its turn under the reset throttle.
func (c *conn) askAccess(rid string, reset bool, cb func(*accessEntry)) {
	if e := c.access[rid]; e != nil {
		if e.done {
			cb(e)
		} else {
			e.waiters = append(e.waiters, cb)
		}
		return
	}
	e := &accessEntry{rid: rid, waiters: []func(*accessEntry){cb}}
	c.access[rid] = e
	name, query := resprot.SplitRID(c.realRID(rid))
	payload, _ := json.Marshal(resprot.Request{CID: c.cid, Token: c.tokenJSON(), Query: query})
	reply := func(data []byte, err error) { c.accessReply(e, data, err) }
	if reset {
		c.g.cache.ResetRequest("access."+name, payload, func(data []byte, err error) {
			c.do(func() { reply(data, err) })
		})
		return
	}
	c.request("access."+name, payload, reply)
}

func (c *conn) accessReply(e *accessEntry, data []byte, err error) {
	waiters := e.waiters
	e.waiters = nil
	var res resprot.AccessResult
	r, err := parseResponse(data, err)
	if err == nil {
		if r.Result == nil {
			err = resprot.InternalError(errors.New("access response missing result"))
		} else if jerr := json.Unmarshal(r.Result, &res); jerr != nil {
			c.log.Error("gateway: invalid access response", "rid", c.realRID(e.rid), "error", jerr)
			err = resprot.InternalError(jerr)
		}
	}
	e.done = true
	if err != nil {
		e.err = resprot.ToError(err)
	} else {
		e.get, e.call = res.Get, res.Call
	}
	// A reply to a request made before the token or the access rules
	// changed still answers the requests that waited for it, as they were
	// made before the change, but is not kept.
	keep := !e.stale && c.subs[e.rid] != nil && (err == nil || errors.Is(err, resprot.ErrAccessDenied))
	if !keep && c.access[e.rid] == e {
		delete(c.access, e.rid)
	}
	for _, w := range waiters {
		w(e)
	}
}

// dropAccess forgets the access to rid.
func (c *conn) dropAccess(rid string) {
	if e := c.access[rid]; e != nil {
		e.stale = !e.done
		delete(c.access, rid)
	}
}

// reaccess handles a reaccess event for s: access is asked again, and a
// direct subscription that lost it ends with an unsubscribe event.
func (c *conn) reaccess(s *sub) {
	if s.removed {
		return
	}
	c.dropAccess(s.rid)
	if s.direct > 0 {
		c.recheck(s)
	}
}

// recheckAll asks again for access to the directly subscribed resources
// whose resource IDs match; under the reset throttle when a system.reset
// asks (reset).
func (c *conn) recheckAll(match func(rid string) bool, reset bool) {
	for rid, s := range c.subs {
		if s.direct > 0 && match(rid) {
			c.recheckFor(s, reset)
		}
	}
}

func (c *conn) recheck(s *sub) { c.recheckFor(s, false) }

func (c *conn) recheckFor(s *sub, reset bool) {
	c.askAccess(s.rid, reset, func(e *accessEntry) {
		if s.removed || s.direct == 0 {
			return
		}
		if err := e.getErr(); err != nil {
			c.setDirect(s, 0)
			c.event(s.rid, resprot.EventUnsubscribe, unsubscribeData{Reason: err})
			c.gc()
		}
	})
}
