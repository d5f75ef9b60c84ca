package resprot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/reskit/res/resprot"
)

// TestPredefinedErrors checks the codes and messages of the service
// protocol's "Pre-defined errors" table.
func TestPredefinedErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     *resprot.Error
		code    string
		message string
	}{
		{"not found", resprot.ErrNotFound, "system.notFound", "Not found"},
		{"invalid params", resprot.ErrInvalidParams, "system.invalidParams", "Invalid parameters"},
		{"invalid query", resprot.ErrInvalidQuery, "system.invalidQuery", "Invalid query"},
		{"internal error", resprot.ErrInternalError, "system.internalError", "Internal error"},
		{"method not found", resprot.ErrMethodNotFound, "system.methodNotFound", "Method not found"},
		{"access denied", resprot.ErrAccessDenied, "system.accessDenied", "Access denied"},
		{"timeout", resprot.ErrTimeout, "system.timeout", "Request timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Code != tt.code || tt.err.Message != tt.message {
				t.Errorf("error = {%q, %q}, want {%q, %q}", tt.err.Code, tt.err.Message, tt.code, tt.message)
			}
			if tt.err.Error() != tt.message {
				t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.message)
			}
		})
	}
}

func TestErrorJSON(t *testing.T) {
	tests := []struct {
		name string
		err  *resprot.Error
		want string
	}{
		{"without data", resprot.ErrNotFound, `{"code":"system.notFound","message":"Not found"}`},
		{
			"with data",
			&resprot.Error{Code: "library.outOfStock", Message: "Out of stock: {title}", Data: json.RawMessage(`{"title":"Dune"}`)},
			`{"code":"library.outOfStock","message":"Out of stock: {title}","data":{"title":"Dune"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.err)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal = %s, want %s", b, tt.want)
			}
			var back resprot.Error
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if back.Code != tt.err.Code || back.Message != tt.err.Message || string(back.Data) != string(tt.err.Data) {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", b, back, *tt.err)
			}
		})
	}
}

func TestErrorIs(t *testing.T) {
	custom := &resprot.Error{Code: "system.notFound", Message: "No such book"}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same value", resprot.ErrNotFound, resprot.ErrNotFound, true},
		{"same code, other message", custom, resprot.ErrNotFound, true},
		{"wrapped", fmt.Errorf("load book: %w", custom), resprot.ErrNotFound, true},
		{"other code", resprot.ErrTimeout, resprot.ErrNotFound, false},
		{"plain error", io.EOF, resprot.ErrNotFound, false},
		{"nil target", resprot.ErrNotFound, (*resprot.Error)(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
}

func TestToError(t *testing.T) {
	custom := &resprot.Error{Code: "library.outOfStock", Message: "Out of stock"}
	tests := []struct {
		name    string
		err     error
		code    string
		message string
	}{
		{"res error kept", custom, "library.outOfStock", "Out of stock"},
		{"wrapped res error found", fmt.Errorf("lend: %w", custom), "library.outOfStock", "Out of stock"},
		{"predefined kept", resprot.ErrAccessDenied, "system.accessDenied", "Access denied"},
		{"plain error", io.ErrUnexpectedEOF, "system.internalError", "Internal error: unexpected EOF"},
		{"wrapped plain error", fmt.Errorf("read: %w", io.EOF), "system.internalError", "Internal error: read: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resprot.ToError(tt.err)
			if got == nil || got.Code != tt.code || got.Message != tt.message {
				t.Errorf("ToError(%v) = %+v, want {%q, %q}", tt.err, got, tt.code, tt.message)
			}
		})
	}
	t.Run("nil", func(t *testing.T) {
		if got := resprot.ToError(nil); got != nil {
			t.Errorf("ToError(nil) = %+v, want nil", got)
		}
	})
}

func TestInternalError(t *testing.T) {
	e := resprot.InternalError(errors.New("disk full"))
	if e.Code != resprot.CodeInternalError || e.Message != "Internal error: disk full" {
		t.Errorf("InternalError(disk full) = %+v, want {%q, %q}", e, resprot.CodeInternalError, "Internal error: disk full")
	}
	if !errors.Is(e, resprot.ErrInternalError) {
		t.Errorf("errors.Is(InternalError(...), ErrInternalError) = false, want true")
	}
}
