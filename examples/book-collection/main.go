// Command book-collection is a RES example of a list of books that many
// people edit at once: a collection, library.books, of references to book
// models, library.book.$id. Books can be added, edited and deleted; the
// service sends add, remove and change events, and the gateway keeps every
// client in sync.
//
//	go run ./examples/book-collection
package main

import (
	"embed"

	"github.com/reskit/res/examples/internal/exampleapp"
)

//go:embed web
var web embed.FS

func main() {
	exampleapp.Main(exampleapp.App{
		Name:     "book-collection",
		Services: []exampleapp.Service{newService()},
		Web:      web,
	})
}
