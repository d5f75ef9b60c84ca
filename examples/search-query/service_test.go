package main

import (
	"testing"

	"github.com/reskit/res/restest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func call(params any) *restest.Request {
	r := restest.DefaultCallRequest()
	r.Params = params
	return r
}

func ref(rid string) map[string]string { return map[string]string{"rid": rid} }

// testCustomers are few, so that results are easy to write down.
func testCustomers() []*customer {
	return []*customer{
		{ID: "1", Name: "Anna Alm", Email: "anna@example.com", Country: "Sweden"},
		{ID: "2", Name: "Bo Berg", Email: "bo@example.com", Country: "Norway"},
		{ID: "3", Name: "Anders Ek", Email: "anders@example.com", Country: "Norway"},
	}
}

func TestGetCustomers(t *testing.T) {
	s := restest.NewSession(t, newService(testCustomers()))
	s.Get("search.customers?name=an&limit=10").Response().
		AssertCollection([]any{ref("search.customer.3"), ref("search.customer.1")}).
		AssertQuery("country=&from=0&limit=10&name=an")
	s.Get("search.customers?country=Norway&from=1").Response().
		AssertCollection([]any{ref("search.customer.2")}).
		AssertQuery("country=Norway&from=1&limit=25&name=")
	s.Get("search.customers").Response().
		AssertCollection([]any{ref("search.customer.3"), ref("search.customer.1"), ref("search.customer.2")}).
		AssertQuery("")
	s.Get("search.customers?limit=100").Response().AssertErrorCode("system.invalidQuery")
	s.Get("search.customer.2").Response().AssertModel(testCustomers()[1])
	s.Get("search.customer.9").Response().AssertErrorCode("system.notFound")
	s.Get("search.countries").Response().AssertCollection(countries)
}

func TestNewCustomerUpdatesSearches(t *testing.T) {
	s := restest.NewSession(t, newService(testCustomers()))
	s.Call("search.customers", "newCustomer", call(map[string]any{"name": "Alva Ros", "country": "Norway"})).
		Response().AssertResource("search.customer.4")

	var subject string
	s.GetMsg().AssertQueryEvent("search.customers", &subject)
	s.QueryRequest(subject, "country=Norway&from=0&limit=25&name=").Response().
		AssertCollection([]any{ref("search.customer.4"), ref("search.customer.3"), ref("search.customer.2")})
	s.QueryRequest(subject, "country=Sweden&from=0&limit=25&name=").Response().
		AssertCollection([]any{ref("search.customer.1")})
	s.Get("search.customer.4").Response().AssertModel(customer{ID: "4", Name: "Alva Ros", Country: "Norway"})
}

func TestSetCustomer(t *testing.T) {
	s := restest.NewSession(t, newService(testCustomers()))

	// An email is not searched: a change event, and no query event.
	s.Call("search.customer.1", "set", call(map[string]any{"email": "a@example.org"})).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("search.customer.1", map[string]any{"email": "a@example.org"})
	s.AssertNoMsg()

	// A name is: the customer moves in the results.
	s.Call("search.customer.1", "set", call(map[string]any{"name": "Zoe Alm"})).Response().AssertResult(nil)
	s.GetMsg().AssertChangeEvent("search.customer.1", map[string]any{"name": "Zoe Alm"})
	var subject string
	s.GetMsg().AssertQueryEvent("search.customers", &subject)
	s.QueryRequest(subject, "country=&from=0&limit=25&name=").Response().
		AssertCollection([]any{ref("search.customer.3"), ref("search.customer.2"), ref("search.customer.1")})

	s.Call("search.customer.1", "set", call(map[string]any{"country": "Atlantis"})).Response().AssertErrorCode("system.invalidParams")
	s.Call("search.customer.1", "set", call(map[string]any{"name": " "})).Response().AssertErrorCode("system.invalidParams")
	s.Call("search.customer.9", "set", call(map[string]any{"name": "X"})).Response().AssertErrorCode("system.notFound")
	s.AssertNoMsg()
}

func TestDeleteCustomer(t *testing.T) {
	s := restest.NewSession(t, newService(testCustomers()))
	s.Call("search.customer.3", "delete", nil).Response().AssertResult(nil)
	s.GetMsg().AssertDeleteEvent("search.customer.3")
	var subject string
	s.GetMsg().AssertQueryEvent("search.customers", &subject)
	s.QueryRequest(subject, "country=Norway&from=0&limit=25&name=").Response().
		AssertCollection([]any{ref("search.customer.2")})
	s.Get("search.customer.3").Response().AssertErrorCode("system.notFound")
}
