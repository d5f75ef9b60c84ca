package res

import (
	"errors"
	"fmt"
	"strings"
)

// Patterns are documented once, in the package documentation (doc.go),
// section Patterns.

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

// params returns the path parameters of the resource name that p
// matched, or nil when p has none.
func (p *pattern) params(name string) map[string]string {
	var m map[string]string
	for _, part := range p.parts {
		var v string
		v, name, _ = strings.Cut(name, ".")
		if part.kind == partParam {
			if m == nil {
				m = make(map[string]string)
			}
			m[part.value] = v
		}
	}
	return m
}

// param returns the path parameter key of the resource name that p
// matched, or "" if p has no such parameter.
func (p *pattern) param(name, key string) string {
	for _, part := range p.parts {
		var v string
		v, name, _ = strings.Cut(name, ".")
		if part.kind == partParam && part.value == key {
			return v
		}
	}
	return ""
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
