package cache

import "testing"

func TestStats(t *testing.T) {
	c, b := newTestCache(t, Options{})
	c.Subscribe("test.m", &recorder{}) // miss: a get request
	c.Subscribe("test.m", &recorder{}) // hit: joins the pending request
	b.take(t, "get.test.m").result(`{"model":{"a":1}}`)
	c.Subscribe("test.m", &recorder{}) // hit: cached
	c.Subscribe("test.other", &recorder{})
	b.event(t, "test.m", "change", `{"values":{"a":2}}`)
	b.event(t, "test.m", "custom", `{}`)
	got := c.Stats()
	want := Stats{Hits: 2, Misses: 2, Events: 2}
	if got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}
