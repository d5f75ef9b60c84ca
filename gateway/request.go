package gateway

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/reskit/res/resprot"
)

// handleMessage handles one message from the client, read at start. A
// message that is not a JSON object gets a system.invalidRequest error
// with a null id; a request without id is dropped, as Resgate does.
func (c *conn) handleMessage(data []byte, start time.Time) {
	req, err := parseRequest(data)
	if resprot.IsNull(req.ID) {
		if err != nil {
			// No id to answer to: the client learns of its mistake
			// through an error with a null id.
			c.log.Debug("gateway: malformed client message", "error", err)
			c.replyError(reqID{metric: -1}, errMalformedRequest)
			return
		}
		c.log.Debug("gateway: client request without id ignored")
		c.release()
		return
	}
	typ, rest, hasRest := strings.Cut(req.Method, ".")
	id := reqID{id: req.ID, start: start, metric: c.g.metrics.countWSRequest(typ)}
	if err != nil {
		c.log.Debug("gateway: malformed client request", "error", err)
		c.replyError(id, errMalformedRequest)
		return
	}
	switch typ {
	case "version":
		if hasRest {
			break
		}
		c.version(id, req.Params)
		return
	case "subscribe", "unsubscribe", "get", "new":
		if !resprot.IsValidRID(rest) {
			break
		}
		switch typ {
		case "subscribe":
			c.subscribe(id, rest)
		case "unsubscribe":
			c.unsubscribe(id, rest, req.Params)
		case "get":
			c.get(id, rest)
		case "new":
			c.call(id, rest, "new", req.Params, true)
		}
		return
	case "call", "auth":
		i := strings.LastIndexByte(rest, '.')
		if i < 0 {
			break
		}
		rid, method := rest[:i], rest[i+1:]
		if !resprot.IsValidRID(rid) || !resprot.IsValidPart(method) {
			break
		}
		if typ == "call" {
			c.call(id, rid, method, req.Params, false)
		} else {
			c.auth(id, rid, method, req.Params)
		}
		return
	}
	c.log.Debug("gateway: invalid client request", "method", req.Method)
	c.replyError(id, resprot.ErrInvalidRequest)
}

// version handles a version request: the client tells its protocol
// version and learns the gateway's.
func (c *conn) version(id reqID, params json.RawMessage) {
	result := struct {
		Protocol string `json:"protocol"`
	}{resprot.ProtocolVersion}
	if resprot.IsNull(params) {
		c.reply(id, result)
		return
	}
	var p struct {
		Protocol json.RawMessage `json:"protocol"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		c.replyError(id, resprot.ErrInvalidParams)
		return
	}
	if resprot.IsNull(p.Protocol) {
		c.reply(id, result)
		return
	}
	var s string
	if err := json.Unmarshal(p.Protocol, &s); err != nil {
		c.replyError(id, resprot.ErrInvalidParams)
		return
	}
	if s == "" {
		c.reply(id, result)
		return
	}
	v, ok := parseVersion(s)
	if !ok {
		c.replyError(id, resprot.ErrInvalidParams)
		return
	}
	if v < 1000000 || v >= 2000000 {
		c.replyError(id, resprot.ErrUnsupportedProtocol)
		return
	}
	c.protocol = v
	c.reply(id, result)
}

// parseVersion parses "MAJOR.MINOR.PATCH", each part below 1000, into
// MAJOR*1e6 + MINOR*1e3 + PATCH.
func parseVersion(s string) (int, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return 0, false
	}
	v := 0
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.TrimLeft(p, "0123456789") != "" {
			return 0, false
		}
		n, _ := strconv.Atoi(p)
		v = v*1000 + n
	}
	return v, true
}

func (c *conn) subscribe(id reqID, rid string) {
	c.load(rid, true, func(rs *resourceSet, err *resprot.Error) {
		if err != nil {
			c.replyError(id, err)
			return
		}
		c.reply(id, rs)
	})
}

func (c *conn) get(id reqID, rid string) {
	// The client has the resource, and everything it references, and may
	// get it: the result is an empty set, and load's bookkeeping (an op,
	// reference walks and a gc over all subscriptions) can be skipped.
	if s := c.subs[rid]; s != nil && s.sent {
		if e := c.access[rid]; e != nil && e.done && e.getErr() == nil {
			c.reply(id, &resourceSet{})
			return
		}
	}
	c.load(rid, false, func(rs *resourceSet, err *resprot.Error) {
		if err != nil {
			c.replyError(id, err)
			return
		}
		c.reply(id, rs)
	})
}

// load checks the client's get access to rid, loads it and the resources
// it references, and calls done with the ones the client lacks. With
// direct set, the resource becomes directly subscribed and the resources
// are marked sent; otherwise (a get request) nothing is kept.
func (c *conn) load(rid string, direct bool, done func(*resourceSet, *resprot.Error)) {
	s := c.getSub(rid, false)
	s.pins++
	var acc *accessEntry
	o := &op{roots: []*sub{s}}
	o.ready = func() bool {
		return acc != nil && (acc.getErr() != nil || c.loadedTree(o.roots))
	}
	o.complete = func() {
		s.pins--
		defer c.gc()
		if err := acc.getErr(); err != nil {
			done(nil, err)
			return
		}
		if s.state == subFailed {
			done(nil, s.err)
			return
		}
		if direct {
			if s.direct >= maxDirect || c.g.cfg.MaxSubscriptions > 0 && c.nDirect >= c.g.cfg.MaxSubscriptions {
				done(nil, resprot.ErrSubscriptionLimit)
				return
			}
			c.setDirect(s, s.direct+1)
		}
		done(c.collect(o.roots, direct), nil)
		if direct && acc.stale {
			// Access was granted before the token or the access rules
			// changed: check it again, now that the subscription exists.
			c.recheck(s)
		}
	}
	c.ops = append(c.ops, o)
	c.getAccess(rid, func(e *accessEntry) {
		acc = e
		c.checkOps()
	})
	c.checkOps()
}

func (c *conn) unsubscribe(id reqID, rid string, params json.RawMessage) {
	count := 1
	if !resprot.IsNull(params) {
		var p struct {
			Count json.RawMessage `json:"count"`
		}
		if err := json.Unmarshal(params, &p); err != nil {
			c.replyError(id, resprot.ErrInvalidParams)
			return
		}
		if !resprot.IsNull(p.Count) {
			if err := json.Unmarshal(p.Count, &count); err != nil || count <= 0 {
				c.replyError(id, resprot.ErrInvalidParams)
				return
			}
		}
	}
	s := c.subs[rid]
	if s == nil || s.direct < count {
		c.replyError(id, resprot.ErrNoSubscription)
		return
	}
	c.setDirect(s, s.direct-count)
	c.gc()
	c.reply(id, nil)
}

// call handles call requests, and (deprecated) new requests as calls of
// method "new" that must answer with a resource.
func (c *conn) call(id reqID, rid, method string, params json.RawMessage, isNew bool) {
	c.getAccess(rid, func(e *accessEntry) {
		if err := e.callErr(method); err != nil {
			c.replyError(id, err)
			return
		}
		name, query := resprot.SplitRID(c.realRID(rid))
		if params == nil {
			params = json.RawMessage("null")
		}
		payload, _ := json.Marshal(resprot.Request{CID: c.cid, Params: params, Token: c.tokenJSON(), Query: query})
		c.request("call."+name+"."+method, payload, func(data []byte, err error) {
			c.callReply(id, method, data, err, isNew)
		})
	})
}

func (c *conn) auth(id reqID, rid, method string, params json.RawMessage) {
	name, query := resprot.SplitRID(c.realRID(rid))
	if params == nil {
		params = json.RawMessage("null")
	}
	c.request("auth."+name+"."+method, c.authPayload(c.token, params, query, false), func(data []byte, err error) {
		c.callReply(id, method, data, err, false)
	})
}

var errMalformedRequest = &resprot.Error{Code: resprot.CodeInvalidRequest, Message: "Invalid request: malformed JSON"}

var errNoResource = errors.New("new request without resource response")

// callReply sends the client the reply to a call, auth or new request. A
// resource response makes the resource directly subscribed, and its
// resources go with the reply; if the client may not get it, the reply
// carries the error in the errors set instead.
func (c *conn) callReply(id reqID, method string, data []byte, err error, isNew bool) {
	r, err := parseResponse(data, err)
	if err != nil {
		c.replyError(id, err)
		return
	}
	var rid string
	if r.Resource != nil {
		rid = r.Resource.RID
	} else if method == "new" {
		// Protocol 1.1 services answer a new call with a bare reference.
		var ref struct {
			RID string `json:"rid"`
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(r.Result, &m) == nil && len(m) == 1 && json.Unmarshal(r.Result, &ref) == nil && resprot.IsValidRID(ref.RID) {
			c.log.Warn("gateway: deprecated: resource reference as result of a new call; use a resource response")
			rid = ref.RID
		}
	}
	if rid == "" {
		if isNew {
			c.replyError(id, resprot.InternalError(errNoResource))
			return
		}
		if c.protocol < proto1_2_0 {
			if resprot.IsNull(r.Result) {
				c.reply(id, nil)
			} else {
				c.reply(id, r.Result)
			}
			return
		}
		c.reply(id, struct {
			Payload json.RawMessage `json:"payload"`
		}{r.Result})
		return
	}
	if c.protocol < proto1_2_0 && !isNew {
		c.reply(id, struct {
			RID string `json:"rid"`
		}{rid})
		return
	}
	c.load(rid, true, func(rs *resourceSet, err *resprot.Error) {
		if err != nil {
			if isNew {
				c.replyError(id, err)
				return
			}
			rs = &resourceSet{}
			rs.addError(rid, err)
		}
		if rs.empty() {
			rs = nil
		}
		c.reply(id, struct {
			RID string `json:"rid"`
			*resourceSet
		}{rid, rs})
	})
}
