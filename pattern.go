package res

import (
	"errors"
	"fmt"
	"strings"
)

// Patterns
//
// A pattern names the resources a handler serves. It is a resource name
// whose dot-separated parts may be placeholders:
//
//	literal   a part as it appears in resource names: "library", "books", "42"
//	$name     a path parameter: matches any one part, whose value the request
//	          gives as PathParam("name"); a name is letters, digits and '_',
//	          and may appear once in a pattern
//	*         matches any one part, without naming it
//	>         matches one or more parts; only as the last part
//
// Patterns are relative to where they are registered: on a Service named
// "library", Handle("book.$id") serves "library.book.42", and a Router
// mounted at "shelf" adds "shelf." in front of each of its patterns. The
// empty pattern is the mount point itself.
//
// Examples, with what they match and what they do not:
//
//	"books"         "books"                  not "books.1", "book"
//	"book.$id"      "book.1", "book.abc"     not "book", "book.1.title"
//	"book.*.title"  "book.1.title"           not "book.1", "book.1.2.title"
//	"book.>"        "book.1", "book.1.title" not "book"
//
// When several patterns match a name, the most specific wins, part by part
// from the left: a literal before a $param, a $param before '*', and '*'
// before '>'. So with "book.new", "book.$id" and "book.>" registered,
// "book.new" goes to the first, "book.42" to the second and "book.42.title"
// to the third.
//
// Registering the same pattern twice, two different parameter names at the
// same position ("book.$id" and "book.$bookId.title"), or an invalid pattern
// panics with a message that names both patterns.

// partKind is the kind of one pattern part.
type partKind uint8

const (
	partLiteral partKind = iota
	partParam
	partStar
	partFull
)

// patternPart is one dot-separated part of a pattern. For a literal, value
// is the literal; for a parameter, it is the name without the '$'.
type patternPart struct {
	kind  partKind
	value string
}

// pattern is a parsed pattern.
type pattern struct {
	raw   string
	parts []patternPart
}

// parsePattern parses s. The empty string is a valid pattern of no parts.
func parsePattern(s string) (pattern, error) {
	p := pattern{raw: s}
	if s == "" {
		return p, nil
	}
	var seen map[string]bool
	for i, part := range strings.Split(s, ".") {
		switch {
		case part == "":
			return pattern{}, errors.New("empty part")
		case part == "*":
			p.parts = append(p.parts, patternPart{kind: partStar})
		case part == ">":
			if i != strings.Count(s, ".") {
				return pattern{}, errors.New("'>' is not the last part")
			}
			p.parts = append(p.parts, patternPart{kind: partFull})
		case part[0] == '$':
			name := part[1:]
			if !isParamName(name) {
				return pattern{}, fmt.Errorf("invalid parameter name %q", part)
			}
			if seen[name] {
				return pattern{}, fmt.Errorf("repeated parameter %q", part)
			}
			if seen == nil {
				seen = make(map[string]bool)
			}
			seen[name] = true
			p.parts = append(p.parts, patternPart{kind: partParam, value: name})
		default:
			if !isLiteralPart(part) {
				return pattern{}, fmt.Errorf("invalid part %q", part)
			}
			p.parts = append(p.parts, patternPart{kind: partLiteral, value: part})
		}
	}
	return p, nil
}

// String returns the pattern as it was written.
func (p pattern) String() string { return p.raw }

// params returns the path parameters of the resource name parts that p
// matched, or nil when p has none.
func (p pattern) params(name []string) map[string]string {
	var m map[string]string
	for i, part := range p.parts {
		if part.kind == partParam {
			if m == nil {
				m = make(map[string]string)
			}
			m[part.value] = name[i]
		}
	}
	return m
}

// joinPattern joins a mount path and a pattern relative to it.
func joinPattern(prefix, p string) string {
	switch {
	case prefix == "":
		return p
	case p == "":
		return prefix
	}
	return prefix + "." + p
}

func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isLiteralPart(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '*' || c == '>' || c == '?' {
			return false
		}
	}
	return s != ""
}

// groupTemplate is a parsed Group option: literal text with ${name} tags
// that are replaced by path parameters.
type groupTemplate struct {
	raw  string
	segs []groupSeg
}

type groupSeg struct {
	tag  bool
	text string // literal text, or the tag's parameter name
}

func parseGroup(s string) (groupTemplate, error) {
	g := groupTemplate{raw: s}
	rest := s
	for rest != "" {
		i := strings.Index(rest, "${")
		if i < 0 {
			g.segs = append(g.segs, groupSeg{text: rest})
			break
		}
		if i > 0 {
			g.segs = append(g.segs, groupSeg{text: rest[:i]})
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return groupTemplate{}, errors.New("unclosed '${'")
		}
		name := rest[i+2 : i+end]
		if !isParamName(name) {
			return groupTemplate{}, fmt.Errorf("invalid tag name %q", name)
		}
		g.segs = append(g.segs, groupSeg{tag: true, text: name})
		rest = rest[i+end+1:]
	}
	return g, nil
}

// render returns the group with each tag replaced by its path parameter.
func (g groupTemplate) render(params map[string]string) string {
	if len(g.segs) == 1 && !g.segs[0].tag {
		return g.raw
	}
	var b strings.Builder
	for _, s := range g.segs {
		if s.tag {
			b.WriteString(params[s.text])
		} else {
			b.WriteString(s.text)
		}
	}
	return b.String()
}
