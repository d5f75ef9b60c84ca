package restest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/reskit/res"
	"github.com/reskit/res/resprot"
)

// Msg is a message the service published: a reply, a pre-response or an
// event. Its Assert methods fail the test with the expected and the actual
// JSON, and return the Msg so that they can be chained:
//
//	s.Get("library.book.1").Response().AssertModel(map[string]any{"title": "Dune"})
//
// Only a Msg got through a Session has a test to fail: one got from a
// MockConn directly has its Subject and Payload to read, and its Assert
// methods panic.
type Msg struct {
	Subject string
	Payload json.RawMessage

	t testing.TB
}

// Event is one event of a query request's reply (Msg.AssertEvents).
type Event struct {
	Name string `json:"event"`
	Data any    `json:"data,omitempty"`
}

// response is a reply as a test reads it.
type response struct {
	Result   json.RawMessage      `json:"result"`
	Resource *resprot.ResourceRef `json:"resource"`
	Error    *res.Error           `json:"error"`
	Meta     json.RawMessage      `json:"meta"`
}

func (m *Msg) fatalf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("restest: "+format, args...)
}

// AssertSubject asserts the message's subject.
func (m *Msg) AssertSubject(subject string) *Msg {
	m.t.Helper()
	if m.Subject != subject {
		m.fatalf("subject is %q, want %q (payload %s)", m.Subject, subject, m.Payload)
	}
	return m
}

// AssertPayload asserts that the payload is the JSON encoding of v, or
// equal JSON.
func (m *Msg) AssertPayload(v any) *Msg {
	m.t.Helper()
	assertJSON(m.t, m.Subject+" payload", v, m.Payload)
	return m
}

// AssertRawPayload asserts the payload bytes.
func (m *Msg) AssertRawPayload(b []byte) *Msg {
	m.t.Helper()
	if !bytes.Equal(m.Payload, b) {
		m.fatalf("%s payload:\nwant: %q\ngot:  %q", m.Subject, b, m.Payload)
	}
	return m
}

func (m *Msg) response() response {
	m.t.Helper()
	var r response
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		m.fatalf("reply on %s is not a JSON object: %v: %s", m.Subject, err, m.Payload)
	}
	return r
}

func (m *Msg) result() json.RawMessage {
	m.t.Helper()
	r := m.response()
	switch {
	case r.Error != nil:
		m.fatalf("reply is an error, want a result: %s", m.Payload)
	case r.Result == nil:
		m.fatalf("reply has no result: %s", m.Payload)
	}
	return r.Result
}

// AssertResult asserts a success reply with the result v.
func (m *Msg) AssertResult(v any) *Msg {
	m.t.Helper()
	assertJSON(m.t, "result", v, m.result())
	return m
}

// AssertResource asserts a resource reply: a reference to rid.
func (m *Msg) AssertResource(rid string) *Msg {
	m.t.Helper()
	r := m.response()
	if r.Resource == nil || r.Error != nil || r.Result != nil {
		m.fatalf("reply is not a resource reply for %q: %s", rid, m.Payload)
	}
	if r.Resource.RID != rid {
		m.fatalf("resource reply for %q, want %q", r.Resource.RID, rid)
	}
	return m
}

// AssertError asserts an error reply equal to err: code, message and data.
func (m *Msg) AssertError(err *res.Error) *Msg {
	m.t.Helper()
	r := m.response()
	if r.Error == nil {
		m.fatalf("reply is not an error, want %s: %s", err.Code, m.Payload)
	}
	want, _ := json.Marshal(err)
	got, _ := json.Marshal(r.Error)
	assertJSON(m.t, "error", json.RawMessage(want), got)
	return m
}

// AssertErrorCode asserts an error reply with the given code.
func (m *Msg) AssertErrorCode(code string) *Msg {
	m.t.Helper()
	r := m.response()
	if r.Error == nil {
		m.fatalf("reply is not an error, want %s: %s", code, m.Payload)
	}
	if r.Error.Code != code {
		m.fatalf("error code is %q, want %q: %s", r.Error.Code, code, m.Payload)
	}
	return m
}

func (m *Msg) getResult() resprot.GetResult {
	m.t.Helper()
	var g resprot.GetResult
	if err := json.Unmarshal(m.result(), &g); err != nil {
		m.fatalf("result is not a get result: %v: %s", err, m.Payload)
	}
	return g
}

// AssertModel asserts a reply (to a get or a query request) with the model
// v.
func (m *Msg) AssertModel(v any) *Msg {
	m.t.Helper()
	g := m.getResult()
	if g.Model == nil {
		m.fatalf("result has no model: %s", m.Payload)
	}
	assertJSON(m.t, "model", v, g.Model)
	return m
}

// AssertCollection asserts a reply (to a get or a query request) with the
// collection v.
func (m *Msg) AssertCollection(v any) *Msg {
	m.t.Helper()
	g := m.getResult()
	if g.Collection == nil {
		m.fatalf("result has no collection: %s", m.Payload)
	}
	assertJSON(m.t, "collection", v, g.Collection)
	return m
}

// AssertQuery asserts the normalized query of a get reply; "" asserts
// that there is none.
func (m *Msg) AssertQuery(query string) *Msg {
	m.t.Helper()
	if g := m.getResult(); g.Query != query {
		m.fatalf("query is %q, want %q: %s", g.Query, query, m.Payload)
	}
	return m
}

// AssertAccess asserts an access reply.
func (m *Msg) AssertAccess(get bool, call string) *Msg {
	m.t.Helper()
	assertJSON(m.t, "access result", resprot.AccessResult{Get: get, Call: call}, m.result())
	return m
}

// AssertEvents asserts a query request's reply with exactly these events.
func (m *Msg) AssertEvents(events ...Event) *Msg {
	m.t.Helper()
	var r struct {
		Events json.RawMessage `json:"events"`
	}
	res := m.result()
	if err := json.Unmarshal(res, &r); err != nil || (r.Events == nil && len(events) > 0) {
		m.fatalf("result has no events: %s", m.Payload)
	}
	if events == nil {
		events = []Event{}
	}
	if r.Events == nil {
		r.Events = json.RawMessage("[]")
	}
	assertJSON(m.t, "events", events, r.Events)
	return m
}

// AssertMeta asserts the meta object of a reply: the HTTP status (0 for
// none) and header (nil for none).
func (m *Msg) AssertMeta(status int, header map[string][]string) *Msg {
	m.t.Helper()
	r := m.response()
	if status == 0 && header == nil {
		if r.Meta != nil {
			m.fatalf("reply has meta %s, want none", r.Meta)
		}
		return m
	}
	assertJSON(m.t, "meta", resprot.Meta{Status: status, Header: header}, r.Meta)
	return m
}

// AssertPreResponse asserts a pre-response that sets the request timeout
// to d.
func (m *Msg) AssertPreResponse(d time.Duration) *Msg {
	m.t.Helper()
	want := `timeout:"` + strconv.FormatInt(d.Milliseconds(), 10) + `"`
	if string(m.Payload) != want {
		m.fatalf("payload is %q, want the pre-response %q", m.Payload, want)
	}
	return m
}

func (m *Msg) assertEvent(rid, name string) {
	m.t.Helper()
	m.AssertSubject(resprot.EventSubject(rid, name))
}

// AssertChangeEvent asserts a change event on rid with the changed values.
func (m *Msg) AssertChangeEvent(rid string, values any) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventChange)
	var ev struct {
		Values json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(m.Payload, &ev); err != nil || ev.Values == nil {
		m.fatalf("change event has no values: %s", m.Payload)
	}
	assertJSON(m.t, "change event values", values, ev.Values)
	return m
}

// AssertAddEvent asserts an add event on rid of value at idx.
func (m *Msg) AssertAddEvent(rid string, value any, idx int) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventAdd)
	raw, err := json.Marshal(value)
	if err != nil {
		m.fatalf("encoding value: %v", err)
	}
	assertJSON(m.t, "add event", resprot.AddEvent{Idx: idx, Value: raw}, m.Payload)
	return m
}

// AssertRemoveEvent asserts a remove event on rid at idx.
func (m *Msg) AssertRemoveEvent(rid string, idx int) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventRemove)
	assertJSON(m.t, "remove event", resprot.RemoveEvent{Idx: idx}, m.Payload)
	return m
}

func (m *Msg) assertNoPayload() {
	m.t.Helper()
	if len(m.Payload) != 0 {
		m.fatalf("%s has payload %s, want none", m.Subject, m.Payload)
	}
}

// AssertReaccessEvent asserts a reaccess event on rid.
func (m *Msg) AssertReaccessEvent(rid string) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventReaccess)
	m.assertNoPayload()
	return m
}

// AssertCreateEvent asserts a create event on rid.
func (m *Msg) AssertCreateEvent(rid string) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventCreate)
	m.assertNoPayload()
	return m
}

// AssertDeleteEvent asserts a delete event on rid.
func (m *Msg) AssertDeleteEvent(rid string) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventDelete)
	m.assertNoPayload()
	return m
}

// AssertCustomEvent asserts a custom event name on rid with payload; a nil
// payload asserts that there is none.
func (m *Msg) AssertCustomEvent(rid, name string, payload any) *Msg {
	m.t.Helper()
	m.assertEvent(rid, name)
	if payload == nil {
		m.assertNoPayload()
		return m
	}
	return m.AssertPayload(payload)
}

// AssertQueryEvent asserts a query event on rid, and stores the subject
// for query requests in *subject when subject is not nil.
func (m *Msg) AssertQueryEvent(rid string, subject *string) *Msg {
	m.t.Helper()
	m.assertEvent(rid, resprot.EventQuery)
	var ev resprot.QueryEvent
	if err := json.Unmarshal(m.Payload, &ev); err != nil || ev.Subject == "" {
		m.fatalf("query event has no subject: %s", m.Payload)
	}
	if subject != nil {
		*subject = ev.Subject
	}
	return m
}

// AssertSystemReset asserts a system.reset for exactly these resource and
// access patterns, in any order.
func (m *Msg) AssertSystemReset(resources, access []string) *Msg {
	m.t.Helper()
	m.AssertSubject(resprot.SubjectSystemReset)
	var got resprot.SystemReset
	if err := json.Unmarshal(m.Payload, &got); err != nil {
		m.fatalf("system.reset payload: %v: %s", err, m.Payload)
	}
	sorted := func(s []string) []string {
		s = slices.Clone(s)
		slices.Sort(s)
		if s == nil {
			s = []string{}
		}
		return s
	}
	want := map[string][]string{"resources": sorted(resources), "access": sorted(access)}
	have := map[string][]string{"resources": sorted(got.Resources), "access": sorted(got.Access)}
	if !reflect.DeepEqual(want, have) {
		w, _ := json.Marshal(want)
		m.fatalf("system.reset:\nwant: %s\ngot:  %s", w, m.Payload)
	}
	return m
}

// AssertTokenEvent asserts a token event for connection cid with token,
// and no token ID.
func (m *Msg) AssertTokenEvent(cid string, token any) *Msg {
	m.t.Helper()
	return m.AssertTokenEventWithID(cid, "", token)
}

// AssertTokenEventWithID asserts a token event for connection cid with
// the token ID tid and token.
func (m *Msg) AssertTokenEventWithID(cid, tid string, token any) *Msg {
	m.t.Helper()
	m.AssertSubject(resprot.TokenSubject(cid))
	raw, err := json.Marshal(token)
	if err != nil {
		m.fatalf("encoding token: %v", err)
	}
	assertJSON(m.t, "token event", resprot.TokenEvent{Token: raw, TID: tid}, m.Payload)
	return m
}

// AssertTokenReset asserts a system.tokenReset for subject and the token
// IDs tids.
func (m *Msg) AssertTokenReset(subject string, tids ...string) *Msg {
	m.t.Helper()
	m.AssertSubject(resprot.SubjectSystemTokenReset)
	assertJSON(m.t, "system.tokenReset", resprot.TokenReset{TIDs: tids, Subject: subject}, m.Payload)
	return m
}

// AssertEqualJSON fails the test unless got, as JSON, equals the JSON
// encoding of want. what names the value in the failure message.
func AssertEqualJSON(t testing.TB, what string, want any, got json.RawMessage) {
	t.Helper()
	assertJSON(t, what, want, got)
}

func assertJSON(t testing.TB, what string, want any, got json.RawMessage) {
	t.Helper()
	wantRaw, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("restest: %s: encoding expected value: %v", what, err)
	}
	var w, g any
	if err := json.Unmarshal(wantRaw, &w); err != nil {
		t.Fatalf("restest: %s: decoding expected value: %v", what, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("restest: %s is not JSON: %v: %q", what, err, got)
	}
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("restest: %s:\nwant: %s\ngot:  %s", what, compact(wantRaw), compact(got))
	}
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
