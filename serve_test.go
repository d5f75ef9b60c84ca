package res_test

import (
	"context"
	"testing"
	"time"

	"github.com/reskit/res"
)

// A gateway may send a request as soon as OnServe says the service is up,
// or as soon as it sees the service's system.reset. The server must know the
// service's subscriptions by then: a request must never meet "no
// responders".
func TestServeSubscriptionsKnownOnServe(t *testing.T) {
	for i := 0; i < 20; i++ {
		srv := startNATS(t, 0)
		client := rawConn(t, srv.URL())

		served := make(chan struct{})
		s := res.NewService("test", res.WithOnServe(func(*res.Service) { close(served) }))
		s.Handle("model", res.GetModel(func(r res.ModelRequest) {
			r.Model(map[string]any{"n": 1})
		}))
		errc := make(chan error, 1)
		go func() { errc <- s.ListenAndServe(srv.URL()) }()
		select {
		case <-served:
		case err := <-errc:
			t.Fatalf("ListenAndServe: %v", err)
		}

		msg, err := client.Request("get.test.model", []byte(`{}`), waitTimeout)
		if err != nil {
			t.Fatalf("run %d: request right after OnServe: %v", i, err)
		}
		if got, want := string(msg.Data), `{"result":{"model":{"n":1}}}`; got != want {
			t.Fatalf("run %d: reply = %s, want %s", i, got, want)
		}
		shutdown(t, s)
		if err := <-errc; err != res.ErrServiceClosed {
			t.Fatalf("ListenAndServe returned %v, want ErrServiceClosed", err)
		}
	}
}

func shutdown(t testing.TB, s *res.Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
