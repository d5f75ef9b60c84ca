package resprot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reskit/res/internal/jsonenc"
)

// Ref is a reference to a resource. It encodes as {"rid":"<id>"}, and a
// gateway follows it: the referenced resource is sent to clients with the
// resource that holds the reference.
type Ref string

// IsValid reports whether r is a valid resource ID.
func (r Ref) IsValid() bool { return IsValidRID(string(r)) }

// MarshalJSON encodes r as {"rid":"<id>"}.
func (r Ref) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(`{"rid":""}`)+len(r))
	b = append(b, `{"rid":`...)
	b = jsonenc.AppendString(b, string(r))
	return append(b, '}'), nil
}

// UnmarshalJSON decodes {"rid":"<id>"} into r.
func (r *Ref) UnmarshalJSON(data []byte) error {
	v, err := ParseValue(data)
	if err != nil {
		return err
	}
	if v.Type != ValueReference {
		return errors.New("resprot: not a reference")
	}
	*r = Ref(v.RID)
	return nil
}

// SoftRef is a soft reference to a resource (protocol 1.2.1). It encodes as
// {"rid":"<id>","soft":true}, and a gateway does not follow it.
type SoftRef string

// IsValid reports whether r is a valid resource ID.
func (r SoftRef) IsValid() bool { return IsValidRID(string(r)) }

// MarshalJSON encodes r as {"rid":"<id>","soft":true}.
func (r SoftRef) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(`{"rid":"","soft":true}`)+len(r))
	b = append(b, `{"rid":`...)
	b = jsonenc.AppendString(b, string(r))
	return append(b, `,"soft":true}`...), nil
}

// UnmarshalJSON decodes {"rid":"<id>","soft":true} into r.
func (r *SoftRef) UnmarshalJSON(data []byte) error {
	v, err := ParseValue(data)
	if err != nil {
		return err
	}
	if v.Type != ValueSoftReference {
		return errors.New("resprot: not a soft reference")
	}
	*r = SoftRef(v.RID)
	return nil
}

// DataValue wraps any JSON value, an object or an array included, so that
// it can be a model property or a collection item (protocol 1.2.1). It
// encodes as {"data":<value>}.
type DataValue[T any] struct {
	Data T `json:"data"`
}

// NewDataValue returns a DataValue holding v.
func NewDataValue[T any](v T) DataValue[T] { return DataValue[T]{Data: v} }

// DeleteAction is the value that marks a property as deleted in a change
// event. It encodes as {"action":"delete"}.
var DeleteAction = json.RawMessage(`{"action":"delete"}`)

// ValueType is the kind of a RES value.
type ValueType byte

// The kinds of RES values.
const (
	ValuePrimitive ValueType = iota + 1
	ValueReference
	ValueSoftReference
	ValueData
	ValueDelete
)

// Value is a decoded RES value.
type Value struct {
	Type ValueType
	// RID is the referenced resource, for references and soft references.
	RID string
	// Raw is the value as it was encoded. For a data value whose content is
	// a primitive, Raw is that primitive, unwrapped, since the protocol gives
	// it the same meaning.
	Raw json.RawMessage
	// Inner is the content of a data value.
	Inner json.RawMessage
}

// ErrInvalidValue is returned by ParseValue for a value that the protocol
// does not allow.
var ErrInvalidValue = errors.New("resprot: invalid value")

// ParseValue decodes one RES value: a primitive (string, number, boolean or
// null), a reference, a soft reference, a data value or a delete action. A
// bare object or array, an invalid resource ID, or an object mixing the
// forms is an error wrapping ErrInvalidValue.
func ParseValue(raw json.RawMessage) (Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Value{}, fmt.Errorf("%w: empty", ErrInvalidValue)
	}
	switch raw[0] {
	case '[':
		return Value{}, fmt.Errorf("%w: bare array", ErrInvalidValue)
	case '{':
	default:
		if !json.Valid(raw) {
			return Value{}, fmt.Errorf("%w: malformed JSON", ErrInvalidValue)
		}
		return Value{Type: ValuePrimitive, Raw: raw}, nil
	}
	var obj struct {
		RID    *string         `json:"rid"`
		Soft   bool            `json:"soft"`
		Data   json.RawMessage `json:"data"`
		Action *string         `json:"action"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Value{}, fmt.Errorf("%w: %v", ErrInvalidValue, err)
	}
	switch {
	case obj.RID != nil:
		if obj.Data != nil || obj.Action != nil {
			return Value{}, fmt.Errorf("%w: reference mixed with data or action", ErrInvalidValue)
		}
		if !IsValidRID(*obj.RID) {
			return Value{}, fmt.Errorf("%w: invalid resource ID %q", ErrInvalidValue, *obj.RID)
		}
		t := ValueReference
		if obj.Soft {
			t = ValueSoftReference
		}
		return Value{Type: t, RID: *obj.RID, Raw: raw}, nil
	case obj.Data != nil:
		if obj.Action != nil {
			return Value{}, fmt.Errorf("%w: data mixed with action", ErrInvalidValue)
		}
		inner := bytes.TrimSpace(obj.Data)
		if len(inner) > 0 && inner[0] != '{' && inner[0] != '[' {
			return Value{Type: ValuePrimitive, Raw: inner}, nil
		}
		return Value{Type: ValueData, Raw: raw, Inner: inner}, nil
	case obj.Action != nil:
		if *obj.Action != "delete" {
			return Value{}, fmt.Errorf("%w: unknown action %q", ErrInvalidValue, *obj.Action)
		}
		return Value{Type: ValueDelete, Raw: raw}, nil
	}
	return Value{}, fmt.Errorf("%w: bare object", ErrInvalidValue)
}
