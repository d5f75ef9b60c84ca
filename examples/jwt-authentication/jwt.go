package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// claims is what a token of this example says about its holder.
type claims struct {
	User    string `json:"sub"`
	Role    string `json:"role"` // "editor" or "viewer"
	Expires int64  `json:"exp"`  // Unix time
}

// Roles.
const (
	roleEditor = "editor"
	roleViewer = "viewer"
)

// jwtHeader is the header of every token: HMAC SHA-256 signed.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// signer makes and checks JSON Web Tokens signed with HS256 (RFC 7519),
// enough of the standard for this example and no more.
type signer struct {
	secret []byte
	now    func() time.Time
}

// sign returns a token holding c.
func (s signer) sign(c claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	unsigned := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return unsigned + "." + s.signature(unsigned), nil
}

func (s signer) signature(unsigned string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(unsigned))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Errors of verify.
var (
	errMalformed = errors.New("malformed token")
	errSignature = errors.New("invalid token signature")
	errExpired   = errors.New("token expired")
)

// verify checks token's algorithm, signature and expiry, and returns its
// claims.
func (s signer) verify(token string) (claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, errMalformed
	}
	head, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return claims{}, errMalformed
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(head, &h) != nil || h.Alg != "HS256" {
		return claims{}, errMalformed
	}
	want := s.signature(parts[0] + "." + parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return claims{}, errSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return claims{}, errMalformed
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, errMalformed
	}
	if c.Expires != 0 && !s.now().Before(time.Unix(c.Expires, 0)) {
		return claims{}, errExpired
	}
	return c, nil
}
