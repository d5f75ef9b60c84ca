package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignerRoundTrip(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	sig := signer{secret: []byte("key"), now: func() time.Time { return now }}
	want := claims{User: "alice", Role: roleEditor, Expires: now.Add(time.Hour).Unix()}
	tok, err := sig.sign(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sig.verify(tok)
	if err != nil {
		t.Fatalf("verify(sign(%+v)) error: %v", want, err)
	}
	if got != want {
		t.Errorf("verify(sign(%+v)) = %+v", want, got)
	}
}

func TestSignerVerifyErrors(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	sig := signer{secret: []byte("key"), now: func() time.Time { return now }}
	other := signer{secret: []byte("other key"), now: sig.now}
	valid, _ := sig.sign(claims{User: "a", Role: roleViewer, Expires: now.Add(time.Minute).Unix()})
	expired, _ := sig.sign(claims{User: "a", Role: roleViewer, Expires: now.Unix()})
	forged, _ := other.sign(claims{User: "a", Role: roleEditor})
	parts := strings.Split(valid, ".")
	noneAlg := "eyJhbGciOiJub25lIn0." + parts[1] + "."

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", errMalformed},
		{"two parts", "a.b", errMalformed},
		{"bad base64", "!!.b.c", errMalformed},
		{"alg none", noneAlg, errMalformed},
		{"other key", forged, errSignature},
		{"changed payload", parts[0] + "." + strings.Repeat("A", len(parts[1])) + "." + parts[2], errSignature},
		{"expired", expired, errExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sig.verify(tt.token); !errors.Is(err, tt.want) {
				t.Errorf("verify(%q) error = %v, want %v", tt.token, err, tt.want)
			}
		})
	}
}
