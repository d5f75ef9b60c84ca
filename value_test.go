package res_test

import (
	"errors"
	"testing"

	"github.com/reskit/res"
)

// TestValue checks Resource.Value and RequireValue: they run the get
// handler without sending anything.
func TestValue(t *testing.T) {
	book := map[string]any{"title": "Dune"}
	tests := []struct {
		name    string
		get     res.Option // nil for no get handler
		want    any
		wantErr *res.Error
	}{
		{"model", model(book), book, nil},
		{"collection", collection([]string{"a"}), []string{"a"}, nil},
		{"not found", res.GetModel(func(r res.ModelRequest) { _ = r.NotFound() }), nil, res.ErrNotFound},
		{"custom error", res.GetModel(func(r res.ModelRequest) { _ = r.Error(&res.Error{Code: "test.gone", Message: "Gone"}) }), nil, &res.Error{Code: "test.gone"}},
		{"no reply", res.GetModel(func(r res.ModelRequest) {}), nil, res.ErrInternalError},
		{"panic", res.GetModel(func(r res.ModelRequest) { panic("boom") }), nil, res.ErrInternalError},
		{"no get handler", nil, nil, res.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type result struct {
				v   any
				err error
			}
			fromCall := make(chan result, 1)
			fromWith := make(chan result, 1)
			forValue := make(chan bool, 2)
			session, _ := newSession(t, func(s *res.Service) {
				opts := []res.Option{res.Call("peek", func(r res.CallRequest) {
					v, err := r.Value()
					fromCall <- result{v, err}
					_ = r.OK(nil)
				})}
				if tt.get != nil {
					opts = append(opts, tt.get, res.Call("probe", func(r res.CallRequest) { _ = r.OK(nil) }))
				}
				s.Handle("x", opts...)
				s.Handle("flag", res.GetModel(func(r res.ModelRequest) { forValue <- r.ForValue(); _ = r.Model(map[string]any{}) }),
					res.Call("peek", func(r res.CallRequest) { _, _ = r.Value(); _ = r.OK(nil) }))
			})
			session.Call("test.x", "peek", nil).Response().AssertResult(nil)
			_ = session.Service().With("test.x", func(r res.Resource) {
				v, err := r.Value()
				fromWith <- result{v, err}
			})
			for where, ch := range map[string]chan result{"call handler": fromCall, "With": fromWith} {
				got := <-ch
				if tt.wantErr != nil {
					if !errors.Is(got.err, tt.wantErr) {
						t.Errorf("Value() from %s error = %v, want %s", where, got.err, tt.wantErr.Code)
					}
					continue
				}
				if got.err != nil || !eqGot(got.v, tt.want) {
					t.Errorf("Value() from %s = %v, %v, want %v", where, got.v, got.err, tt.want)
				}
			}
			// Value sends nothing: no reply, no event.
			session.AssertNoMsg()

			session.Call("test.flag", "peek", nil).Response().AssertResult(nil)
			session.Get("test.flag").Response().AssertModel(map[string]any{})
			if a, b := <-forValue, <-forValue; !a || b {
				t.Errorf("ForValue() = %v from Value, %v from a get request; want true, false", a, b)
			}
		})
	}
}

// TestRequireValue checks that RequireValue's panic replies with the get
// handler's error.
func TestRequireValue(t *testing.T) {
	session, logs := newSession(t, func(s *res.Service) {
		s.Handle("found", model(map[string]any{"n": 1}), res.Call("peek", func(r res.CallRequest) { _ = r.OK(r.RequireValue()) }))
		s.Handle("missing", res.GetModel(func(r res.ModelRequest) { _ = r.NotFound() }),
			res.Call("peek", func(r res.CallRequest) { _ = r.OK(r.RequireValue()) }))
	})
	session.Call("test.found", "peek", nil).Response().AssertResult(map[string]any{"n": 1})
	session.Call("test.missing", "peek", nil).Response().AssertError(res.ErrNotFound)
	assertNoErrorLogged(t, logs)
}

// TestValueInGetHandler checks that Value refuses to run from a get
// handler, which would call itself.
func TestValueInGetHandler(t *testing.T) {
	errc := make(chan error, 1)
	session, _ := newSession(t, func(s *res.Service) {
		s.Handle("x", res.GetModel(func(r res.ModelRequest) {
			_, err := r.Value()
			errc <- err
			_ = r.Model(map[string]any{})
		}))
	})
	session.Get("test.x").Response().AssertModel(map[string]any{})
	if err := <-errc; err == nil {
		t.Error("Value() from a get handler = nil error, want an error")
	}
}
