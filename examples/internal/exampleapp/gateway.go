package exampleapp

import (
	"log/slog"

	"github.com/reskit/res/gateway"
)

// embeddedGateway is the bundled gateway, served by the example's own web
// server through its Handler.
type embeddedGateway = gateway.Gateway

// startGateway connects the bundled gateway to the NATS server at natsURL,
// with the header authentication app asks for. It does not listen: the
// example's web server serves its Handler.
func startGateway(natsURL string, app *App, log *slog.Logger) (*embeddedGateway, error) {
	g, err := gateway.New(gateway.Config{
		NATSURL:      natsURL,
		NoHTTP:       true,
		WSPath:       "/",
		APIPath:      "/api/",
		HeaderAuth:   app.HeaderAuth,
		WSHeaderAuth: app.WSHeaderAuth,
		Logger:       log,
	})
	if err != nil {
		return nil, err
	}
	if err := g.Start(); err != nil {
		return nil, err
	}
	return g, nil
}
