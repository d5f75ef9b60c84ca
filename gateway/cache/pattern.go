package cache

import "strings"

// MatchPattern reports whether the resource name matches pattern, a
// resource name pattern of a system.reset event: parts separated by dots,
// where "*" matches any one part and a final ">" matches one or more parts.
//
//	MatchPattern("user.*.roles", "user.42.roles") == true
//	MatchPattern("user.>", "user.42.roles")       == true
//	MatchPattern("user.>", "user")                == false
//	MatchPattern("user.*", "user.42.roles")       == false
func MatchPattern(pattern, name string) bool {
	for {
		var p, n string
		var pmore, nmore bool
		p, pattern, pmore = strings.Cut(pattern, ".")
		if p == ">" && !pmore {
			return name != ""
		}
		if name == "" {
			return false
		}
		n, name, nmore = strings.Cut(name, ".")
		if p != "*" && p != n {
			return false
		}
		if !pmore || !nmore {
			return pmore == nmore
		}
	}
}

// validPattern reports whether pattern is a well-formed resource name
// pattern.
func validPattern(pattern string) bool {
	if pattern == "" {
		return false
	}
	parts := strings.Split(pattern, ".")
	for i, p := range parts {
		if p == "" {
			return false
		}
		if p == ">" {
			if i != len(parts)-1 {
				return false
			}
			continue
		}
		if p != "*" && strings.ContainsAny(p, "*>?") {
			return false
		}
	}
	return true
}
