package gateway

import (
	"net/http"

	"github.com/reskit/res/resprot"
)

// apiHandler serves the HTTP API under Config.APIPath. It is a transport
// of its own: it is to map GET and POST requests to get and call requests
// through the same cache as WebSocket clients. Until it is written, it
// answers 501 Not Implemented with a system.notImplemented error.
type apiHandler struct {
	g *Gateway
}

func (h *apiHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	writeHTTPError(w, http.StatusNotImplemented, &resprot.Error{
		Code:    resprot.CodeNotImplemented,
		Message: "HTTP API not implemented yet",
	})
}
