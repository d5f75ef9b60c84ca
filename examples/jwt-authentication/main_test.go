package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLoginRoute(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantClaims claims // when logged in, without expiry
	}{
		{"", http.StatusSeeOther, claims{User: "demo", Role: roleEditor}},
		{"?user=bob&role=viewer", http.StatusSeeOther, claims{User: "bob", Role: roleViewer}},
		{"?user=alice&role=admin", http.StatusBadRequest, claims{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := httptest.NewRecorder()
			login(testSigner)(rec, httptest.NewRequest("GET", "/login"+tt.query, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("GET /login%s: status %d, want %d", tt.query, rec.Code, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusSeeOther {
				return
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 || cookies[0].Name != cookieName || !cookies[0].HttpOnly {
				t.Fatalf("GET /login%s: cookies %v, want one HttpOnly %s", tt.query, cookies, cookieName)
			}
			c, err := testSigner.verify(cookies[0].Value)
			if err != nil {
				t.Fatalf("cookie token: %v", err)
			}
			c.Expires = 0
			if c != tt.wantClaims {
				t.Errorf("GET /login%s: claims %+v, want %+v", tt.query, c, tt.wantClaims)
			}
		})
	}
}

func TestLogoutRoute(t *testing.T) {
	rec := httptest.NewRecorder()
	logout(rec, httptest.NewRequest("GET", "/logout", nil))
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 || cookies[0].MaxAge >= 0 {
		t.Errorf("GET /logout: status %d, cookies %v; want 303 and an expired cookie", rec.Code, cookies)
	}
}
