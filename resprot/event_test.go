package resprot_test

import (
	"encoding/json"
	"testing"

	"github.com/reskit/res/resprot"
)

func TestIsReservedEvent(t *testing.T) {
	tests := []struct {
		name     string
		event    string
		reserved bool
	}{
		// The service protocol's list of reserved event names.
		{"add", "add", true},
		{"change", "change", true},
		{"create", "create", true},
		{"delete", "delete", true},
		{"patch", "patch", true},
		{"reset", "reset", true},
		{"reaccess", "reaccess", true},
		{"remove", "remove", true},
		{"unsubscribe", "unsubscribe", true},
		// Defined by the protocol for query resources.
		{"query", "query", true},
		{"custom", "ping", false},
		{"custom camel case", "itemSold", false},
		{"case sensitive", "Change", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resprot.IsReservedEvent(tt.event); got != tt.reserved {
				t.Errorf("IsReservedEvent(%q) = %v, want %v", tt.event, got, tt.reserved)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"change event", resprot.EventSubject("example.user.42", resprot.EventChange), "event.example.user.42.change"},
		{"custom event", resprot.EventSubject("chat.room", "typing"), "event.chat.room.typing"},
		{"token event", resprot.TokenSubject("c1"), "conn.c1.token"},
		{"system reset", resprot.SubjectSystemReset, "system.reset"},
		{"system token reset", resprot.SubjectSystemTokenReset, "system.tokenReset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("subject = %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestEventPayloads encodes each event payload and compares it with the
// example payload of the service protocol, then decodes the example back.
func TestEventPayloads(t *testing.T) {
	tests := []struct {
		name    string
		payload any
		decode  func([]byte) (any, error)
		json    string
	}{
		{
			"spec change",
			resprot.ChangeEvent{Values: map[string]json.RawMessage{
				"myProperty":     json.RawMessage(`"New value"`),
				"unusedProperty": resprot.DeleteAction,
			}},
			decodeAs[resprot.ChangeEvent],
			`{"values":{"myProperty":"New value","unusedProperty":{"action":"delete"}}}`,
		},
		{
			"spec add",
			resprot.AddEvent{Value: json.RawMessage(`"foo"`), Idx: 2},
			decodeAs[resprot.AddEvent],
			`{"value":"foo","idx":2}`,
		},
		{
			"add at zero keeps idx",
			resprot.AddEvent{Value: json.RawMessage(`{"rid":"example.user.42"}`), Idx: 0},
			decodeAs[resprot.AddEvent],
			`{"value":{"rid":"example.user.42"},"idx":0}`,
		},
		{"spec remove", resprot.RemoveEvent{Idx: 2}, decodeAs[resprot.RemoveEvent], `{"idx":2}`},
		{"remove at zero keeps idx", resprot.RemoveEvent{Idx: 0}, decodeAs[resprot.RemoveEvent], `{"idx":0}`},
		{
			"spec token",
			resprot.TokenEvent{Token: json.RawMessage(`{"userid":42,"username":"foo","role":"admin"}`), TID: "42"},
			decodeAs[resprot.TokenEvent],
			`{"token":{"userid":42,"username":"foo","role":"admin"},"tid":"42"}`,
		},
		{"null token", resprot.TokenEvent{Token: json.RawMessage(`null`)}, decodeAs[resprot.TokenEvent], `{"token":null}`},
		{
			"spec system reset",
			resprot.SystemReset{Resources: []string{"userService.users", "userService.user.*"}, Access: []string{"userService.>"}},
			decodeAs[resprot.SystemReset],
			`{"resources":["userService.users","userService.user.*"],"access":["userService.>"]}`,
		},
		{"reset without access", resprot.SystemReset{Resources: []string{"a.>"}}, decodeAs[resprot.SystemReset], `{"resources":["a.>"]}`},
		{
			"spec token reset",
			resprot.TokenReset{TIDs: []string{"12", "42"}, Subject: "auth.authentication.renewToken"},
			decodeAs[resprot.TokenReset],
			`{"tids":["12","42"],"subject":"auth.authentication.renewToken"}`,
		},
		{"spec query", resprot.QueryEvent{Subject: "_REQUEST_SUBJECT_12345678"}, decodeAs[resprot.QueryEvent], `{"subject":"_REQUEST_SUBJECT_12345678"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.payload)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b, tt.json)

			back, err := tt.decode([]byte(tt.json))
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.json, err)
			}
			b2, err := json.Marshal(back)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertJSON(t, b2, tt.json)
		})
	}
}

func decodeAs[T any](data []byte) (any, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}
