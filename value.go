package res

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/reskit/res/internal/jsonenc"
	"github.com/reskit/res/resprot"
)

// Ref is a reference to a resource, given by its resource ID. It encodes as
// {"rid":"<id>"}; a gateway follows it and sends the referenced resource to
// the client too.
type Ref = resprot.Ref

// SoftRef is a soft reference to a resource. It encodes as
// {"rid":"<id>","soft":true}; a gateway does not follow it.
type SoftRef = resprot.SoftRef

// DataValue wraps any JSON value, objects and arrays included, so that it
// can be a model property or a collection item. It encodes as
// {"data":<value>}.
type DataValue[T any] = resprot.DataValue[T]

// NewDataValue returns a DataValue holding v.
func NewDataValue[T any](v T) DataValue[T] { return resprot.NewDataValue(v) }

// DeleteAction is the value of a property deleted in a change event:
// r.ChangeEvent(map[string]any{"name": res.DeleteAction}).
var DeleteAction = resprot.DeleteAction

// marshalJSON encodes v as encoding/json does, without escaping '<', '>'
// and '&': patterns such as "library.>" go on the wire as they are.
func marshalJSON(v any) ([]byte, error) {
	e := newEncoder()
	defer e.free()
	if err := e.writeValue(v); err != nil {
		return nil, err
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// encoder builds a message in a buffer: values encoded by encoding/json,
// with HTML escaping off as in marshalJSON, and the JSON around them
// written by hand. Encoders are pooled: get one with newEncoder and give
// it back with free, after the last use of its bytes.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder // writes to buf
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// maxPooledBuffer is the size above which an encoder's buffer is left to
// the garbage collector rather than kept in the pool.
const maxPooledBuffer = 64 << 10

func newEncoder() *encoder {
	return encoders.Get().(*encoder)
}

func (e *encoder) free() {
	if e.buf.Cap() > maxPooledBuffer {
		return
	}
	e.buf.Reset()
	encoders.Put(e)
}

// writeValue writes v as JSON. On error it writes nothing.
func (e *encoder) writeValue(v any) error {
	n := e.buf.Len()
	if err := e.enc.Encode(v); err != nil {
		e.buf.Truncate(n)
		return err
	}
	e.buf.Truncate(e.buf.Len() - 1) // the newline Encode adds
	return nil
}

// writeRaw writes s, which must be JSON or part of it, as it is.
func (e *encoder) writeRaw(s string) { e.buf.WriteString(s) }

// writeString writes s as a JSON string.
func (e *encoder) writeString(s string) {
	e.buf.Write(jsonenc.AppendString(e.buf.AvailableBuffer(), s))
}

// writeError writes err as a RES error object, as encoding/json writes a
// *Error.
func (e *encoder) writeError(err *Error) error {
	e.writeRaw(`{"code":`)
	e.writeString(err.Code)
	e.writeRaw(`,"message":`)
	e.writeString(err.Message)
	if len(err.Data) > 0 {
		e.writeRaw(`,"data":`)
		if werr := e.writeValue(err.Data); werr != nil {
			return fmt.Errorf("error data: %w", werr)
		}
	}
	e.writeRaw("}")
	return nil
}
