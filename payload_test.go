package res

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/reskit/res/resprot"
)

// payloadTests are request payloads, most of which take the fast path of
// decodeRequest, and some of which are left to encoding/json.
var payloadTests = []struct {
	name    string
	payload string
	fast    bool // decoded without encoding/json
}{
	{"empty object", `{}`, true},
	{"access", `{"cid":"c1","token":{"user":"jane","roles":["a","b"],"n":-1.5e3}}`, true},
	{"call", `{"cid":"c1","params":{"stars":5},"token":null}`, true},
	{"get with query", `{"query":"a=1&b=2"}`, true},
	{"white space", " {\n\t\"cid\" : \"c1\" ,\r\n \"params\" : [ 1 , true , false , null , \"x\" , { } , [ ] ] }\n", true},
	{"null fields", `{"cid":null,"isHttp":null,"params":null}`, true},
	{"http", `{"cid":"c1","isHttp":true,"uri":"/api/x","host":"h","remoteAddr":"127.0.0.1:1"}`, true},
	{"duplicate keys", `{"cid":"a","cid":"b","params":1,"params":2}`, true},
	{"number forms", `{"params":[0,-0,1.25,1e9,2E-3,-7.5e+2]}`, true},
	{"header", `{"cid":"c1","header":{"Origin":["http://localhost"]}}`, false},
	{"escapes", `{"cid":"c\"1","params":"\u00e9"}`, false},
	{"non-ASCII", `{"params":"café"}`, false},
	{"key in other case", `{"CID":"c1"}`, false},
	{"unknown key", `{"cid":"c1","other":1}`, false},
	{"null payload", `null`, false},
	{"not an object", `[1]`, false},
	{"unclosed", `{"cid":"c1"`, false},
	{"trailing comma", `{"cid":"c1",}`, false},
	{"trailing data", `{"cid":"c1"}x`, false},
	{"leading zero", `{"params":01}`, false},
	{"bad literal", `{"params":tru}`, false},
	{"literal run on", `{"params":truex}`, false},
	{"number run on", `{"params":1x}`, false},
	{"bare minus", `{"params":-}`, false},
	{"bad isHttp", `{"isHttp":1}`, false},
	{"string isHttp", `{"isHttp":"true"}`, false},
	{"number cid", `{"cid":1}`, false},
}

func TestDecodeRequest(t *testing.T) {
	for _, tt := range payloadTests {
		t.Run(tt.name, func(t *testing.T) {
			var fast resprot.Request
			if got := decodeRequestFast([]byte(tt.payload), &fast); got != tt.fast {
				t.Errorf("decodeRequestFast(%s) = %v, want %v", tt.payload, got, tt.fast)
			}
			checkDecodeRequest(t, []byte(tt.payload))
		})
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, tt := range payloadTests {
		f.Add([]byte(tt.payload))
	}
	f.Fuzz(checkDecodeRequest)
}

// checkDecodeRequest checks that decodeRequest decodes data as
// json.Unmarshal does, and fails when it fails.
func checkDecodeRequest(t *testing.T, data []byte) {
	t.Helper()
	var got, want resprot.Request
	err := decodeRequest(data, &got)
	wantErr := json.Unmarshal(data, &want)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("decodeRequest(%q) error = %v, json.Unmarshal error = %v", data, err, wantErr)
	case err == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("decodeRequest(%q) = %+v, json.Unmarshal gives %+v", data, got, want)
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	payload := []byte(`{"cid":"c1","params":{"stars":5},"token":{"user":"jane"}}`)
	for _, bb := range []struct {
		name   string
		decode func([]byte, *resprot.Request) error
	}{
		{"decodeRequest", decodeRequest},
		{"json.Unmarshal", func(data []byte, req *resprot.Request) error { return json.Unmarshal(data, req) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var req resprot.Request
				if err := bb.decode(payload, &req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
