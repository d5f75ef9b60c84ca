package gateway

import (
	"testing"

	"github.com/reskit/res/resprot"
)

func TestReplyCode(t *testing.T) {
	tests := []struct {
		name, reply string
		err         error
		code        string
		malformed   bool
	}{
		{"result", `{"result":{"model":{}}}`, nil, "", false},
		{"null result", `{"result":null}`, nil, "", false},
		{"resource", `{"resource":{"rid":"a.b"}}`, nil, "", false},
		{"invalid resource", `{"resource":{"rid":"a..b"}}`, nil, resprot.CodeInternalError, true},
		{"error", `{"error":{"code":"system.notFound","message":"Not found"}}`, nil, resprot.CodeNotFound, false},
		{"custom error", `{"error":{"code":"my.error","message":"x"}}`, nil, "my.error", false},
		{"error without code", `{"error":{"message":"x"}}`, nil, resprot.CodeInternalError, true},
		{"not json", `{"result":`, nil, resprot.CodeInternalError, true},
		{"not an object", `[1]`, nil, resprot.CodeInternalError, true},
		{"empty", ``, nil, resprot.CodeInternalError, true},
		{"no result", `{"meta":{}}`, nil, resprot.CodeInternalError, true},
		{"timeout", ``, resprot.ErrTimeout, resprot.CodeTimeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, malformed := replyCode([]byte(tt.reply), tt.err)
			if code != tt.code || malformed != tt.malformed {
				t.Errorf("replyCode(%q, %v) = %q, %v; want %q, %v", tt.reply, tt.err, code, malformed, tt.code, tt.malformed)
			}
		})
	}
}
