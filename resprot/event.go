package resprot

import "encoding/json"

// Event names that the protocol gives a meaning. A custom event may use any
// other valid part as its name.
const (
	EventChange      = "change"
	EventAdd         = "add"
	EventRemove      = "remove"
	EventDelete      = "delete"
	EventCreate      = "create"
	EventReaccess    = "reaccess"
	EventQuery       = "query"
	EventUnsubscribe = "unsubscribe"
	EventPatch       = "patch"
	EventReset       = "reset"
)

// IsReservedEvent reports whether name is an event name that a service may
// not use for a custom event.
func IsReservedEvent(name string) bool {
	switch name {
	case EventChange, EventAdd, EventRemove, EventDelete, EventCreate,
		EventReaccess, EventQuery, EventUnsubscribe, EventPatch, EventReset:
		return true
	}
	return false
}

// ChangeEvent is the payload of a model change event. A value is a
// primitive, a reference, a soft reference, a data value, or the delete
// action for a property that was removed.
type ChangeEvent struct {
	Values map[string]json.RawMessage `json:"values"`
}

// AddEvent is the payload of a collection add event.
type AddEvent struct {
	Idx   int             `json:"idx"`
	Value json.RawMessage `json:"value"`
}

// RemoveEvent is the payload of a collection remove event.
type RemoveEvent struct {
	Idx int `json:"idx"`
}

// QueryEvent is the payload of a query event: the subject to which a gateway
// sends a QueryRequest for each query it holds of the resource.
type QueryEvent struct {
	Subject string `json:"subject"`
}

// SystemReset is the payload of a system.reset event. Resources and Access
// hold resource patterns where '*' stands for one part and a final '>' for
// one or more.
type SystemReset struct {
	Resources []string `json:"resources,omitempty"`
	Access    []string `json:"access,omitempty"`
}

// TokenEvent is the payload of a connection token event, sent on
// conn.<cid>.token. A nil Token clears the connection's token. TID is the
// token ID used by system.tokenReset.
type TokenEvent struct {
	Token json.RawMessage `json:"token"`
	TID   string          `json:"tid,omitempty"`
}

// TokenReset is the payload of a system.tokenReset event: every connection
// whose token ID is in TIDs is to be re-authenticated with an auth request
// sent to Subject.
type TokenReset struct {
	TIDs    []string `json:"tids"`
	Subject string   `json:"subject"`
}

// Subjects and subject prefixes of the protocol.
const (
	SubjectSystemReset      = "system.reset"
	SubjectSystemTokenReset = "system.tokenReset"
)

// EventSubject returns the subject of event name on resource rname:
// "event.<rname>.<name>".
func EventSubject(rname, name string) string {
	return "event." + rname + "." + name
}

// TokenSubject returns the subject of a token event for connection cid:
// "conn.<cid>.token".
func TokenSubject(cid string) string {
	return "conn." + cid + ".token"
}
