// Command search-query is a RES example of live search results: a query
// collection, search.customers?name=&country=&from=&limit=, over a few
// thousand customers. When a customer is added, edited or deleted, the
// service sends a query event, and the gateway updates every search it
// holds that the change affects.
//
//	go run ./examples/search-query
package main

import (
	"embed"

	"github.com/reskit/res/examples/internal/exampleapp"
)

//go:embed web
var web embed.FS

// customerCount is how many customers the service starts with.
const customerCount = 3000

func main() {
	exampleapp.Main(exampleapp.App{
		Name:     "search-query",
		Services: []exampleapp.Service{newService(generateCustomers(customerCount))},
		Web:      web,
	})
}
