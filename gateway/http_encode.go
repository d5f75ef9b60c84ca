package gateway

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/reskit/res/gateway/cache"
	"github.com/reskit/res/resprot"
)

// apiEncoder writes a resource loaded for an HTTP client as one JSON
// document, with the resources it references nested in it.
//
// With the "json" encoding, the top resource is the bare model object or
// collection array, and a referenced resource is an object with its path
// and its value:
//
//	{"href":"/api/a/b","model":{...}}
//	{"href":"/api/a/c","collection":[...]}
//	{"href":"/api/a/d","error":{"code":...,"message":...}}
//
// With "jsonflat", a referenced resource is its bare value, or its error.
// With both, a reference to a resource that is being encoded (a cycle) and
// a soft reference are {"href":"/api/..."} only, and a data value is its
// content. Model properties are sorted by name.
type apiEncoder struct {
	apiPath string
	flat    bool
	nodes   map[string]*treeNode

	b     bytes.Buffer
	stack []string // resources being encoded, from the top one
}

// encode returns the encoding of resource rid.
func (e *apiEncoder) encode(rid string) []byte {
	e.resource(rid, false)
	return e.b.Bytes()
}

func (e *apiEncoder) resource(rid string, nested bool) {
	cyclic := slices.Contains(e.stack, rid)
	wrap := nested && !e.flat
	if wrap || cyclic {
		e.b.WriteString(`{"href":`)
		e.string(ridToPath(rid, e.apiPath))
		defer e.b.WriteByte('}')
	}
	if cyclic {
		return
	}
	n := e.nodes[rid]
	var err *resprot.Error
	switch {
	case n == nil || !n.loaded:
		err = resprot.ErrNotFound
	case n.err != nil:
		err = n.err
	}
	if err != nil {
		if wrap {
			e.b.WriteString(`,"error":`)
		}
		b, _ := json.Marshal(err)
		e.b.Write(b)
		return
	}
	e.stack = append(e.stack, rid)
	defer func() { e.stack = e.stack[:len(e.stack)-1] }()
	switch n.snap.Kind {
	case cache.KindModel:
		if wrap {
			e.b.WriteString(`,"model":`)
		}
		keys := make([]string, 0, len(n.snap.Model))
		for k := range n.snap.Model {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.b.WriteByte(',')
			}
			e.string(k)
			e.b.WriteByte(':')
			e.value(n.snap.Model[k])
		}
		e.b.WriteByte('}')
	default:
		if wrap {
			e.b.WriteString(`,"collection":`)
		}
		e.b.WriteByte('[')
		for i, v := range n.snap.Collection {
			if i > 0 {
				e.b.WriteByte(',')
			}
			e.value(v)
		}
		e.b.WriteByte(']')
	}
}

func (e *apiEncoder) value(v resprot.Value) {
	switch v.Type {
	case resprot.ValueReference:
		e.resource(v.RID, true)
	case resprot.ValueSoftReference:
		e.b.WriteString(`{"href":`)
		e.string(ridToPath(v.RID, e.apiPath))
		e.b.WriteByte('}')
	case resprot.ValueData:
		e.b.Write(v.Inner)
	default:
		e.b.Write(v.Raw)
	}
}

func (e *apiEncoder) string(s string) {
	b, _ := json.Marshal(s)
	e.b.Write(b)
}
