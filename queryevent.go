package res

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/resprot"
)

// queryEvent is a query event waiting for query requests, from when it is
// sent until its duration expires. It is owned by the service: see
// Service.queries.
type queryEvent struct {
	res   resource // the resource the event was sent on
	cb    func(QueryRequest)
	inbox string
	sub   *nats.Subscription
	timer *time.Timer
}

// QueryEvent sends a query event and serves the query requests that
// follow it.
func (r *Request) QueryEvent(cb func(QueryRequest)) error {
	if cb == nil {
		return errors.New("res: nil query event callback")
	}
	if r.rtype == typeQuery {
		return errors.New("res: query event from a query request")
	}
	return r.s.startQueryEvent(r.resource, cb)
}

// queryInboxPrefix starts the subject of every query event's inbox, as
// made by nats.NewInbox.
const queryInboxPrefix = "_INBOX."

// queryEventResult is the result of a query request answered with events.
// Unlike resprot.QueryResult, it keeps an empty list.
type queryEventResult struct {
	Events []resprot.EventEntry `json:"events"`
}

// handleQueryRequest serves one query request for qe, on the resource's
// queue.
func (s *Service) handleQueryRequest(qe *queryEvent, m *nats.Msg) {
	r := &Request{resource: qe.res, rtype: typeQuery, reply: m.Reply}
	if m.Reply == "" {
		return
	}
	var qr resprot.QueryRequest
	if err := json.Unmarshal(m.Data, &qr); err != nil || qr.Query == "" {
		s.logError(fmt.Errorf("res: query request without a query: %q", m.Data), "resource", r.rname)
		_ = r.sendError(&Error{Code: CodeInternalError, Message: "Internal error: missing query"})
		return
	}
	r.query = qr.Query
	cancel := r.withContext()
	defer cancel()
	r.run(func() {
		qe.cb(r)
		if !r.replied {
			events := r.events
			if events == nil {
				events = []resprot.EventEntry{}
			}
			e := newEncoder()
			e.writeRaw(`{"result":`)
			_ = e.writeValue(queryEventResult{Events: events})
			_ = r.send(e)
		}
	})
}

// startQueryEvent subscribes to a new inbox, sends the query event and
// serves query requests on the inbox until the query event duration ends.
func (s *Service) startQueryEvent(res resource, cb func(QueryRequest)) error {
	res.query = ""
	res.inGet = false
	s.mu.Lock()
	if s.state != stateServing {
		s.mu.Unlock()
		if s.state == stateNew {
			return errNotServing
		}
		return ErrServiceClosed
	}
	conn := s.conn
	qe := &queryEvent{res: res, cb: cb, inbox: nats.NewInbox()}
	s.queries[qe.inbox] = qe
	s.mu.Unlock()

	sub, err := conn.ChanSubscribe(qe.inbox, s.inCh)
	if err == nil {
		s.mu.Lock()
		qe.sub = sub // endQueryEvent reads it under mu
		s.mu.Unlock()
		data, _ := marshalJSON(resprot.QueryEvent{Subject: qe.inbox})
		err = s.publish(resprot.EventSubject(res.rname, resprot.EventQuery), data)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.queries, qe.inbox)
		if sub != nil {
			_ = sub.Unsubscribe()
		}
		return fmt.Errorf("res: query event: %w", err)
	}
	if s.queries[qe.inbox] == qe {
		qe.timer = time.AfterFunc(s.queryDuration, func() { s.endQueryEvent(qe) })
	} else if sub != nil {
		// Ended by Shutdown meanwhile, perhaps before qe.sub was set.
		_ = sub.Unsubscribe()
	}
	return nil
}

// endQueryEvent stops serving query requests for qe and calls its callback
// with nil, on the resource's queue.
func (s *Service) endQueryEvent(qe *queryEvent) {
	s.mu.Lock()
	if s.queries[qe.inbox] != qe {
		s.mu.Unlock()
		return
	}
	delete(s.queries, qe.inbox)
	sub := qe.sub
	s.mu.Unlock()
	if sub != nil {
		_ = sub.Unsubscribe()
	}
	s.queue.add(qe.res.group, func() {
		defer s.recoverCallback("QueryEvent", qe.res.rname)
		qe.cb(nil)
	})
}
