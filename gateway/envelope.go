package gateway

import "encoding/json"

// The envelope of client messages, {"id":..,"method":..,"params":..} in
// and {"result":..,"id":..} out, is read and written by hand for the
// common shapes: reflection-based encoding/json took five allocations
// and about a third of the worker's time for a cached get. Every other
// shape goes through encoding/json, so the outcome is always what
// json.Unmarshal and json.Marshal give.

// parseRequest decodes client message data as json.Unmarshal into a
// clientRequest does: with an error in the same cases, and with the same
// fields, except that ID and Params share data's memory.
func parseRequest(data []byte) (clientRequest, error) {
	var req clientRequest
	if parseRequestFast(data, &req) {
		return req, nil
	}
	var slow clientRequest // on the heap, but only on this path
	err := json.Unmarshal(data, &slow)
	return slow, err
}

// parseRequestFast decodes data when it is a JSON object whose keys are
// exactly "id", "method" and "params" (each at most once, without
// escapes) and whose method is null or a string of printable ASCII
// without escapes. It reports false for anything else, valid or not,
// leaving req partly set.
func parseRequestFast(data []byte, req *clientRequest) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	var seen uint8
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		end, plain, ok := scanString(data, i)
		if !ok || !plain {
			return false
		}
		var field uint8
		switch string(data[i+1 : end-1]) {
		case "id":
			field = 1
		case "method":
			field = 2
		case "params":
			field = 4
		default:
			return false // maybe a key json matches case-insensitively
		}
		if seen&field != 0 {
			return false
		}
		seen |= field
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		if field == 2 {
			switch {
			case i < len(data) && data[i] == '"':
				end, plain, ok := scanString(data, i)
				if !ok || !plain {
					return false
				}
				req.Method = string(data[i+1 : end-1])
				i = end
			case hasLiteral(data, i, "null"):
				i += len("null")
			default:
				return false
			}
		} else {
			end, ok := skipValue(data, i)
			if !ok {
				return false
			}
			if field == 1 {
				req.ID = data[i:end:end]
			} else {
				req.Params = data[i:end:end]
			}
			i = end
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
			continue
		case '}':
			return skipSpace(data, i+1) == len(data)
		}
		return false
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func hasLiteral(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanString scans the JSON string that starts at b[i], a quote. It
// returns the index after the closing quote, and whether the string is
// plain: printable ASCII without escapes.
func scanString(b []byte, i int) (end int, plain, ok bool) {
	plain = true
	for i++; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, plain, true
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 {
					return 0, false, false
				}
				for _, h := range b[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false, false
					}
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		default:
			if c >= 0x7f {
				plain = false
			}
			i++
		}
	}
	return 0, false, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber scans the JSON number that starts at b[i].
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == '0':
		i++
	case isDigit(b[i]):
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, true
}

// skipValue checks the JSON value that starts at b[i] and returns the
// index after it. What follows a scalar (a number "01", a literal
// "nullx") is for the caller to check. Values nested deeper than 32
// levels are reported as not ok, for encoding/json to judge.
func skipValue(b []byte, i int) (int, bool) {
	var stack [32]byte // the open containers: '{' or '['
	depth := 0
	for {
		// A value starts at i.
		if i >= len(b) {
			return 0, false
		}
		var ok bool
		switch c := b[i]; {
		case c == '{' || c == '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == closer {
				i++
				break // an empty container is a complete value
			}
			if depth == len(stack) {
				return 0, false
			}
			stack[depth] = c
			depth++
			if c == '{' {
				if i, ok = skipKey(b, i); !ok {
					return 0, false
				}
			}
			continue
		case c == '"':
			if i, _, ok = scanString(b, i); !ok {
				return 0, false
			}
		case c == '-' || isDigit(c):
			if i, ok = scanNumber(b, i); !ok {
				return 0, false
			}
		case c == 't' && hasLiteral(b, i, "true"):
			i += len("true")
		case c == 'f' && hasLiteral(b, i, "false"):
			i += len("false")
		case c == 'n' && hasLiteral(b, i, "null"):
			i += len("null")
		default:
			return 0, false
		}
		// A value ended at i: close containers until one goes on.
		for {
			if depth == 0 {
				return i, true
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return 0, false
			}
			open := stack[depth-1]
			if b[i] == ',' {
				i = skipSpace(b, i+1)
				if open == '{' {
					if i, ok = skipKey(b, i); !ok {
						return 0, false
					}
				}
				break
			}
			if open == '{' && b[i] == '}' || open == '[' && b[i] == ']' {
				depth--
				i++
				continue
			}
			return 0, false
		}
	}
}

// skipKey scans `"key" :` at b[i] and the space after it.
func skipKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	i, _, ok := scanString(b, i)
	if !ok {
		return 0, false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	return skipSpace(b, i+1), true
}

// encodeResponse returns the reply to request id with result, as
// json.Marshal of clientResponse does.
func encodeResponse(result any, id json.RawMessage) ([]byte, error) {
	if rs, ok := result.(*resourceSet); ok && rs != nil && rs.empty() && plainID(id) {
		// A get of what the client has.
		b := make([]byte, 0, len(`{"result":{},"id":}`)+len(id))
		b = append(b, `{"result":{},"id":`...)
		b = append(b, id...)
		return append(b, '}'), nil
	}
	return json.Marshal(clientResponse{Result: result, ID: id})
}

// plainID reports whether json.Marshal writes id unchanged: it has no
// space to compact and nothing to escape.
func plainID(id json.RawMessage) bool {
	if len(id) == 0 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '&' || c == '\\' {
			return false
		}
	}
	return true
}
