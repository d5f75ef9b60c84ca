package cache

import (
	"encoding/json"

	"github.com/reskit/res/resprot"
)

// queryEvent handles a query event: for every loaded query variant of the
// resource name, it sends a query request to the event's subject and
// applies the reply. Other events of the name wait until all replies are
// in, since the replies describe the state at the time of the query event.
func (es *eventSub) queryEvent(data []byte) {
	var qe resprot.QueryEvent
	if err := json.Unmarshal(data, &qe); err != nil || qe.Subject == "" {
		es.c.log.Error("cache: invalid query event", "name", es.name, "payload", string(data))
		return
	}
	for _, r := range es.resources() {
		if r.state != stateLoaded || r.query == "" {
			continue
		}
		payload, _ := json.Marshal(resprot.QueryRequest{Query: r.query})
		err := es.c.broker.Request(qe.Subject, payload, 0, func(data []byte, err error) {
			es.queryReply(r, data, err)
		})
		if err != nil {
			es.logError(r, "query request failed", "error", err)
			continue
		}
		es.queryPending++
	}
}

func (es *eventSub) queryReply(r *resource, data []byte, err error) {
	es.mu.Lock()
	defer es.mu.Unlock()
	es.queryPending--
	if r.state == stateLoaded && !es.dead {
		es.applyQueryReply(r, data, err)
	}
	for es.queryPending == 0 && len(es.held) > 0 && !es.dead {
		e := es.held[0]
		es.held = es.held[1:]
		es.handleEvent(e.name, e.data)
	}
	if len(es.held) == 0 {
		es.held = nil
	}
}

func (es *eventSub) applyQueryReply(r *resource, data []byte, err error) {
	if err != nil {
		es.fail(r, err, false)
		return
	}
	raw, err := decodeResult(data)
	if err != nil {
		es.fail(r, err, true)
		return
	}
	var res resprot.QueryResult
	if err := json.Unmarshal(raw, &res); err != nil {
		es.logError(r, "invalid query response", "error", err)
		return
	}
	if res.Model != nil || res.Collection != nil {
		snap, err := parseSnapshot(res.Model, res.Collection)
		if err != nil {
			es.logError(r, "invalid query response", "error", err)
			return
		}
		es.update(r, snap)
		return
	}
	for _, e := range res.Events {
		if r.state != stateLoaded {
			return
		}
		switch e.Event {
		case resprot.EventQuery:
			es.logError(r, "query event in a query response")
		case resprot.EventReaccess:
			for h := range r.handles {
				h.sub.Reaccess()
			}
		default:
			es.apply(r, e.Event, e.Data)
		}
	}
}
