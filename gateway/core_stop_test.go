package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/reskit/res/gateway"
)

func TestCoreStopSendsCloseFrame(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+e.g.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// A round trip makes sure the connection is registered.
	if err := ws.WriteJSON(map[string]any{"id": 1, "method": "version"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.g.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("read after Stop: %v, want close 1001", err)
	}
}

func TestCoreOtherPaths(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{})
	tests := []struct {
		path   string
		status int
	}{
		{"/nope", http.StatusNotFound},
		{"/api/", http.StatusNotFound},
		{"/", http.StatusBadRequest}, // not a WebSocket upgrade
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get("http://" + e.g.Addr().String() + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("GET %s Content-Type = %q", tt.path, ct)
			}
		})
	}
}

func TestCoreWSHeaderAuth(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{WSHeaderAuth: "auth.user.login"})
	dialed := make(chan error, 1)
	var ws *websocket.Conn
	go func() {
		var err error
		h := http.Header{"Cookie": {"session=abc"}}
		ws, _, err = websocket.DefaultDialer.Dial("ws://"+e.g.Addr().String()+"/", h)
		dialed <- err
	}()
	m := e.request("auth.auth.user.login")
	var p struct {
		CID    string              `json:"cid"`
		Header map[string][]string `json:"header"`
		IsHTTP bool                `json:"isHttp"`
	}
	if err := jsonUnmarshal(m.Data, &p); err != nil {
		t.Fatal(err)
	}
	if !p.IsHTTP || len(p.Header["Cookie"]) != 1 || p.Header["Cookie"][0] != "session=abc" {
		t.Fatalf("auth payload %s", m.Data)
	}
	e.publish("conn."+p.CID+".token", `{"token":{"user":"u1"}}`)
	respond(t, m, `{"result":null}`)
	if err := <-dialed; err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"id": 1, "method": "call.test.m.x"}); err != nil {
		t.Fatal(err)
	}
	a := e.request("access.test.m")
	jsonEq(t, "access payload", a.Data, `{"cid":"`+p.CID+`","token":{"user":"u1"}}`)
	respond(t, a, `{"result":{"call":"*"}}`)
	respond(t, e.request("call.test.m.x"), `{"result":1}`)
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
}

func TestCoreWSHeaderAuthRejects(t *testing.T) {
	e := newCoreEnv(t, gateway.Config{WSHeaderAuth: "auth.user.login"})
	dialed := make(chan *http.Response, 1)
	go func() {
		_, resp, _ := websocket.DefaultDialer.Dial("ws://"+e.g.Addr().String()+"/", nil)
		dialed <- resp
	}()
	respond(t, e.request("auth.auth.user.login"), `{"error":{"code":"system.accessDenied","message":"Access denied"},"meta":{"status":401}}`)
	resp := <-dialed
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("response %v, want 401", resp)
	}
	resp.Body.Close()
}
