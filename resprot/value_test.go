package resprot_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/reskit/res/resprot"
)

// valueTests are encoded values and what ParseValue makes of them. The
// first rows are the examples of the RES protocol's "Values" section.
var valueTests = []struct {
	name  string
	raw   string
	typ   resprot.ValueType // 0 when the value is invalid
	rid   string
	out   string // Value.Raw, when different from raw
	inner string
}{
	{name: "spec string", raw: `"foo"`, typ: resprot.ValuePrimitive},
	{name: "spec number", raw: `42`, typ: resprot.ValuePrimitive},
	{name: "spec true", raw: `true`, typ: resprot.ValuePrimitive},
	{name: "spec false", raw: `false`, typ: resprot.ValuePrimitive},
	{name: "spec null", raw: `null`, typ: resprot.ValuePrimitive},
	{name: "spec reference", raw: `{ "rid": "example.user.42" }`, typ: resprot.ValueReference, rid: "example.user.42"},
	{name: "spec soft reference", raw: `{ "rid": "example.page.2", "soft":true }`, typ: resprot.ValueSoftReference, rid: "example.page.2"},
	{name: "spec data object", raw: `{ "data": { "foo": [ "bar" ] }}`, typ: resprot.ValueData, inner: `{ "foo": [ "bar" ] }`},
	{name: "spec data primitive", raw: `{ "data": 42 }`, typ: resprot.ValuePrimitive, out: `42`},
	{name: "spec delete action", raw: `{ "action": "delete" }`, typ: resprot.ValueDelete},
	{name: "data array", raw: `{"data":[1,2]}`, typ: resprot.ValueData, inner: `[1,2]`},
	{name: "data null is null", raw: `{"data":null}`, typ: resprot.ValuePrimitive, out: `null`},
	{name: "data string is string", raw: `{"data":"x"}`, typ: resprot.ValuePrimitive, out: `"x"`},
	{name: "soft false is a reference", raw: `{"rid":"a.b","soft":false}`, typ: resprot.ValueReference, rid: "a.b"},
	{name: "reference with query", raw: `{"rid":"chat.messages?start=0&limit=25"}`, typ: resprot.ValueReference, rid: "chat.messages?start=0&limit=25"},
	{name: "surrounding space", raw: " \n\"foo\" ", typ: resprot.ValuePrimitive, out: `"foo"`},
	{name: "empty", raw: ``},
	{name: "only space", raw: `  `},
	{name: "bare array", raw: `["a"]`},
	{name: "bare object", raw: `{"id":42}`},
	{name: "empty object", raw: `{}`},
	{name: "empty rid", raw: `{"rid":""}`},
	{name: "invalid rid", raw: `{"rid":"a..b"}`},
	{name: "wildcard rid", raw: `{"rid":"a.>"}`},
	{name: "rid not a string", raw: `{"rid":42}`},
	{name: "rid with data", raw: `{"rid":"a.b","data":1}`},
	{name: "rid with action", raw: `{"rid":"a.b","action":"delete"}`},
	{name: "data with action", raw: `{"data":1,"action":"delete"}`},
	{name: "unknown action", raw: `{"action":"move"}`},
	{name: "malformed number", raw: `4x2`},
	{name: "unterminated string", raw: `"foo`},
	{name: "malformed object", raw: `{"rid":`},
}

func TestParseValue(t *testing.T) {
	for _, tt := range valueTests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := resprot.ParseValue(json.RawMessage(tt.raw))
			if tt.typ == 0 {
				if err == nil {
					t.Fatalf("ParseValue(%q) = %+v, want an error", tt.raw, v)
				}
				if !errors.Is(err, resprot.ErrInvalidValue) {
					t.Errorf("ParseValue(%q) error %v does not wrap ErrInvalidValue", tt.raw, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseValue(%q): %v", tt.raw, err)
			}
			out := tt.out
			if out == "" {
				out = tt.raw
			}
			if v.Type != tt.typ || v.RID != tt.rid || string(v.Raw) != out || string(v.Inner) != tt.inner {
				t.Errorf("ParseValue(%q) = {Type %d, RID %q, Raw %q, Inner %q}, want {Type %d, RID %q, Raw %q, Inner %q}",
					tt.raw, v.Type, v.RID, v.Raw, v.Inner, tt.typ, tt.rid, out, tt.inner)
			}
		})
	}
}

func TestValueMarshal(t *testing.T) {
	tests := []struct {
		name  string
		value any
		json  string
	}{
		{"ref", resprot.Ref("example.user.42"), `{"rid":"example.user.42"}`},
		{"soft ref", resprot.SoftRef("example.page.2"), `{"rid":"example.page.2","soft":true}`},
		{"data object", resprot.NewDataValue(map[string][]string{"foo": {"bar"}}), `{"data":{"foo":["bar"]}}`},
		{"data number", resprot.NewDataValue(42), `{"data":42}`},
		{"delete action", resprot.DeleteAction, `{"action":"delete"}`},
		{
			"spec model",
			map[string]any{"id": 42, "name": "Jane Doe", "roles": resprot.Ref("example.user.42.roles")},
			`{"id":42,"name":"Jane Doe","roles":{"rid":"example.user.42.roles"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b, tt.json)
		})
	}
}

func TestRefUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		ref     resprot.Ref
		softRef resprot.SoftRef
		refErr  bool
		softErr bool
	}{
		{name: "reference", json: `{"rid":"example.user.42"}`, ref: "example.user.42", softErr: true},
		{name: "soft reference", json: `{"rid":"example.page.2","soft":true}`, softRef: "example.page.2", refErr: true},
		{name: "string", json: `"example.user.42"`, refErr: true, softErr: true},
		{name: "invalid rid", json: `{"rid":"a..b"}`, refErr: true, softErr: true},
		{name: "data value", json: `{"data":{"rid":"a.b"}}`, refErr: true, softErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r resprot.Ref
			err := json.Unmarshal([]byte(tt.json), &r)
			if (err != nil) != tt.refErr || r != tt.ref {
				t.Errorf("Unmarshal(%s) into Ref = %q, %v; want %q, error %v", tt.json, r, err, tt.ref, tt.refErr)
			}
			var s resprot.SoftRef
			err = json.Unmarshal([]byte(tt.json), &s)
			if (err != nil) != tt.softErr || s != tt.softRef {
				t.Errorf("Unmarshal(%s) into SoftRef = %q, %v; want %q, error %v", tt.json, s, err, tt.softRef, tt.softErr)
			}
		})
	}
}

func TestRefIsValid(t *testing.T) {
	for _, tt := range ridTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resprot.Ref(tt.rid).IsValid(); got != tt.valid {
				t.Errorf("Ref(%q).IsValid() = %v, want %v", tt.rid, got, tt.valid)
			}
			if got := resprot.SoftRef(tt.rid).IsValid(); got != tt.valid {
				t.Errorf("SoftRef(%q).IsValid() = %v, want %v", tt.rid, got, tt.valid)
			}
		})
	}
}

func TestDataValueRoundTrip(t *testing.T) {
	type book struct {
		Title string   `json:"title"`
		Tags  []string `json:"tags"`
	}
	in := resprot.NewDataValue(book{Title: "Dune", Tags: []string{"sf"}})
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	v, err := resprot.ParseValue(b)
	if err != nil || v.Type != resprot.ValueData {
		t.Fatalf("ParseValue(%s) = %+v, %v; want a data value", b, v, err)
	}
	var out resprot.DataValue[book]
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Data.Title != "Dune" || len(out.Data.Tags) != 1 || out.Data.Tags[0] != "sf" {
		t.Errorf("round trip of %s = %+v", b, out)
	}
}

func FuzzParseValue(f *testing.F) {
	for _, tt := range valueTests {
		f.Add([]byte(tt.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := resprot.ParseValue(raw)
		if err != nil {
			if !errors.Is(err, resprot.ErrInvalidValue) {
				t.Fatalf("ParseValue(%q) error %v does not wrap ErrInvalidValue", raw, err)
			}
			return
		}
		if !json.Valid(v.Raw) {
			t.Fatalf("ParseValue(%q).Raw = %q, not valid JSON", raw, v.Raw)
		}
		switch v.Type {
		case resprot.ValuePrimitive, resprot.ValueDelete:
		case resprot.ValueReference, resprot.ValueSoftReference:
			if !resprot.IsValidRID(v.RID) {
				t.Fatalf("ParseValue(%q) gave reference to invalid RID %q", raw, v.RID)
			}
		case resprot.ValueData:
			if !json.Valid(v.Inner) || (v.Inner[0] != '{' && v.Inner[0] != '[') {
				t.Fatalf("ParseValue(%q) gave data value with inner %q", raw, v.Inner)
			}
		default:
			t.Fatalf("ParseValue(%q) gave unknown type %d", raw, v.Type)
		}
		// Parsing what was parsed gives the same kind of value.
		again, err := resprot.ParseValue(v.Raw)
		if err != nil || again.Type != v.Type || again.RID != v.RID {
			t.Fatalf("ParseValue(%q) = %+v, but ParseValue of its Raw = %+v, %v", raw, v, again, err)
		}
	})
}

// TestRefMarshalAnyString checks that references to any string, valid
// resource ID or not, encode as encoding/json encodes the same object.
func TestRefMarshalAnyString(t *testing.T) {
	for _, rid := range []string{"", "a.b", `q"uote\`, "ctl\x00\n\t", "html<>&", "\u2028", "bad\xffutf8", "日本.語"} {
		checkRefMarshal(t, rid)
	}
}

func FuzzRefMarshal(f *testing.F) {
	for _, rid := range []string{"example.user.42", `"\`, "\x01<&>\u2029", "\xc3("} {
		f.Add(rid)
	}
	f.Fuzz(func(t *testing.T, rid string) { checkRefMarshal(t, rid) })
}

func checkRefMarshal(t *testing.T, rid string) {
	t.Helper()
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{"Ref", resprot.Ref(rid), struct {
			RID string `json:"rid"`
		}{rid}},
		{"SoftRef", resprot.SoftRef(rid), struct {
			RID  string `json:"rid"`
			Soft bool   `json:"soft"`
		}{rid, true}},
	}
	for _, tt := range tests {
		for _, escapeHTML := range []bool{true, false} {
			got, want := encode(t, tt.value, escapeHTML), encode(t, tt.want, escapeHTML)
			if got != want {
				t.Errorf("%s(%q) encodes as %s (escapeHTML %v), want %s", tt.name, rid, got, escapeHTML, want)
			}
		}
	}
}

func encode(t *testing.T, v any, escapeHTML bool) string {
	t.Helper()
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("Encode(%#v): %v", v, err)
	}
	return buf.String()
}
