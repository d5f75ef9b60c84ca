package resprot_test

import (
	"testing"

	"github.com/reskit/res/resprot"
)

// ridTests are resource IDs and whether they are valid. The first rows are
// the examples of the RES protocol's "Resource IDs" section.
var ridTests = []struct {
	name  string
	rid   string
	valid bool
}{
	{"spec users collection", "example.users", true},
	{"spec user model", "example.user.42", true},
	{"spec user roles", "example.user.42.roles", true},
	{"spec paged messages", "chat.messages?start=0&limit=25", true},
	{"spec user search", "example.users?q=Jane", true},
	{"single part", "example", true},
	{"printable punctuation", "a-b_c:d{e}|f~", true},
	{"empty query", "example.users?", true},
	{"query with any bytes", "example.users?q=a b*>..", true},
	{"empty", "", false},
	{"leading dot", ".example", false},
	{"trailing dot", "example.", false},
	{"empty part", "example..user", false},
	{"only a dot", ".", false},
	{"star wildcard", "example.*", false},
	{"full wildcard", "example.>", false},
	{"star inside part", "exa*mple", false},
	{"space", "example.user 42", false},
	{"tab", "example.\tuser", false},
	{"non-ASCII", "example.usér", false},
	{"DEL byte", "example.\x7f", false},
	{"query only", "?q=a", false},
	{"query after dot", "example.?q=a", false},
}

func TestIsValidRID(t *testing.T) {
	for _, tt := range ridTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resprot.IsValidRID(tt.rid); got != tt.valid {
				t.Errorf("IsValidRID(%q) = %v, want %v", tt.rid, got, tt.valid)
			}
		})
	}
}

func TestIsValidName(t *testing.T) {
	tests := []struct {
		name  string
		rname string
		valid bool
	}{
		{"spec user model", "example.user.42", true},
		{"single part", "example", true},
		{"with query", "example.users?q=Jane", false},
		{"empty", "", false},
		{"trailing dot", "example.", false},
		{"wildcard", "example.*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resprot.IsValidName(tt.rname); got != tt.valid {
				t.Errorf("IsValidName(%q) = %v, want %v", tt.rname, got, tt.valid)
			}
		})
	}
}

func TestIsValidPart(t *testing.T) {
	tests := []struct {
		name  string
		part  string
		valid bool
	}{
		{"set method", "set", true},
		{"new method", "new", true},
		{"custom event", "ping", true},
		{"camel case", "renewToken", true},
		{"punctuation", "do-it_now", true},
		{"empty", "", false},
		{"dot", "a.b", false},
		{"star", "*", false},
		{"full wildcard", ">", false},
		{"question mark", "a?b", false},
		{"space", "a b", false},
		{"control byte", "a\x00", false},
		{"non-ASCII", "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resprot.IsValidPart(tt.part); got != tt.valid {
				t.Errorf("IsValidPart(%q) = %v, want %v", tt.part, got, tt.valid)
			}
			if got := resprot.IsValidCID(tt.part); got != tt.valid {
				t.Errorf("IsValidCID(%q) = %v, want %v", tt.part, got, tt.valid)
			}
		})
	}
}

func TestSplitJoinRID(t *testing.T) {
	tests := []struct {
		name       string
		rid        string
		rname      string
		query      string
		roundTrips bool
	}{
		{"no query", "example.users", "example.users", "", true},
		{"spec paged messages", "chat.messages?start=0&limit=25", "chat.messages", "start=0&limit=25", true},
		{"spec user search", "example.users?q=Jane", "example.users", "q=Jane", true},
		{"second question mark stays in query", "a.b?x=?y", "a.b", "x=?y", true},
		// JoinRID leaves out the separator of an empty query.
		{"empty query", "example.users?", "example.users", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, query := resprot.SplitRID(tt.rid)
			if name != tt.rname || query != tt.query {
				t.Errorf("SplitRID(%q) = %q, %q, want %q, %q", tt.rid, name, query, tt.rname, tt.query)
			}
			joined := resprot.JoinRID(name, query)
			if (joined == tt.rid) != tt.roundTrips {
				t.Errorf("JoinRID(%q, %q) = %q; round trip to %q: %v, want %v", name, query, joined, tt.rid, joined == tt.rid, tt.roundTrips)
			}
		})
	}
}

func FuzzIsValidRID(f *testing.F) {
	for _, tt := range ridTests {
		f.Add(tt.rid)
	}
	f.Fuzz(func(t *testing.T, rid string) {
		valid := resprot.IsValidRID(rid)
		name, query := resprot.SplitRID(rid)
		if got := resprot.IsValidName(name); got != valid {
			t.Fatalf("IsValidRID(%q) = %v but IsValidName(%q) = %v", rid, valid, name, got)
		}
		if !valid {
			return
		}
		// A valid resource ID survives a split and join, except for the
		// separator of an empty query.
		if joined := resprot.JoinRID(name, query); joined != rid && joined+"?" != rid {
			t.Fatalf("JoinRID(SplitRID(%q)) = %q", rid, joined)
		}
		// A valid name is made of valid parts.
		start := 0
		for i := 0; i <= len(name); i++ {
			if i == len(name) || name[i] == '.' {
				if part := name[start:i]; !resprot.IsValidPart(part) {
					t.Fatalf("IsValidRID(%q) = true but its part %q is not valid", rid, part)
				}
				start = i + 1
			}
		}
	})
}
