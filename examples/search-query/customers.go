package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// customer is the value of a search.customer.$id model.
type customer struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Country string `json:"country"`
}

// countries is the search.countries collection: the countries a customer
// may be from.
var countries = []string{
	"Argentina", "Australia", "Brazil", "Canada", "Denmark", "Finland",
	"France", "Germany", "India", "Italy", "Japan", "Mexico", "Netherlands",
	"Norway", "Poland", "Spain", "Sweden", "United Kingdom", "United States",
}

var firstNames = []string{
	"Aaliyah", "Adam", "Alice", "Amir", "Anna", "Ben", "Carla", "Chen",
	"Daniel", "Diego", "Elena", "Emil", "Fatima", "Felix", "Grace", "Hana",
	"Hugo", "Ines", "Isak", "Jana", "Jonas", "Kai", "Kenji", "Lara", "Leo",
	"Lina", "Lucas", "Maja", "Marco", "Maria", "Mei", "Nadia", "Noah", "Olga",
	"Omar", "Paula", "Pedro", "Priya", "Rosa", "Sam", "Sara", "Sofia", "Tom",
	"Ugo", "Vera", "Wei", "Yara", "Yusuf", "Zoe",
}

var lastNames = []string{
	"Andersson", "Bauer", "Becker", "Costa", "Dubois", "Eriksen", "Fischer",
	"Garcia", "Hansen", "Ito", "Jensen", "Kowalski", "Laine", "Lopez",
	"Martin", "Meyer", "Moreau", "Nakamura", "Nielsen", "Novak", "Olsen",
	"Patel", "Rossi", "Santos", "Schmidt", "Silva", "Smith", "Suzuki",
	"Tanaka", "Virtanen", "Wagner", "Wang", "Williams", "Zielinski",
}

// generateCustomers returns n customers made up from fixed name lists by a
// seeded generator: the same n gives the same customers on every run.
func generateCustomers(n int) []*customer {
	rng := rand.New(rand.NewPCG(2024, 5))
	out := make([]*customer, 0, n)
	for i := 1; i <= n; i++ {
		first := firstNames[rng.IntN(len(firstNames))]
		last := lastNames[rng.IntN(len(lastNames))]
		out = append(out, &customer{
			ID:      strconv.Itoa(i),
			Name:    first + " " + last,
			Email:   fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), i),
			Country: countries[rng.IntN(len(countries))],
		})
	}
	return out
}

// Query limits.
const (
	defaultLimit = 25
	maxLimit     = 50
)

// query is a parsed search.customers query.
type query struct {
	Name    string // prefix of the name, any case; empty matches all
	Country string // exact country; empty matches all
	From    int
	Limit   int
}

// parseQuery parses the query of a search.customers resource. Missing
// values take their defaults; a malformed one is an error whose text is
// meant for the client.
func parseQuery(raw string) (query, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return query{}, fmt.Errorf("malformed query")
	}
	q := query{
		Name:    strings.TrimSpace(v.Get("name")),
		Country: v.Get("country"),
		From:    0,
		Limit:   defaultLimit,
	}
	if s := v.Get("from"); s != "" {
		if q.From, err = strconv.Atoi(s); err != nil || q.From < 0 {
			return query{}, fmt.Errorf("from must be a number, 0 or more")
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > maxLimit {
			return query{}, fmt.Errorf("limit must be a number from 1 to %d", maxLimit)
		}
	}
	return q, nil
}

// String returns the normalized query: the same search always gives the
// same string, whatever the order or spelling of the query it came from.
// The gateway shares one cached result between queries that normalize
// alike.
func (q query) String() string {
	v := url.Values{}
	v.Set("name", q.Name)
	v.Set("country", q.Country)
	v.Set("from", strconv.Itoa(q.From))
	v.Set("limit", strconv.Itoa(q.Limit))
	return v.Encode()
}

func (q query) matches(c *customer) bool {
	if q.Country != "" && c.Country != q.Country {
		return false
	}
	return q.Name == "" || strings.HasPrefix(strings.ToLower(c.Name), strings.ToLower(q.Name))
}

// store holds the customers sorted by name (then ID), which is the order of
// search results. It is used only from requests in the queue group
// "search", which runs them one at a time, so it needs no lock.
type store struct {
	sorted []*customer
	byID   map[string]*customer
	nextID int
}

func newStore(customers []*customer) *store {
	s := &store{byID: map[string]*customer{}, nextID: 1}
	for _, c := range customers {
		s.insert(c)
		if n, err := strconv.Atoi(c.ID); err == nil && n >= s.nextID {
			s.nextID = n + 1
		}
	}
	return s
}

func compareCustomers(a, b *customer) int {
	if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
		return c
	}
	if len(a.ID) != len(b.ID) {
		return len(a.ID) - len(b.ID)
	}
	return strings.Compare(a.ID, b.ID)
}

func (s *store) insert(c *customer) {
	i, _ := slices.BinarySearchFunc(s.sorted, c, compareCustomers)
	s.sorted = slices.Insert(s.sorted, i, c)
	s.byID[c.ID] = c
}

func (s *store) remove(c *customer) {
	if i, ok := slices.BinarySearchFunc(s.sorted, c, compareCustomers); ok {
		s.sorted = slices.Delete(s.sorted, i, i+1)
	}
	delete(s.byID, c.ID)
}

// create adds a new customer with a fresh ID and returns it.
func (s *store) create(name, email, country string) *customer {
	c := &customer{ID: strconv.Itoa(s.nextID), Name: name, Email: email, Country: country}
	s.nextID++
	s.insert(c)
	return c
}

// update replaces c's values with v's, keeping the order right.
func (s *store) update(c *customer, v customer) {
	s.remove(c)
	c.Name, c.Email, c.Country = v.Name, v.Email, v.Country
	s.insert(c)
}

// search returns the IDs of the customers that q selects, in order.
func (s *store) search(q query) []string {
	var ids []string
	skip := q.From
	for _, c := range s.sorted {
		if !q.matches(c) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		ids = append(ids, c.ID)
		if len(ids) == q.Limit {
			break
		}
	}
	return ids
}

// validateCustomer trims v's values and returns what is wrong with them, or
// "".
func validateCustomer(v *customer) string {
	v.Name = strings.TrimSpace(v.Name)
	v.Email = strings.TrimSpace(v.Email)
	v.Country = strings.TrimSpace(v.Country)
	switch {
	case v.Name == "":
		return "Name must not be empty"
	case v.Email != "" && !strings.Contains(v.Email, "@"):
		return "Email must be an email address"
	case v.Country != "" && !slices.Contains(countries, v.Country):
		return "Country must be one of search.countries"
	}
	return ""
}
