package res

import (
	"bytes"
	"encoding/json"

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
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
