package main

import (
	"slices"
	"strings"
	"testing"
)

func TestGenerateCustomersIsDeterministic(t *testing.T) {
	a, b := generateCustomers(500), generateCustomers(500)
	if len(a) != 500 {
		t.Fatalf("generateCustomers(500) gave %d customers", len(a))
	}
	for i := range a {
		if *a[i] != *b[i] {
			t.Fatalf("customer %d differs between runs: %+v and %+v", i, *a[i], *b[i])
		}
		if msg := validateCustomer(a[i]); msg != "" {
			t.Errorf("generated customer %+v is invalid: %s", *a[i], msg)
		}
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want query
		norm string
	}{
		{"", query{Limit: 25}, "country=&from=0&limit=25&name="},
		{"name=Ma&country=Sweden&from=25&limit=10", query{Name: "Ma", Country: "Sweden", From: 25, Limit: 10}, "country=Sweden&from=25&limit=10&name=Ma"},
		{"limit=50&from=0", query{Limit: 50}, "country=&from=0&limit=50&name="},
		{"name=+jo+&country=United+Kingdom", query{Name: "jo", Country: "United Kingdom", Limit: 25}, "country=United+Kingdom&from=0&limit=25&name=jo"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := parseQuery(tt.raw)
			if err != nil {
				t.Fatalf("parseQuery(%q) error: %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("parseQuery(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
			if got.String() != tt.norm {
				t.Errorf("parseQuery(%q).String() = %q, want %q", tt.raw, got.String(), tt.norm)
			}
		})
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, raw := range []string{"from=-1", "from=x", "limit=0", "limit=51", "limit=ten", "name=%zz"} {
		t.Run(raw, func(t *testing.T) {
			if q, err := parseQuery(raw); err == nil {
				t.Errorf("parseQuery(%q) = %+v, want an error", raw, q)
			}
		})
	}
}

func TestStoreSearch(t *testing.T) {
	st := newStore([]*customer{
		{ID: "1", Name: "Bob Berg", Country: "Sweden"},
		{ID: "2", Name: "anna Alm", Country: "Norway"},
		{ID: "3", Name: "Bea Bo", Country: "Sweden"},
		{ID: "10", Name: "Bob Berg", Country: "Norway"},
	})
	tests := []struct {
		name string
		q    query
		want []string
	}{
		{"all, by name then ID", query{Limit: 10}, []string{"2", "3", "1", "10"}},
		{"name prefix, any case", query{Name: "b", Limit: 10}, []string{"3", "1", "10"}},
		{"country", query{Country: "Norway", Limit: 10}, []string{"2", "10"}},
		{"both", query{Name: "BOB", Country: "Sweden", Limit: 10}, []string{"1"}},
		{"page", query{From: 1, Limit: 2}, []string{"3", "1"}},
		{"past the end", query{From: 9, Limit: 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := st.search(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("search(%+v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}

	c := st.create("Aaron Ek", "", "Sweden")
	if c.ID != "11" {
		t.Errorf("new customer ID %q, want 11", c.ID)
	}
	st.update(st.byID["1"], customer{Name: "Zed", Country: "Sweden"})
	st.remove(st.byID["2"])
	if got, want := st.search(query{Limit: 10}), []string{"11", "3", "10", "1"}; !slices.Equal(got, want) {
		t.Errorf("after changes, search = %v, want %v", got, want)
	}
}

func TestValidateCustomer(t *testing.T) {
	tests := []struct {
		in   customer
		want string // part of the message, "" for valid
	}{
		{customer{Name: " Ann ", Email: " a@b ", Country: "Sweden"}, ""},
		{customer{Name: "Ann"}, ""},
		{customer{Name: "  "}, "Name"},
		{customer{Name: "Ann", Email: "nope"}, "Email"},
		{customer{Name: "Ann", Country: "Atlantis"}, "Country"},
	}
	for _, tt := range tests {
		t.Run(tt.in.Name+"/"+tt.in.Email+"/"+tt.in.Country, func(t *testing.T) {
			c := tt.in
			got := validateCustomer(&c)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("validateCustomer(%+v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
