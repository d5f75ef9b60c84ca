package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/reskit/res/resprot"
)

// errForbiddenOrigin is the error of a request from an origin that
// Config.AllowOrigin does not list.
var errForbiddenOrigin = &resprot.Error{Code: resprot.CodeForbidden, Message: "Forbidden origin"}

// parseOrigins checks the origins of Config.AllowOrigin and returns them
// lower-cased and sorted, or ["*"] when there are none.
func parseOrigins(list []string) ([]string, error) {
	if len(list) == 0 {
		return []string{"*"}, nil
	}
	out := make([]string, len(list))
	for i, o := range list {
		o = lowerASCII(o)
		out[i] = o
		if o == "*" {
			if len(list) > 1 {
				return nil, errors.New("gateway: allow origin \"*\" must not be used together with other origins")
			}
			continue
		}
		u, err := url.Parse(o)
		if o == "" || err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			return nil, fmt.Errorf("gateway: allow origin %q does not match <scheme>://<hostname>[:<port>]", o)
		}
	}
	slices.Sort(out)
	return out, nil
}

// originAllowed reports whether a request from r's origin may use the
// gateway, per Config.AllowOrigin. A request without an Origin header, or
// with the origin "null", does not come from a page another site served,
// and is allowed. The WebSocket endpoint uses it as its origin check.
func (g *Gateway) originAllowed(r *http.Request) bool {
	allowed := g.cfg.AllowOrigin
	if len(allowed) == 0 || allowed[0] == "*" {
		return true
	}
	origin := r.Header["Origin"]
	if len(origin) == 0 || origin[0] == "null" {
		return true
	}
	return matchOrigin(allowed, origin[0])
}

// setCORSHeaders sets the CORS headers of an HTTP API response, and
// reports whether the request's origin is allowed. For an origin that is
// not, Access-Control-Allow-Origin names the first allowed one.
func (g *Gateway) setCORSHeaders(h http.Header, r *http.Request) bool {
	if g.cfg.HeaderAuth != "" {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	allowed := g.cfg.AllowOrigin
	if len(allowed) == 0 || allowed[0] == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
		return true
	}
	origin := r.Header["Origin"]
	if len(origin) == 0 || origin[0] == "null" {
		return true
	}
	h.Set("Vary", "Origin")
	if matchOrigin(allowed, origin[0]) {
		h.Set("Access-Control-Allow-Origin", origin[0])
		return true
	}
	h.Set("Access-Control-Allow-Origin", allowed[0])
	return false
}

// matchOrigin reports whether origin is one of allowed, which are lower
// case; letters A to Z in origin match either case.
func matchOrigin(allowed []string, origin string) bool {
	o := lowerASCII(origin)
	for _, a := range allowed {
		if a == o {
			return true
		}
	}
	return false
}

// lowerASCII returns s with the letters A to Z in lower case and every
// other byte as it is.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
