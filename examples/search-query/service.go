package main

import (
	"github.com/reskit/res"
)

func customerRID(id string) string { return "search.customer." + id }

func refs(ids []string) []res.Ref {
	out := make([]res.Ref, len(ids))
	for i, id := range ids {
		out[i] = res.Ref(customerRID(id))
	}
	return out
}

// newService returns the service "search", serving search.customers (a
// query collection), search.customer.$id and search.countries.
func newService(customers []*customer) *res.Service {
	st := newStore(customers)
	s := res.NewService("search")

	// queryEvent has the gateway ask again for every search.customers
	// query it holds. The answer is the query's whole new result, and the
	// gateway turns the difference into add and remove events.
	queryEvent := func() {
		_ = s.With("search.customers", func(r res.Resource) {
			r.QueryEvent(func(qr res.QueryRequest) {
				if qr == nil {
					return // the query event is over
				}
				q, err := parseQuery(qr.Query())
				if err != nil {
					qr.InvalidQuery(err.Error())
					return
				}
				qr.Collection(refs(st.search(q)))
			})
		})
	}

	s.Handle("customers",
		res.Access(res.AccessGranted),
		res.Group("search"),
		res.GetCollection(func(r res.CollectionRequest) {
			q, err := parseQuery(r.Query())
			if err != nil {
				r.InvalidQuery(err.Error())
				return
			}
			if r.Query() == "" {
				r.Collection(refs(st.search(q)))
				return
			}
			r.QueryCollection(refs(st.search(q)), q.String())
		}),
		res.Call("newCustomer", func(r res.CallRequest) {
			var v customer
			if err := r.ParseParams(&v); err != nil {
				r.InvalidParams("name, email and country must be strings")
				return
			}
			if msg := validateCustomer(&v); msg != "" {
				r.InvalidParams(msg)
				return
			}
			c := st.create(v.Name, v.Email, v.Country)
			queryEvent()
			r.Resource(customerRID(c.ID))
		}),
	)

	s.Handle("customer.$id",
		res.Access(res.AccessGranted),
		res.Group("search"),
		res.GetModel(func(r res.ModelRequest) {
			c := st.byID[r.PathParam("id")]
			if c == nil {
				r.NotFound()
				return
			}
			r.Model(c)
		}),
		res.Set(func(r res.CallRequest) {
			c := st.byID[r.PathParam("id")]
			if c == nil {
				r.NotFound()
				return
			}
			var p struct {
				Name    *string `json:"name"`
				Email   *string `json:"email"`
				Country *string `json:"country"`
			}
			if err := r.ParseParams(&p); err != nil {
				r.InvalidParams("name, email and country must be strings")
				return
			}
			v := *c
			if p.Name != nil {
				v.Name = *p.Name
			}
			if p.Email != nil {
				v.Email = *p.Email
			}
			if p.Country != nil {
				v.Country = *p.Country
			}
			if msg := validateCustomer(&v); msg != "" {
				r.InvalidParams(msg)
				return
			}
			changed := map[string]any{}
			if v.Name != c.Name {
				changed["name"] = v.Name
			}
			if v.Email != c.Email {
				changed["email"] = v.Email
			}
			if v.Country != c.Country {
				changed["country"] = v.Country
			}
			if len(changed) == 0 {
				r.OK(nil)
				return
			}
			st.update(c, v)
			r.ChangeEvent(changed)
			if _, ok := changed["email"]; !ok || len(changed) > 1 {
				// Name and country decide which searches hold the
				// customer, and where.
				queryEvent()
			}
			r.OK(nil)
		}),
		res.Call("delete", func(r res.CallRequest) {
			c := st.byID[r.PathParam("id")]
			if c == nil {
				r.NotFound()
				return
			}
			st.remove(c)
			queryEvent()
			r.DeleteEvent()
			r.OK(nil)
		}),
	)

	s.Handle("countries",
		res.Access(res.AccessGranted),
		res.GetCollection(func(r res.CollectionRequest) {
			r.Collection(countries)
		}),
	)
	return s
}
