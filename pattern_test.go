package res

import (
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		wantErr string // substring of the error; "" for valid
	}{
		{"empty", "", ""},
		{"literal", "library", ""},
		{"literals", "library.books", ""},
		{"param", "book.$id", ""},
		{"params", "user.$uid.book.$id", ""},
		{"star", "book.*.title", ""},
		{"full wildcard", "book.>", ""},
		{"only full wildcard", ">", ""},
		{"dollar inside literal", "a$b", ""},
		{"leading dot", ".book", "empty part"},
		{"trailing dot", "book.", "empty part"},
		{"double dot", "book..id", "empty part"},
		{"full wildcard not last", "book.>.title", "not the last part"},
		{"empty param", "book.$", "invalid parameter name"},
		{"param with dash", "book.$a-b", "invalid parameter name"},
		{"repeated param", "a.$id.b.$id", "repeated parameter"},
		{"question mark", "book?q", "invalid part"},
		{"space", "my book", "invalid part"},
		{"star inside part", "bo*k", "invalid part"},
		{"gt inside part", "bo>k", "invalid part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePattern(tt.pattern)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("parsePattern(%q) = %v, want no error", tt.pattern, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("parsePattern(%q) = %v, want error containing %q", tt.pattern, err, tt.wantErr)
			}
		})
	}
}

func TestPatternParams(t *testing.T) {
	p, err := parsePattern("user.$uid.book.$id.*")
	if err != nil {
		t.Fatal(err)
	}
	const name = "user.7.book.42.x"
	got := p.params(name)
	if len(got) != 2 || got["uid"] != "7" || got["id"] != "42" {
		t.Errorf("params = %v, want map[id:42 uid:7]", got)
	}
	for key, want := range map[string]string{"uid": "7", "id": "42", "user": "", "x": "", "": ""} {
		if v := p.param(name, key); v != want {
			t.Errorf("param(%q, %q) = %q, want %q", name, key, v, want)
		}
	}
}

func TestGroupTemplate(t *testing.T) {
	params := map[string]string{"id": "42", "uid": "7"}
	tests := []struct {
		name, group, want, wantErr string
	}{
		{"literal", "books", "books", ""},
		{"tag", "${id}", "42", ""},
		{"tags and text", "user.${uid}.book.${id}", "user.7.book.42", ""},
		{"adjacent tags", "${uid}${id}", "742", ""},
		{"unclosed", "user.${id", "", "unclosed"},
		{"bad name", "user.${i d}", "", "invalid tag name"},
		{"empty name", "user.${}", "", "invalid tag name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := parseGroup(tt.group)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseGroup(%q) = %v, want error containing %q", tt.group, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseGroup(%q) = %v", tt.group, err)
			}
			if got := g.render(params); got != tt.want {
				t.Errorf("parseGroup(%q).render = %q, want %q", tt.group, got, tt.want)
			}
		})
	}
}

// FuzzParsePattern checks that parsing never panics, and that a valid
// pattern's parts spell the pattern again and name each parameter once.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"", "a", "a.b", "book.$id", "a.*.c", "a.>", ">", "a..b", "$x.$x", "a.>.b", "é.$_1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePattern(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		parts := make([]string, len(p.parts))
		for i, part := range p.parts {
			switch part.kind {
			case partLiteral:
				parts[i] = part.value
			case partParam:
				if seen[part.value] {
					t.Fatalf("parsePattern(%q): parameter %q twice", s, part.value)
				}
				seen[part.value] = true
				parts[i] = "$" + part.value
			case partStar:
				parts[i] = "*"
			case partFull:
				if i != len(p.parts)-1 {
					t.Fatalf("parsePattern(%q): '>' at %d of %d", s, i, len(p.parts))
				}
				parts[i] = ">"
			}
		}
		if got := strings.Join(parts, "."); got != s {
			t.Fatalf("parsePattern(%q) parts spell %q", s, got)
		}
	})
}
