package res

import (
	"encoding/json"

	"github.com/reskit/res/resprot"
)

// decodeRequest decodes the payload of a request into req, as
// json.Unmarshal does. Payloads as gateways send them, with plain ASCII
// strings, take a fast path that reads them in one pass; anything else
// (escapes, other characters, headers, keys that are not spelled as the
// protocol spells them) is left to encoding/json.
func decodeRequest(data []byte, req *resprot.Request) error {
	if decodeRequestFast(data, req) {
		return nil
	}
	*req = resprot.Request{}
	return json.Unmarshal(data, req)
}

// decodeRequestFast decodes data into req and reports whether it could.
// When it returns false, req may be partly set.
func decodeRequestFast(data []byte, req *resprot.Request) bool {
	d := payloadReader{data: data}
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return d.end()
	}
	for {
		key, ok := d.plainString()
		if !ok || !d.byte(':') {
			return false
		}
		d.space()
		switch string(key) {
		case "cid":
			ok = d.stringField(&req.CID)
		case "host":
			ok = d.stringField(&req.Host)
		case "remoteAddr":
			ok = d.stringField(&req.RemoteAddr)
		case "uri":
			ok = d.stringField(&req.URI)
		case "query":
			ok = d.stringField(&req.Query)
		case "params":
			req.Params, ok = d.rawValue()
		case "token":
			req.Token, ok = d.rawValue()
		case "isHttp":
			ok = d.boolField(&req.IsHTTP)
		default: // header, or a key for encoding/json to match
			return false
		}
		if !ok {
			return false
		}
		if d.byte('}') {
			return d.end()
		}
		if !d.byte(',') {
			return false
		}
	}
}

// payloadReader reads a request payload for decodeRequestFast.
type payloadReader struct {
	data []byte
	i    int
}

func (d *payloadReader) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte skips white space and reads c, if it comes next.
func (d *payloadReader) byte(c byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether nothing but white space is left.
func (d *payloadReader) end() bool {
	d.space()
	return d.i == len(d.data)
}

// plainString reads a string of printable ASCII characters with no
// escapes, after white space, and returns its content.
func (d *payloadReader) plainString() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.data); d.i++ {
		switch c := d.data[d.i]; {
		case c == '"':
			d.i++
			return d.data[start : d.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, false
		}
	}
	return nil, false
}

// stringField reads a plain string into s, or null, which leaves s as it
// is.
func (d *payloadReader) stringField(s *string) bool {
	if d.literal("null") {
		return true
	}
	v, ok := d.plainString()
	*s = string(v)
	return ok
}

// boolField reads true or false into b, or null, which leaves b as it is.
func (d *payloadReader) boolField(b *bool) bool {
	switch {
	case d.literal("true"):
		*b = true
	case d.literal("false"):
		*b = false
	case d.literal("null"):
	default:
		return false
	}
	return true
}

// literal reads the literal lit, if it comes next, not followed by more
// letters.
func (d *payloadReader) literal(lit string) bool {
	end := d.i + len(lit)
	if end > len(d.data) || string(d.data[d.i:end]) != lit {
		return false
	}
	if end < len(d.data) && d.data[end] >= 'a' && d.data[end] <= 'z' {
		return false
	}
	d.i = end
	return true
}

// rawValue reads any JSON value and returns a copy of it, as a
// json.RawMessage field gets it from encoding/json.
func (d *payloadReader) rawValue() (json.RawMessage, bool) {
	start := d.i
	if !d.skipValue(0) {
		return nil, false
	}
	return append(json.RawMessage(nil), d.data[start:d.i]...), true
}

// maxDepth is how deeply arrays and objects may nest on the fast path.
const maxDepth = 64

// skipValue reads one JSON value, checking that it is valid JSON.
func (d *payloadReader) skipValue(depth int) bool {
	if d.i >= len(d.data) || depth > maxDepth {
		return false
	}
	switch c := d.data[d.i]; {
	case c == '"':
		_, ok := d.plainString()
		return ok
	case c == '{':
		d.i++
		if d.byte('}') {
			return true
		}
		for {
			if _, ok := d.plainString(); !ok || !d.byte(':') {
				return false
			}
			d.space()
			if !d.skipValue(depth + 1) {
				return false
			}
			if d.byte('}') {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	case c == '[':
		d.i++
		if d.byte(']') {
			return true
		}
		for {
			d.space()
			if !d.skipValue(depth + 1) {
				return false
			}
			if d.byte(']') {
				return true
			}
			if !d.byte(',') {
				return false
			}
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		return d.number()
	}
}

// number reads a JSON number.
func (d *payloadReader) number() bool {
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.data) && d.data[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return false
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return false
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
