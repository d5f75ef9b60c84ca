package gateway_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/gateway"
)

// graphService serves models t.m.0 ... t.m.n-1, each {"v":int,"r":ref|null},
// and changes them with events. Replies and events are published under one
// lock, so they leave in the order of the changes.
type graphService struct {
	mu    sync.Mutex
	nc    *nats.Conn
	v     []int
	r     []int // -1 for none
	l     []int // the collection t.l: references to models
	clock int
}

func (s *graphService) list() []any {
	out := make([]any, len(s.l))
	for i, x := range s.l {
		out[i] = map[string]string{"rid": "t.m." + strconv.Itoa(x)}
	}
	return out
}

func (s *graphService) model(i int) map[string]any {
	var r any
	if s.r[i] >= 0 {
		r = map[string]string{"rid": "t.m." + strconv.Itoa(s.r[i])}
	}
	return map[string]any{"v": s.v[i], "r": r}
}

func (s *graphService) serve(m *nats.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.HasPrefix(m.Subject, "access."):
		_ = m.Respond([]byte(`{"result":{"get":true}}`))
	case m.Subject == "get.t.l":
		b, _ := json.Marshal(map[string]any{"result": map[string]any{"collection": s.list()}})
		_ = m.Respond(b)
	case strings.HasPrefix(m.Subject, "get.t.m."):
		i, _ := strconv.Atoi(strings.TrimPrefix(m.Subject, "get.t.m."))
		b, _ := json.Marshal(map[string]any{"result": map[string]any{"model": s.model(i)}})
		_ = m.Respond(b)
	}
}

func (s *graphService) publish(subject string, v any) {
	b, _ := json.Marshal(v)
	_ = s.nc.Publish(subject, b)
}

func (s *graphService) change(i int, values map[string]any) {
	b, _ := json.Marshal(map[string]any{"values": values})
	_ = s.nc.Publish("event.t.m."+strconv.Itoa(i)+".change", b)
}

// clientView is what a client like resclient keeps: its direct
// subscriptions and the resources the gateway sent, dropped when no direct
// subscription reaches them.
type clientView struct {
	t      *testing.T
	direct map[string]int
	cache  map[string]map[string]json.RawMessage
	colls  map[string][]json.RawMessage
}

func (v *clientView) has(rid string) bool {
	_, m := v.cache[rid]
	_, c := v.colls[rid]
	return m || c
}

// refs returns the hard references of resource rid.
func (v *clientView) refs(rid string) []string {
	var out []string
	if m, ok := v.cache[rid]; ok {
		for _, x := range m {
			if r := refOf(x); r != "" {
				out = append(out, r)
			}
		}
	}
	for _, x := range v.colls[rid] {
		if r := refOf(x); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func (v *clientView) addSet(data json.RawMessage) {
	var rs struct {
		Models      map[string]map[string]json.RawMessage `json:"models"`
		Collections map[string][]json.RawMessage          `json:"collections"`
		Errors      map[string]json.RawMessage            `json:"errors"`
	}
	if err := json.Unmarshal(data, &rs); err != nil {
		v.t.Fatal(err)
	}
	if len(rs.Errors) > 0 {
		v.t.Fatalf("errors in resource set: %s", data)
	}
	for rid, m := range rs.Models {
		if v.has(rid) {
			v.t.Fatalf("resource set resends %s, which the client has", rid)
		}
		v.cache[rid] = m
	}
	for rid, c := range rs.Collections {
		if v.has(rid) {
			v.t.Fatalf("resource set resends %s, which the client has", rid)
		}
		v.colls[rid] = c
	}
}

func refOf(raw json.RawMessage) string {
	var ref struct {
		RID string `json:"rid"`
	}
	_ = json.Unmarshal(raw, &ref)
	return ref.RID
}

func (v *clientView) reachable() []string {
	seen := map[string]bool{}
	var stack []string
	for rid, n := range v.direct {
		if n > 0 {
			stack = append(stack, rid)
		}
	}
	var out []string
	for len(stack) > 0 {
		rid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[rid] {
			continue
		}
		seen[rid] = true
		out = append(out, rid)
		stack = append(stack, v.refs(rid)...)
	}
	sort.Strings(out)
	return out
}

func (v *clientView) gc() {
	keep := map[string]bool{}
	for _, rid := range v.reachable() {
		keep[rid] = true
	}
	for rid := range v.cache {
		if !keep[rid] {
			delete(v.cache, rid)
		}
	}
	for rid := range v.colls {
		if !keep[rid] {
			delete(v.colls, rid)
		}
	}
}

func (v *clientView) event(name string, data json.RawMessage) {
	rid, ev, _ := cutLast(name, ".")
	if ev == "add" || ev == "remove" {
		c, ok := v.colls[rid]
		if !ok {
			v.t.Fatalf("event %s on a resource the client does not have", name)
		}
		var p struct {
			Idx   int             `json:"idx"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			v.t.Fatal(err)
		}
		nc := append([]json.RawMessage{}, c[:p.Idx]...)
		if ev == "add" {
			nc = append(nc, p.Value)
			nc = append(nc, c[p.Idx:]...)
		} else {
			nc = append(nc, c[p.Idx+1:]...)
		}
		v.colls[rid] = nc
		v.addSet(data)
		v.gc()
		return
	}
	if ev != "change" {
		v.t.Fatalf("unexpected event %s", name)
	}
	m, ok := v.cache[rid]
	if !ok {
		v.t.Fatalf("event %s on a resource the client does not have", name)
	}
	var ch struct {
		Values map[string]json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(data, &ch); err != nil {
		v.t.Fatal(err)
	}
	nm := make(map[string]json.RawMessage, len(m))
	for k, x := range m {
		nm[k] = x
	}
	for k, x := range ch.Values {
		nm[k] = x
	}
	v.cache[rid] = nm
	v.addSet(data)
	v.gc()
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// mismatch describes how the view differs from the service, or is "".
func (v *clientView) mismatch(s *graphService) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rid := range v.reachable() {
		if !v.has(rid) {
			return "missing " + rid
		}
		var got, want []byte
		if rid == "t.l" {
			got, _ = json.Marshal(v.colls[rid])
			want, _ = json.Marshal(s.list())
		} else {
			i, _ := strconv.Atoi(strings.TrimPrefix(rid, "t.m."))
			want, _ = json.Marshal(s.model(i))
			got, _ = json.Marshal(v.cache[rid])
		}
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal(want, &w)
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			return fmt.Sprintf("%s is %s, want %s", rid, gb, wb)
		}
	}
	return ""
}

func TestCoreRandomGraphConsistency(t *testing.T) {
	configs := []struct {
		name string
		cfg  gateway.Config
	}{
		{"cached", gateway.Config{UnsubscribeDelay: time.Hour}},
		{"evicted at once", gateway.Config{UnsubscribeDelay: -1}},
		{"reference throttle", gateway.Config{UnsubscribeDelay: -1, ReferenceThrottle: 1}},
	}
	for _, cf := range configs {
		for _, seed := range seeds() {
			t.Run(cf.name+" seed "+strconv.FormatUint(seed, 10), func(t *testing.T) {
				randomGraphRun(t, cf.cfg, seed)
			})
		}
	}
}

func randomGraphRun(t *testing.T, cfg gateway.Config, seed uint64) {
	const n, steps = 8, 150
	e := newCoreEnv(t, cfg)
	for _, s := range e.capture {
		if err := s.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
	}
	svc := &graphService{nc: e.nc, v: make([]int, n), r: make([]int, n)}
	for i := range svc.r {
		svc.r[i] = -1
	}
	for _, s := range []string{"access.t.>", "get.t.>"} {
		if _, err := e.nc.Subscribe(s, svc.serve); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	c := e.dial()
	mustResult(t, c, "version", map[string]string{"protocol": "1.2.3"})
	view := &clientView{t: t, direct: map[string]int{}, cache: map[string]map[string]json.RawMessage{}, colls: map[string][]json.RawMessage{}}
	rnd := rand.New(rand.NewPCG(seed, 42))

	// handle applies one message; it returns the id of a response.
	handle := func(m map[string]json.RawMessage) (int, json.RawMessage) {
		if ev, ok := m["event"]; ok {
			var name string
			_ = json.Unmarshal(ev, &name)
			view.event(name, m["data"])
			return 0, nil
		}
		if m["error"] != nil {
			t.Fatalf("error response: %s", m["error"])
		}
		var id int
		_ = json.Unmarshal(m["id"], &id)
		return id, m["result"]
	}
	request := func(method string) json.RawMessage {
		id := c.send(method, nil)
		for {
			if got, res := handle(c.next()); got == id {
				return res
			} else if got != 0 {
				t.Fatalf("response %d, want %d", got, id)
			}
		}
	}
	settle := func(step int) {
		deadline := time.Now().Add(wait)
		for {
			msg := view.mismatch(svc)
			if msg == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("step %d: client view never matched: %s", step, msg)
			}
			select {
			case m, ok := <-c.msgs:
				if !ok {
					t.Fatal("connection closed")
				}
				handle(m)
			case <-time.After(time.Until(deadline)):
			}
		}
	}
	for step := 0; step < steps; step++ {
		i := rnd.IntN(n)
		rid := "t.m." + strconv.Itoa(i)
		if rnd.IntN(4) == 0 {
			rid = "t.l"
		}
		switch op := rnd.IntN(14); {
		case op < 3:
			svc.mu.Lock()
			svc.clock++
			svc.v[i] = svc.clock
			svc.change(i, map[string]any{"v": svc.clock})
			svc.mu.Unlock()
		case op < 6:
			svc.mu.Lock()
			r := rnd.IntN(n+1) - 1
			if r != svc.r[i] {
				svc.r[i] = r
				svc.change(i, map[string]any{"r": svc.model(i)["r"]})
			}
			svc.mu.Unlock()
		case op == 8:
			// Add to or remove from the collection.
			svc.mu.Lock()
			if len(svc.l) > 0 && rnd.IntN(2) == 0 {
				idx := rnd.IntN(len(svc.l))
				svc.l = append(svc.l[:idx], svc.l[idx+1:]...)
				svc.publish("event.t.l.remove", map[string]int{"idx": idx})
			} else {
				idx := rnd.IntN(len(svc.l) + 1)
				svc.l = append(svc.l[:idx], append([]int{i}, svc.l[idx:]...)...)
				svc.publish("event.t.l.add", map[string]any{"idx": idx, "value": map[string]string{"rid": "t.m." + strconv.Itoa(i)}})
			}
			svc.mu.Unlock()
		case op == 9:
			// Change data without events, then reset: the gateway must
			// find the differences itself.
			svc.mu.Lock()
			for k := rnd.IntN(3); k > 0; k-- {
				j := rnd.IntN(n)
				svc.clock++
				svc.v[j] = svc.clock
				svc.r[rnd.IntN(n)] = rnd.IntN(n+1) - 1
			}
			rnd.Shuffle(len(svc.l), func(a, b int) { svc.l[a], svc.l[b] = svc.l[b], svc.l[a] })
			if len(svc.l) > 0 {
				svc.l = svc.l[:rnd.IntN(len(svc.l))]
			}
			svc.l = append(svc.l, rnd.IntN(n))
			svc.publish("system.reset", map[string]any{"resources": []string{"t.>"}})
			svc.mu.Unlock()
		case op < 12:
			res := request("subscribe." + rid)
			view.direct[rid]++
			view.addSet(res)
		default:
			if view.direct[rid] == 0 {
				continue
			}
			request("unsubscribe." + rid)
			view.direct[rid]--
			view.gc()
		}
		settle(step)
	}
}

// seeds returns the random seeds of TestCoreRandomGraphConsistency;
// GATEWAY_RANDOM_SEEDS=N runs seeds 1 to N.
func seeds() []uint64 {
	n := 3
	if s, err := strconv.Atoi(os.Getenv("GATEWAY_RANDOM_SEEDS")); err == nil && s > 0 {
		n = s
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}
