package cache

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reskit/res/resprot"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeBroker records subscriptions and requests. Tests play the dispatcher:
// they call handlers and reply callbacks from the test goroutine, in the
// order NATS would deliver the messages.
type fakeBroker struct {
	mu   sync.Mutex
	subs map[string]func(string, []byte)
	reqs []*fakeRequest
}

type fakeRequest struct {
	subject string
	payload string
	cb      func([]byte, error)
}

func newFakeBroker() *fakeBroker {
	return &fakeBroker{subs: make(map[string]func(string, []byte))}
}

func (b *fakeBroker) Subscribe(subject string, h func(string, []byte)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[subject] = h
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, subject)
	}, nil
}

func (b *fakeBroker) Request(subject string, payload []byte, _ time.Duration, cb func([]byte, error)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reqs = append(b.reqs, &fakeRequest{subject: subject, payload: string(payload), cb: cb})
	return nil
}

func (b *fakeBroker) subscribed(subject string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.subs[subject] != nil
}

// take returns the oldest request, which must be to subject.
func (b *fakeBroker) take(t testing.TB, subject string) *fakeRequest {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.reqs) == 0 {
		t.Fatalf("no request, want one on %s", subject)
	}
	r := b.reqs[0]
	if r.subject != subject {
		t.Fatalf("request on %s, want %s", r.subject, subject)
	}
	b.reqs = b.reqs[1:]
	return r
}

func (b *fakeBroker) none(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.reqs) > 0 {
		t.Fatalf("unexpected request on %s", b.reqs[0].subject)
	}
}

// event delivers event name of resource rname.
func (b *fakeBroker) event(t testing.TB, rname, name, payload string) {
	t.Helper()
	b.mu.Lock()
	h := b.subs["event."+rname+".*"]
	b.mu.Unlock()
	if h == nil {
		t.Fatalf("not subscribed to events of %s", rname)
	}
	h("event."+rname+"."+name, []byte(payload))
}

func (r *fakeRequest) result(result string) { r.cb([]byte(`{"result":`+result+`}`), nil) }

// recorder is a Subscriber that writes down what it gets.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *recorder) Loaded(s Snapshot, err error) {
	if err != nil {
		r.add("error " + resprot.ToError(err).Code)
		return
	}
	r.add("loaded " + snapString(s))
}

func (r *recorder) Event(ev *Event) {
	switch ev.Name {
	case "change":
		r.add("change " + valuesString(ev.Values) + " -> " + snapString(ev.Snapshot))
	case "add":
		r.add(fmt.Sprintf("add %d %s -> %s", ev.Idx, valueString(ev.Value), snapString(ev.Snapshot)))
	case "remove":
		r.add(fmt.Sprintf("remove %d -> %s", ev.Idx, snapString(ev.Snapshot)))
	default:
		r.add(ev.Name + " " + string(ev.Data))
	}
}

func (r *recorder) Reaccess() { r.add("reaccess") }

// took returns what was recorded since the last call.
func (r *recorder) took() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.log, "; ")
	r.log = nil
	return s
}

func valueString(v resprot.Value) string {
	switch v.Type {
	case resprot.ValueReference:
		return "@" + v.RID
	case resprot.ValueSoftReference:
		return "~" + v.RID
	case resprot.ValueData:
		return "data" + string(v.Inner)
	case resprot.ValueDelete:
		return "DEL"
	}
	return string(v.Raw)
}

func valuesString(m map[string]resprot.Value) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + valueString(m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func snapString(s Snapshot) string {
	if s.Kind == KindModel {
		return valuesString(s.Model)
	}
	parts := make([]string, len(s.Collection))
	for i, v := range s.Collection {
		parts[i] = valueString(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func newTestCache(t testing.TB, opts Options) (*Cache, *fakeBroker) {
	t.Helper()
	b := newFakeBroker()
	opts.Broker = b
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.UnsubscribeDelay == 0 {
		opts.UnsubscribeDelay = time.Hour
	}
	c := New(opts)
	t.Cleanup(c.Close)
	return c, b
}

func TestSubscribeSharesOneGet(t *testing.T) {
	c, b := newTestCache(t, Options{})
	r1, r2 := &recorder{}, &recorder{}
	c.Subscribe("test.m", r1)
	c.Subscribe("test.m", r2)
	if !b.subscribed("event.test.m.*") {
		t.Fatal("not subscribed to event.test.m.*")
	}
	req := b.take(t, "get.test.m")
	b.none(t)
	if req.payload != `{}` {
		t.Errorf("get payload = %s, want {}", req.payload)
	}
	req.result(`{"model":{"a":1}}`)
	for _, r := range []*recorder{r1, r2} {
		if got, want := r.took(), "loaded {a:1}"; got != want {
			t.Errorf("subscriber got %q, want %q", got, want)
		}
	}
	r3 := &recorder{}
	c.Subscribe("test.m", r3)
	b.none(t)
	if got, want := r3.took(), "loaded {a:1}"; got != want {
		t.Errorf("cached: got %q, want %q", got, want)
	}
}

func TestGetErrorsAreNotCached(t *testing.T) {
	c, b := newTestCache(t, Options{})
	r := &recorder{}
	h := c.Subscribe("test.m", r)
	b.take(t, "get.test.m").cb([]byte(`{"error":{"code":"system.notFound","message":"Not found"}}`), nil)
	if got := r.took(); got != "error system.notFound" {
		t.Fatalf("got %q", got)
	}
	h.Close()
	c.Subscribe("test.m", r)
	b.take(t, "get.test.m").result(`{"collection":[]}`)
	if got := r.took(); got != "loaded []" {
		t.Fatalf("got %q", got)
	}
}

func TestInvalidGetResponses(t *testing.T) {
	tests := []struct{ name, reply string }{
		{"not JSON", `{`},
		{"no result", `{}`},
		{"both model and collection", `{"result":{"model":{},"collection":[]}}`},
		{"neither", `{"result":{}}`},
		{"bare object value", `{"result":{"model":{"a":{"b":1}}}}`},
		{"bare array value", `{"result":{"collection":[[1]]}}`},
		{"delete action", `{"result":{"model":{"a":{"action":"delete"}}}}`},
		{"invalid rid", `{"result":{"model":{"a":{"rid":"a..b"}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b := newTestCache(t, Options{})
			r := &recorder{}
			c.Subscribe("test.m", r)
			b.take(t, "get.test.m").cb([]byte(tt.reply), nil)
			if got := r.took(); got != "error system.internalError" {
				t.Fatalf("got %q, want an internal error", got)
			}
		})
	}
}

func TestEventsBeforeLoadAreDiscarded(t *testing.T) {
	c, b := newTestCache(t, Options{})
	r := &recorder{}
	c.Subscribe("test.m", r)
	req := b.take(t, "get.test.m")
	// Sent by the service before its reply: already part of the reply.
	b.event(t, "test.m", "change", `{"values":{"a":2}}`)
	b.event(t, "test.m", "reaccess", ``)
	req.result(`{"model":{"a":2}}`)
	b.event(t, "test.m", "change", `{"values":{"a":3}}`)
	if got, want := r.took(), "reaccess; loaded {a:2}; change {a:3} -> {a:3}"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestModelEvents(t *testing.T) {
	tests := []struct {
		name, event, payload, want string
	}{
		{"change", "change", `{"values":{"a":2,"c":"x"}}`, `change {a:2,c:"x"} -> {a:2,b:@test.b,c:"x"}`},
		{"unchanged values are dropped", "change", `{"values":{"a":1,"c":true}}`, `change {c:true} -> {a:1,b:@test.b,c:true}`},
		{"no change sends nothing", "change", `{"values":{"a":1,"b":{"rid":"test.b"}}}`, ``},
		{"delete", "change", `{"values":{"b":{"action":"delete"}}}`, `change {b:DEL} -> {a:1}`},
		{"delete of absent key is dropped", "change", `{"values":{"x":{"action":"delete"}}}`, ``},
		{"soft reference", "change", `{"values":{"b":{"rid":"test.b","soft":true}}}`, `change {b:~test.b} -> {a:1,b:~test.b}`},
		{"primitive data value is the primitive", "change", `{"values":{"a":{"data":1}}}`, ``},
		{"data value", "change", `{"values":{"a":{"data":{"x": [1]}}}}`, `change {a:data{"x":[1]}} -> {a:data{"x":[1]},b:@test.b}`},
		{"legacy payload without values", "change", `{"a":5}`, `change {a:5} -> {a:5,b:@test.b}`},
		{"invalid value drops the event", "change", `{"values":{"a":2,"b":{"x":1}}}`, ``},
		{"add on a model is dropped", "add", `{"idx":0,"value":1}`, ``},
		{"remove on a model is dropped", "remove", `{"idx":0}`, ``},
		{"custom event", "foo", `{"x":1}`, `foo {"x":1}`},
		{"custom event without payload", "foo", ``, `foo `},
		{"create is forwarded", "create", ``, `create `},
		{"delete event", "delete", ``, `delete `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b := newTestCache(t, Options{})
			r := &recorder{}
			c.Subscribe("test.m", r)
			b.take(t, "get.test.m").result(`{"model":{"a":1,"b":{"rid":"test.b"}}}`)
			r.took()
			b.event(t, "test.m", tt.event, tt.payload)
			if got := r.took(); got != tt.want {
				t.Fatalf("%s %s: got %q, want %q", tt.event, tt.payload, got, tt.want)
			}
		})
	}
}

func TestCollectionEvents(t *testing.T) {
	tests := []struct {
		name, event, payload, want string
	}{
		{"add first", "add", `{"idx":0,"value":"x"}`, `add 0 "x" -> ["x","a","b"]`},
		{"add last", "add", `{"idx":2,"value":{"rid":"test.c"}}`, `add 2 @test.c -> ["a","b",@test.c]`},
		{"add out of range", "add", `{"idx":3,"value":1}`, ``},
		{"add negative", "add", `{"idx":-1,"value":1}`, ``},
		{"add without idx", "add", `{"value":1}`, ``},
		{"add bare object", "add", `{"idx":0,"value":{"a":1}}`, ``},
		{"remove", "remove", `{"idx":1}`, `remove 1 -> ["a"]`},
		{"remove out of range", "remove", `{"idx":2}`, ``},
		{"change on a collection is dropped", "change", `{"values":{"a":1}}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b := newTestCache(t, Options{})
			r := &recorder{}
			c.Subscribe("test.c", r)
			b.take(t, "get.test.c").result(`{"collection":["a","b"]}`)
			r.took()
			b.event(t, "test.c", tt.event, tt.payload)
			if got := r.took(); got != tt.want {
				t.Fatalf("%s %s: got %q, want %q", tt.event, tt.payload, got, tt.want)
			}
		})
	}
}

func TestDeleteEvictsResource(t *testing.T) {
	c, b := newTestCache(t, Options{})
	r := &recorder{}
	c.Subscribe("test.m", r)
	b.take(t, "get.test.m").result(`{"model":{"a":1}}`)
	b.event(t, "test.m", "delete", ``)
	b.event(t, "test.m", "change", `{"values":{"a":2}}`)
	if got, want := r.took(), "loaded {a:1}; delete "; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	r2 := &recorder{}
	c.Subscribe("test.m", r2)
	b.take(t, "get.test.m").result(`{"model":{"a":3}}`)
	if got, want := r2.took(), "loaded {a:3}"; got != want {
		t.Fatalf("after delete: got %q, want %q", got, want)
	}
}

func TestQueryNormalization(t *testing.T) {
	c, b := newTestCache(t, Options{})
	r1, r2, r3 := &recorder{}, &recorder{}, &recorder{}
	c.Subscribe("test.q?b=2&a=1", r1)
	req := b.take(t, "get.test.q")
	if req.payload != `{"query":"b=2\u0026a=1"}` && req.payload != `{"query":"b=2&a=1"}` {
		t.Fatalf("payload %s", req.payload)
	}
	req.result(`{"collection":[1],"query":"a=1&b=2"}`)
	// The normalized query and the raw one share the cached resource.
	c.Subscribe("test.q?a=1&b=2", r2)
	c.Subscribe("test.q?b=2&a=1", r3)
	b.none(t)
	for i, r := range []*recorder{r1, r2, r3} {
		if got := r.took(); got != "loaded [1]" {
			t.Errorf("subscriber %d got %q", i, got)
		}
	}
	// Another raw form is asked once, then linked to the same resource.
	r4 := &recorder{}
	c.Subscribe("test.q?a=1&&b=2", r4)
	b.take(t, "get.test.q").result(`{"collection":[1],"query":"a=1&b=2"}`)
	if got := r4.took(); got != "loaded [1]" {
		t.Errorf("got %q", got)
	}
	if n := c.Len(); n != 1 {
		t.Errorf("Len() = %d, want 1", n)
	}
}

func TestQueryIgnoredSharesBase(t *testing.T) {
	c, b := newTestCache(t, Options{})
	r1, r2 := &recorder{}, &recorder{}
	c.Subscribe("test.m?x=1", r1)
	b.take(t, "get.test.m").result(`{"model":{"a":1}}`)
	c.Subscribe("test.m", r2)
	b.none(t)
	b.event(t, "test.m", "change", `{"values":{"a":2}}`)
	for i, r := range []*recorder{r1, r2} {
		if got, want := r.took(), "loaded {a:1}; change {a:2} -> {a:2}"; got != want {
			t.Errorf("subscriber %d got %q, want %q", i, got, want)
		}
	}
}

func TestQueryEvent(t *testing.T) {
	c, b := newTestCache(t, Options{})
	rq, rm, rb := &recorder{}, &recorder{}, &recorder{}
	c.Subscribe("test.q?p=1", rq)
	b.take(t, "get.test.q").result(`{"collection":["a","b","c"],"query":"p=1"}`)
	c.Subscribe("test.q?p=2", rm)
	b.take(t, "get.test.q").result(`{"model":{"n":1},"query":"p=2"}`)
	c.Subscribe("test.q", rb)
	b.take(t, "get.test.q").result(`{"model":{"n":0}}`)
	rq.took()
	rm.took()
	rb.took()

	b.event(t, "test.q", "query", `{"subject":"_QUERY.1"}`)
	q1 := b.take(t, "_QUERY.1")
	q2 := b.take(t, "_QUERY.1")
	if q1.payload == `{"query":"p=2"}` {
		q1, q2 = q2, q1
	}
	if q1.payload != `{"query":"p=1"}` || q2.payload != `{"query":"p=2"}` {
		t.Fatalf("query payloads %s, %s", q1.payload, q2.payload)
	}
	// Held until the query replies are in.
	b.event(t, "test.q", "change", `{"values":{"n":5}}`)
	q1.result(`{"collection":["c","a","x"]}`)
	if got := rb.took(); got != "" {
		t.Fatalf("base event applied while query pending: %q", got)
	}
	q2.result(`{"events":[{"event":"change","data":{"values":{"n":2}}},{"event":"foo","data":1}]}`)
	if got, want := rq.took(), `remove 1 -> ["a","c"]; remove 0 -> ["c"]; add 1 "a" -> ["c","a"]; add 2 "x" -> ["c","a","x"]`; got != want {
		t.Errorf("collection query: got %q, want %q", got, want)
	}
	if got, want := rm.took(), `change {n:2} -> {n:2}; foo 1`; got != want {
		t.Errorf("model query: got %q, want %q", got, want)
	}
	if got, want := rb.took(), `change {n:5} -> {n:5}`; got != want {
		t.Errorf("base after query: got %q, want %q", got, want)
	}

	// Not found deletes the query resource.
	b.event(t, "test.q", "query", `{"subject":"_QUERY.2"}`)
	q1 = b.take(t, "_QUERY.2")
	q2 = b.take(t, "_QUERY.2")
	q1.cb([]byte(`{"error":{"code":"system.notFound","message":"Not found"}}`), nil)
	q2.cb(nil, resprot.ErrTimeout)
	if got := rq.took() + rm.took(); got != "delete " {
		t.Errorf("not found: got %q, want one delete", got)
	}
}

func TestReset(t *testing.T) {
	c, b := newTestCache(t, Options{ResetThrottle: 1})
	rm, rc, rx := &recorder{}, &recorder{}, &recorder{}
	c.Subscribe("test.m", rm)
	b.take(t, "get.test.m").result(`{"model":{"a":1,"b":2}}`)
	c.Subscribe("test.c", rc)
	b.take(t, "get.test.c").result(`{"collection":[1,2,3]}`)
	c.Subscribe("other.x", rx)
	b.take(t, "get.other.x").result(`{"model":{}}`)
	rm.took()
	rc.took()
	rx.took()

	c.Reset([]string{"test.>"})
	// With a throttle of 1, the second get waits for the first reply.
	// Resources are reset in no particular order.
	replies := map[string]string{
		"get.test.m": `{"model":{"a":1,"c":3}}`,
		"get.test.c": `{"collection":[2,3,4]}`,
	}
	for range 2 {
		b.mu.Lock()
		if len(b.reqs) != 1 {
			b.mu.Unlock()
			t.Fatalf("%d requests in flight, want 1", len(b.reqs))
		}
		subject := b.reqs[0].subject
		b.mu.Unlock()
		reply, ok := replies[subject]
		if !ok {
			t.Fatalf("unexpected reset request on %s", subject)
		}
		delete(replies, subject)
		b.take(t, subject).result(reply)
	}
	if got, want := rm.took(), "change {b:DEL,c:3} -> {a:1,c:3}"; got != want {
		t.Errorf("model reset: got %q, want %q", got, want)
	}
	if got, want := rc.took(), "remove 0 -> [2,3]; add 2 4 -> [2,3,4]"; got != want {
		t.Errorf("collection reset: got %q, want %q", got, want)
	}
	if got := rx.took(); got != "" {
		t.Errorf("unmatched resource got %q", got)
	}
	c.Reset([]string{"other.x"})
	b.take(t, "get.other.x").cb([]byte(`{"error":{"code":"system.notFound","message":"Not found"}}`), nil)
	if got := rx.took(); got != "delete " {
		t.Errorf("not found: got %q", got)
	}
}

func TestEviction(t *testing.T) {
	c, b := newTestCache(t, Options{UnsubscribeDelay: -1})
	r := &recorder{}
	h := c.Subscribe("test.m", r)
	b.take(t, "get.test.m").result(`{"model":{}}`)
	h.Close()
	deadline := time.Now().Add(10 * time.Second)
	for b.subscribed("event.test.m.*") {
		if time.Now().After(deadline) {
			t.Fatal("not evicted")
		}
		time.Sleep(time.Millisecond)
	}
	c.Subscribe("test.m", r)
	b.take(t, "get.test.m")
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.*.c", "a.b.c", true},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{">", "a", true},
		{"*", "a.b", false},
		{"a.b.c", "a.b", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.name, func(t *testing.T) {
			if got := MatchPattern(tt.pattern, tt.name); got != tt.want {
				t.Errorf("MatchPattern(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
			}
		})
	}
}

func TestDiffCollection(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		ops  int
	}{
		{"equal", `[1,2,3]`, `[1,2,3]`, 0},
		{"empty to some", `[]`, `[1,2]`, 2},
		{"some to empty", `[1,2]`, `[]`, 2},
		{"insert middle", `[1,3]`, `[1,2,3]`, 1},
		{"remove middle", `[1,2,3]`, `[1,3]`, 1},
		{"move", `[1,2,3,4]`, `[2,3,4,1]`, 2},
		{"replace", `[1,2,3]`, `[1,9,3]`, 2},
		{"references", `[{"rid":"a"},{"rid":"b"}]`, `[{"rid":"b"},{"rid":"a","soft":true}]`, 2},
		{"reverse", `[1,2,3,4]`, `[4,3,2,1]`, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseCollection(json.RawMessage(tt.a))
			if err != nil {
				t.Fatal(err)
			}
			b, err := parseCollection(json.RawMessage(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			ops := diffCollection(a, b)
			got := append([]resprot.Value(nil), a...)
			for _, op := range ops {
				if op.add {
					got = append(got[:op.idx], append([]resprot.Value{op.value}, got[op.idx:]...)...)
				} else {
					got = append(got[:op.idx], got[op.idx+1:]...)
				}
			}
			if g, w := snapString(Snapshot{Kind: KindCollection, Collection: got}), snapString(Snapshot{Kind: KindCollection, Collection: b}); g != w {
				t.Errorf("diff(%s, %s) applied = %s, want %s", tt.a, tt.b, g, w)
			}
			if len(ops) != tt.ops {
				t.Errorf("diff(%s, %s) has %d ops, want %d", tt.a, tt.b, len(ops), tt.ops)
			}
		})
	}
}
