package jsonenc_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/reskit/res/internal/jsonenc"
)

// want returns s encoded by encoding/json with HTML escaping off.
func want(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"plain", "library.book.42"},
		{"quote and backslash", `say "hi" \ bye`},
		{"short escapes", "a\b\f\n\r\tb"},
		{"other control characters", "\x00\x01\x1f\x7f"},
		{"html characters", "library.> <b>&amp;</b>"},
		{"multibyte", "café ☕ 𝄞"},
		{"line and paragraph separators", "a\u2028b\u2029c"},
		{"invalid utf-8", "a\xffb\xc3(c\xe2\x82"},
		{"surrogate half", "\xed\xa0\x80"},
		{"escape at the end", "end\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(jsonenc.AppendString(nil, tt.in))
			if w := want(t, tt.in); got != w {
				t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, w)
			}
		})
	}
}

func TestAppendStringAppends(t *testing.T) {
	got := string(jsonenc.AppendString([]byte(`{"rid":`), "a.b"))
	if want := `{"rid":"a.b"`; got != want {
		t.Errorf("AppendString after a prefix = %s, want %s", got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a.b", "\"\\\n\x00", "\u2028<>&", "\xff\xfe", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, w := string(jsonenc.AppendString(nil, s)), want(t, s); got != w {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, w)
		}
	})
}
