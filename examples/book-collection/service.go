package main

import (
	"strconv"
	"strings"

	"github.com/reskit/res"
)

// book is the value of a library.book.$id model.
type book struct {
	ID     int    `json:"id"`
	Title  string `json:"title"`
	Author string `json:"author"`
}

// library holds the books. It is used only from requests in the queue
// group "library", which runs them one at a time, so it needs no lock.
type library struct {
	books  map[int]*book
	order  []res.Ref // the library.books collection
	nextID int
}

func newLibrary() *library {
	l := &library{books: map[int]*book{}, nextID: 1}
	for _, b := range []book{
		{Title: "Animal Farm", Author: "George Orwell"},
		{Title: "Brave New World", Author: "Aldous Huxley"},
		{Title: "Coraline", Author: "Neil Gaiman"},
	} {
		l.add(b.Title, b.Author)
	}
	return l
}

// add stores a new book at the end of the collection and returns it.
func (l *library) add(title, author string) *book {
	b := &book{ID: l.nextID, Title: title, Author: author}
	l.nextID++
	l.books[b.ID] = b
	l.order = append(l.order, bookRef(b.ID))
	return b
}

func bookRID(id int) string  { return "library.book." + strconv.Itoa(id) }
func bookRef(id int) res.Ref { return res.Ref(bookRID(id)) }

// newService returns the service "library", serving library.books and
// library.book.$id.
func newService() *res.Service {
	lib := newLibrary()
	s := res.NewService("library")

	s.Handle("books",
		res.Access(res.AccessGranted),
		res.Group("library"),
		res.GetCollection(func(r res.CollectionRequest) {
			r.Collection(lib.order)
		}),
		res.Call("new", func(r res.CallRequest) {
			var p struct {
				Title  string `json:"title"`
				Author string `json:"author"`
			}
			if err := r.ParseParams(&p); err != nil {
				r.InvalidParams("title and author must be strings")
				return
			}
			title, author := strings.TrimSpace(p.Title), strings.TrimSpace(p.Author)
			if msg := validate(title, author); msg != "" {
				r.InvalidParams(msg)
				return
			}
			b := lib.add(title, author)
			r.AddEvent(bookRef(b.ID), len(lib.order)-1)
			// A resource response: the client gets the new book model.
			r.Resource(bookRID(b.ID))
		}),
		res.Call("delete", func(r res.CallRequest) {
			var p struct {
				ID *int `json:"id"`
			}
			if err := r.ParseParams(&p); err != nil || p.ID == nil {
				r.InvalidParams("id must be a book ID number")
				return
			}
			id := *p.ID
			if _, ok := lib.books[id]; ok {
				delete(lib.books, id)
				for i, ref := range lib.order {
					if ref == bookRef(id) {
						lib.order = append(lib.order[:i], lib.order[i+1:]...)
						r.RemoveEvent(i)
						break
					}
				}
				// Tell the gateway the model is gone, so that it drops
				// it from its cache.
				_ = s.With(bookRID(id), func(r res.Resource) { r.DeleteEvent() })
			}
			// Deleting is idempotent: deleting a book that is not
			// there succeeds.
			r.OK(nil)
		}),
	)

	s.Handle("book.$id",
		res.Access(res.AccessGranted),
		res.Group("library"),
		res.GetModel(func(r res.ModelRequest) {
			b := lib.book(r.PathParam("id"))
			if b == nil {
				r.NotFound()
				return
			}
			r.Model(b)
		}),
		res.Set(func(r res.CallRequest) {
			b := lib.book(r.PathParam("id"))
			if b == nil {
				r.NotFound()
				return
			}
			var p struct {
				Title  *string `json:"title"`
				Author *string `json:"author"`
			}
			if err := r.ParseParams(&p); err != nil {
				r.InvalidParams("title and author must be strings")
				return
			}
			title, author := b.Title, b.Author
			if p.Title != nil {
				title = strings.TrimSpace(*p.Title)
			}
			if p.Author != nil {
				author = strings.TrimSpace(*p.Author)
			}
			if msg := validate(title, author); msg != "" {
				r.InvalidParams(msg)
				return
			}
			changed := map[string]any{}
			if title != b.Title {
				b.Title = title
				changed["title"] = title
			}
			if author != b.Author {
				b.Author = author
				changed["author"] = author
			}
			if len(changed) > 0 {
				r.ChangeEvent(changed)
			}
			r.OK(nil)
		}),
	)
	return s
}

// book returns the book with ID id, as a path parameter, or nil.
func (l *library) book(id string) *book {
	n, err := strconv.Atoi(id)
	if err != nil || strconv.Itoa(n) != id {
		return nil
	}
	return l.books[n]
}

// validate returns what is wrong with a book's title and author, or "".
func validate(title, author string) string {
	switch {
	case title == "":
		return "Title must not be empty"
	case author == "":
		return "Author must not be empty"
	}
	return ""
}
