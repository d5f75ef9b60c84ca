package cache

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/reskit/res/resprot"
)

// Kind tells a model from a collection.
type Kind byte

// The kinds of resources.
const (
	KindModel Kind = iota + 1
	KindCollection
)

// Snapshot is a resource's value at one point of its event sequence. A
// snapshot is never modified once the cache has handed it out: events make
// new ones, so a snapshot may be shared by any number of goroutines.
type Snapshot struct {
	Kind       Kind
	Model      map[string]resprot.Value // for KindModel
	Collection []resprot.Value          // for KindCollection
}

// Refs calls f for each hard reference in the snapshot.
func (s Snapshot) Refs(f func(rid string)) {
	for _, v := range s.Model {
		if v.Type == resprot.ValueReference {
			f(v.RID)
		}
	}
	for _, v := range s.Collection {
		if v.Type == resprot.ValueReference {
			f(v.RID)
		}
	}
}

// parseValue decodes a value of a model or collection. Data values are
// compacted so that equal values compare equal. A delete action is
// accepted only when allowDelete is set.
func parseValue(raw json.RawMessage, allowDelete bool) (resprot.Value, error) {
	v, err := resprot.ParseValue(raw)
	if err != nil {
		return v, err
	}
	switch v.Type {
	case resprot.ValueDelete:
		if !allowDelete {
			return v, errors.New("cache: delete action outside a change event")
		}
	case resprot.ValueData:
		var b bytes.Buffer
		if err := json.Compact(&b, v.Inner); err == nil {
			v.Inner = b.Bytes()
		}
	}
	return v, nil
}

// valueEqual reports whether a and b are the same value.
func valueEqual(a, b resprot.Value) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case resprot.ValueReference, resprot.ValueSoftReference:
		return a.RID == b.RID
	case resprot.ValueData:
		return bytes.Equal(a.Inner, b.Inner)
	case resprot.ValueDelete:
		return true
	}
	return bytes.Equal(a.Raw, b.Raw)
}

// parseModel decodes a model from a get or query result.
func parseModel(raw json.RawMessage) (map[string]resprot.Value, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("model is null")
	}
	out := make(map[string]resprot.Value, len(m))
	for k, r := range m {
		v, err := parseValue(r, false)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// parseCollection decodes a collection from a get or query result.
func parseCollection(raw json.RawMessage) ([]resprot.Value, error) {
	var c []json.RawMessage
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("collection is null")
	}
	out := make([]resprot.Value, len(c))
	for i, r := range c {
		v, err := parseValue(r, false)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// parseSnapshot decodes the model or collection of a get or query result;
// exactly one of them must be set.
func parseSnapshot(model, coll json.RawMessage) (Snapshot, error) {
	hasModel := len(model) > 0 && string(model) != "null"
	hasColl := len(coll) > 0 && string(coll) != "null"
	switch {
	case hasModel && hasColl:
		return Snapshot{}, errors.New("both model and collection set")
	case hasModel:
		m, err := parseModel(model)
		return Snapshot{Kind: KindModel, Model: m}, err
	case hasColl:
		c, err := parseCollection(coll)
		return Snapshot{Kind: KindCollection, Collection: c}, err
	}
	return Snapshot{}, errors.New("no model or collection")
}
