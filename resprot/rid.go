package resprot

import "strings"

// IsValidRID reports whether rid is a valid resource ID: a resource name,
// optionally followed by '?' and a query. The name is made of non-empty parts
// separated by dots, each of printable ASCII characters (33 to 126) other
// than '*', '>' and '?'. The query is not checked.
//
//	IsValidRID("library.book.42")      == true
//	IsValidRID("search.customers?q=a") == true
//	IsValidRID("library..book")        == false
//	IsValidRID("library.>")            == false
func IsValidRID(rid string) bool {
	name, _ := SplitRID(rid)
	return IsValidName(name)
}

// IsValidName reports whether name is a valid resource name: a resource ID
// without a query.
func IsValidName(name string) bool {
	if name == "" {
		return false
	}
	start := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '.' {
			if start {
				return false
			}
			start = true
			continue
		}
		if c < 33 || c > 126 || c == '*' || c == '>' || c == '?' {
			return false
		}
		start = false
	}
	return !start
}

// IsValidPart reports whether s is a valid single part of a subject: a method
// name, an action or an event name. It must be non-empty and of printable
// ASCII characters other than '.', '*', '>' and '?'.
func IsValidPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '.' || c == '*' || c == '>' || c == '?' {
			return false
		}
	}
	return true
}

// SplitRID splits a resource ID into its resource name and its query. The
// query is what follows the first '?', and is empty when there is none.
func SplitRID(rid string) (name, query string) {
	if i := strings.IndexByte(rid, '?'); i >= 0 {
		return rid[:i], rid[i+1:]
	}
	return rid, ""
}

// JoinRID returns the resource ID of name with query, leaving out the '?'
// when query is empty.
func JoinRID(name, query string) string {
	if query == "" {
		return name
	}
	return name + "?" + query
}

// IsValidCID reports whether cid can be used as a connection ID in a
// subject: a valid single part.
func IsValidCID(cid string) bool {
	return IsValidPart(cid)
}
