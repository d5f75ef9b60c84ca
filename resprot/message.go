package resprot

import (
	"encoding/json"
	"net/http"
)

// Request is the payload of a request sent over NATS to a service: access,
// get, call and auth requests all use it, each with the fields the protocol
// gives that request type.
//
// Token and Params are kept as raw JSON and are nil when absent. A gateway
// sends "token":null and "params":null when there is none; both are treated
// as absent by IsNull.
type Request struct {
	CID        string              `json:"cid,omitempty"`
	Params     json.RawMessage     `json:"params,omitempty"`
	Token      json.RawMessage     `json:"token,omitempty"`
	Header     map[string][]string `json:"header,omitempty"`
	Host       string              `json:"host,omitempty"`
	RemoteAddr string              `json:"remoteAddr,omitempty"`
	URI        string              `json:"uri,omitempty"`
	Query      string              `json:"query,omitempty"`
	IsHTTP     bool                `json:"isHttp,omitempty"`
}

// IsNull reports whether raw is absent or the JSON null.
func IsNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// Response is the payload of a service's reply. Exactly one of Result,
// Resource and Error is set; Meta may accompany any of them when the request
// had isHttp set.
type Response struct {
	Result   json.RawMessage `json:"result,omitempty"`
	Resource *ResourceRef    `json:"resource,omitempty"`
	Error    *Error          `json:"error,omitempty"`
	Meta     *Meta           `json:"meta,omitempty"`
}

// ResourceRef is the resource of a resource response: the ID of the resource
// that a call or auth request created or points to.
type ResourceRef struct {
	RID string `json:"rid"`
}

// Meta is the meta object of a response (protocol 1.2.3). It lets a service
// set the HTTP status and headers of the response a gateway gives an HTTP
// client.
type Meta struct {
	Status int         `json:"status,omitempty"`
	Header http.Header `json:"header,omitempty"`
}

// AccessResult is the result of an access request. Call is a comma-separated
// list of the methods that may be called, "*" for all, or empty for none.
type AccessResult struct {
	Get  bool   `json:"get,omitempty"`
	Call string `json:"call,omitempty"`
}

// CanCall reports whether the access result allows calling method.
func (a AccessResult) CanCall(method string) bool {
	s := a.Call
	for s != "" {
		var m string
		m, s = cut(s, ',')
		if m == "*" || m == method {
			return true
		}
	}
	return false
}

func cut(s string, sep byte) (before, after string) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// GetResult is the result of a get request: a model (a JSON object) or a
// collection (a JSON array), and for a query resource the normalized query.
type GetResult struct {
	Model      json.RawMessage `json:"model,omitempty"`
	Collection json.RawMessage `json:"collection,omitempty"`
	Query      string          `json:"query,omitempty"`
}

// QueryRequest is the payload of a request sent to the subject of a query
// event.
type QueryRequest struct {
	Query string `json:"query"`
}

// QueryResult is the result of a query request: either a list of events to
// apply to the query resource, or the resource's whole new value as a model
// or a collection.
type QueryResult struct {
	Events     []EventEntry    `json:"events,omitempty"`
	Model      json.RawMessage `json:"model,omitempty"`
	Collection json.RawMessage `json:"collection,omitempty"`
}

// EventEntry is one event in a query result.
type EventEntry struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data,omitempty"`
}
