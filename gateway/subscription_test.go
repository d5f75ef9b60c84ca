package gateway

import (
	"sort"
	"strings"
	"testing"

	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// testConn returns a connection with no transport or gateway, holding a
// graph of subs. graph maps a resource ID to "flags:refs", where flags hold
// d (direct), p (pinned) and s (sent), and refs is a comma-separated list.
func testConn(graph map[string]string) *conn {
	c := &conn{subs: make(map[string]*sub), access: make(map[string]*accessEntry)}
	for rid, desc := range graph {
		flags, refs, _ := strings.Cut(desc, ":")
		s := &sub{c: c, rid: rid, state: subReady}
		s.snap = cache.Snapshot{Kind: cache.KindModel, Model: map[string]resprot.Value{}}
		for i, r := range strings.Split(refs, ",") {
			if r != "" {
				s.snap.Model[string(rune('a'+i))] = resprot.Value{Type: resprot.ValueReference, RID: r}
			}
		}
		if strings.Contains(flags, "d") {
			s.direct = 1
		}
		if strings.Contains(flags, "p") {
			s.pins = 1
		}
		s.sent = strings.Contains(flags, "s")
		c.subs[rid] = s
	}
	return c
}

func (c *conn) describe() (kept, sent string) {
	var k, s []string
	for rid, sb := range c.subs {
		k = append(k, rid)
		if sb.sent {
			s = append(s, rid)
		}
	}
	sort.Strings(k)
	sort.Strings(s)
	return strings.Join(k, " "), strings.Join(s, " ")
}

func TestGC(t *testing.T) {
	tests := []struct {
		name       string
		graph      map[string]string
		kept, sent string
	}{
		{
			name:  "direct keeps its references",
			graph: map[string]string{"a": "ds:b", "b": "s:c", "c": "s:"},
			kept:  "a b c", sent: "a b c",
		},
		{
			name:  "unreferenced resources go",
			graph: map[string]string{"a": "s:b", "b": "s:"},
			kept:  "", sent: "",
		},
		{
			name:  "cycle without direct subscription goes",
			graph: map[string]string{"a": "s:b", "b": "s:a"},
			kept:  "", sent: "",
		},
		{
			name:  "cycle kept by one direct member",
			graph: map[string]string{"a": "s:b", "b": "ds:a", "x": "s:a"},
			kept:  "a b", sent: "a b",
		},
		{
			name:  "pinned resource kept but not sent when unreachable",
			graph: map[string]string{"a": "ps:b", "b": "s:"},
			kept:  "a b", sent: "",
		},
		{
			name:  "reference through an unsent resource is not known to the client",
			graph: map[string]string{"a": "ds:", "p": "p:b", "b": "s:"},
			kept:  "a b p", sent: "a",
		},
		{
			name:  "self reference",
			graph: map[string]string{"a": "s:a"},
			kept:  "", sent: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConn(tt.graph)
			c.gc()
			kept, sent := c.describe()
			if kept != tt.kept || sent != tt.sent {
				t.Errorf("gc(%v): kept %q, sent %q; want kept %q, sent %q", tt.graph, kept, sent, tt.kept, tt.sent)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	c := testConn(map[string]string{"a": "p:b,c", "b": ":c", "c": "s:", "d": ":"})
	c.protocol = protoMine
	rs := c.collect([]*sub{c.subs["a"]}, true)
	var got []string
	for rid := range rs.Models {
		got = append(got, rid)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "a b" {
		t.Errorf("collect sent %v, want a and b (c was sent, d is not reached)", got)
	}
	if _, sent := c.describe(); sent != "a b c" {
		t.Errorf("sent after collect = %q, want \"a b c\"", sent)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1.2.3", 1002003, true},
		{"1.0.0", 1000000, true},
		{"0.9.999", 9999, true},
		{"1.2", 0, false},
		{"1.2.3.4", 0, false},
		{"1.1000.0", 0, false},
		{"1.x.0", 0, false},
		{"1..0", 0, false},
		{"-1.0.0", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseVersion(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseVersion(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
