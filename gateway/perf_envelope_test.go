package gateway

import (
	"bytes"
	"encoding/json"
	"testing"
)

// envelopeCases are client messages and replies whose decoding and
// encoding must match encoding/json's.
var envelopeCases = []string{
	`{"id":1,"method":"get.a.b"}`,
	`{"id":1,"method":"call.a.b","params":{"x":[1,2.5e3,-0.1,true,false,null,"s\"\\\u00e9"]}}`,
	` { "method" : "get.a" , "id" : "x y" , "params" : null } `,
	`{"id":null,"method":"get.a"}`,
	`{"method":"get.a"}`,
	`{}`,
	`null`,
	`[]`,
	`"x"`,
	`{"id":1,"method":5}`,
	`{"id":1,"method":null}`,
	`{"id":1,"method":"get.\u0061"}`,
	`{"id":1,"method":"get.é"}`,
	`{"ID":1,"Method":"get.a"}`,
	`{"id":1,"id":2,"method":"get.a"}`,
	`{"id":1,"method":"get.a","method":3}`,
	`{"id":1,"method":"get.a","other":{"id":3}}`,
	`{"id":01,"method":"get.a"}`,
	`{"id":1.,"method":"get.a"}`,
	`{"id":-,"method":"get.a"}`,
	`{"id":1e,"method":"get.a"}`,
	`{"id":nul,"method":"get.a"}`,
	`{"id":truex,"method":"get.a"}`,
	`{"id":1,"method":"get.a",}`,
	`{"id":1,"params":[1,],"method":"get.a"}`,
	`{"id":1,"params":{"a":1,},"method":"get.a"}`,
	`{"id":1,"params":{"a"},"method":"get.a"}`,
	`{"id":1,"params":{1:2},"method":"get.a"}`,
	`{"id":1,"params":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"method":"get.a"}`,
	`{"id":1,"params":"\x","method":"get.a"}`,
	`{"id":1,"params":"\u12g4","method":"get.a"}`,
	"{\"id\":1,\"params\":\"a\tb\",\"method\":\"get.a\"}",
	"{\"id\":\"\xff\",\"method\":\"get.a\"}",
	`{"id":1,"method":"get.a"} x`,
	`{"id":1,"method":"get.a"`,
	`{"id":1 "method":"get.a"}`,
	`{"id"`,
	`{"id":[],"params":{},"method":""}`,
	`{"id":"<a&b>","method":"get.a"}`,
	`{"id":[1, 2],"method":"get.a"}`,
	``,
}

// checkEnvelope fails when parseRequest and json.Unmarshal disagree on
// data, or encodeResponse and json.Marshal on the reply to its id.
func checkEnvelope(t *testing.T, data []byte) {
	t.Helper()
	var want clientRequest
	got, gotErr := parseRequest(data)
	wantErr := json.Unmarshal(data, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("parseRequest(%q) error = %v, json.Unmarshal error = %v", data, gotErr, wantErr)
	}
	if !bytes.Equal(got.ID, want.ID) || got.Method != want.Method || !bytes.Equal(got.Params, want.Params) {
		t.Fatalf("parseRequest(%q) = %q %q %q, json.Unmarshal gives %q %q %q",
			data, got.ID, got.Method, got.Params, want.ID, want.Method, want.Params)
	}
	if wantErr != nil {
		return
	}
	for _, result := range []any{&resourceSet{}, nil, map[string]int{"a": 1}} {
		gotB, gotErr := encodeResponse(result, got.ID)
		wantB, wantErr := json.Marshal(clientResponse{Result: result, ID: want.ID})
		if !bytes.Equal(gotB, wantB) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("encodeResponse(%v, %q) = %q, %v; json.Marshal gives %q, %v", result, got.ID, gotB, gotErr, wantB, wantErr)
		}
	}
}

func TestPerfEnvelopeMatchesEncodingJSON(t *testing.T) {
	for _, c := range envelopeCases {
		t.Run(c, func(t *testing.T) { checkEnvelope(t, []byte(c)) })
	}
}

func FuzzPerfEnvelope(f *testing.F) {
	for _, c := range envelopeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkEnvelope(t, data) })
}

// BenchmarkPerfEnvelope measures decoding a get request and encoding the
// empty result of a cached get.
func BenchmarkPerfEnvelope(b *testing.B) {
	msg := []byte(`{"id":12,"method":"get.bench.model"}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, err := parseRequest(msg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := encodeResponse(&resourceSet{}, req.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req clientRequest
			if err := json.Unmarshal(msg, &req); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(clientResponse{Result: &resourceSet{}, ID: req.ID}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
