package gateway

import (
	"encoding/json"

	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// resourceSet is the set of resources sent with a response or an event:
// the resources the client did not have yet.
type resourceSet struct {
	Models      map[string]map[string]json.RawMessage `json:"models,omitempty"`
	Collections map[string][]json.RawMessage          `json:"collections,omitempty"`
	Errors      map[string]*resprot.Error             `json:"errors,omitempty"`
}

func (rs *resourceSet) add(c *conn, rid string, snap cache.Snapshot) {
	if snap.Kind == cache.KindModel {
		if rs.Models == nil {
			rs.Models = make(map[string]map[string]json.RawMessage)
		}
		rs.Models[rid] = c.encodeModel(snap.Model)
		return
	}
	if rs.Collections == nil {
		rs.Collections = make(map[string][]json.RawMessage)
	}
	rs.Collections[rid] = c.encodeCollection(snap.Collection)
}

func (rs *resourceSet) addError(rid string, err *resprot.Error) {
	if rs.Errors == nil {
		rs.Errors = make(map[string]*resprot.Error)
	}
	rs.Errors[rid] = err
}

// empty reports whether rs holds nothing; a nil set is empty.
func (rs *resourceSet) empty() bool {
	return rs == nil || len(rs.Models) == 0 && len(rs.Collections) == 0 && len(rs.Errors) == 0
}

func (c *conn) encodeModel(m map[string]resprot.Value) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = c.encodeValue(v)
	}
	return out
}

func (c *conn) encodeCollection(vs []resprot.Value) []json.RawMessage {
	out := make([]json.RawMessage, len(vs))
	for i, v := range vs {
		out[i] = c.encodeValue(v)
	}
	return out
}

var dataPlaceholder = json.RawMessage(`"[Data]"`)

// encodeValue encodes v for the client. Clients older than protocol 1.2.1
// know neither soft references nor data values: they get a soft reference
// as its bare resource ID and an object or array data value as "[Data]".
func (c *conn) encodeValue(v resprot.Value) json.RawMessage {
	switch v.Type {
	case resprot.ValueReference:
		b, _ := json.Marshal(struct {
			RID string `json:"rid"`
		}{v.RID})
		return b
	case resprot.ValueSoftReference:
		if c.protocol < proto1_2_1 {
			b, _ := json.Marshal(v.RID)
			return b
		}
		b, _ := json.Marshal(struct {
			RID  string `json:"rid"`
			Soft bool   `json:"soft"`
		}{v.RID, true})
		return b
	case resprot.ValueData:
		if c.protocol < proto1_2_1 {
			return dataPlaceholder
		}
		return append(append([]byte(`{"data":`), v.Inner...), '}')
	case resprot.ValueDelete:
		return resprot.DeleteAction
	}
	return v.Raw
}

// sendEvent sends a change, add or remove event of s with the resources
// it brings.
func (c *conn) sendEvent(s *sub, ev *cache.Event, rs *resourceSet) {
	if rs.empty() {
		rs = nil
	}
	switch ev.Name {
	case resprot.EventChange:
		encode := func() []byte {
			values := make(map[string]json.RawMessage, len(ev.Values))
			for k, v := range ev.Values {
				values[k] = c.encodeValue(v)
			}
			return c.encodeEvent(s.rid, ev.Name, struct {
				Values map[string]json.RawMessage `json:"values"`
				*resourceSet
			}{values, rs})
		}
		var b []byte
		if rs != nil {
			b = encode()
		} else {
			// Without resources to add, every connection that names the
			// resource alike and encodes values alike gets the same
			// message: encode it once for all of them.
			key := s.rid
			if c.protocol < proto1_2_1 {
				key = "\x00legacy\x00" + key
			}
			b = ev.Encoded(key, encode)
		}
		if b != nil {
			c.g.metrics.wsEvents.Inc()
			c.write(b)
		}
	case resprot.EventAdd:
		c.event(s.rid, ev.Name, struct {
			Idx   int             `json:"idx"`
			Value json.RawMessage `json:"value"`
			*resourceSet
		}{ev.Idx, c.encodeValue(ev.Value), rs})
	case resprot.EventRemove:
		c.event(s.rid, ev.Name, struct {
			Idx int `json:"idx"`
		}{ev.Idx})
	}
}

// parseResponse decodes a service's reply to a call or auth request, or
// returns the error that ended the request or that the reply holds.
func parseResponse(data []byte, err error) (*resprot.Response, error) {
	if err != nil {
		return nil, err
	}
	r, err := resprot.ParseResponse(data)
	if err != nil {
		return nil, err
	}
	if r.Error != nil {
		return nil, r.Error
	}
	return &r, nil
}
