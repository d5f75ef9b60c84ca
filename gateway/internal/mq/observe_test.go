package mq

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/reskit/res/resprot"
)

func TestObserve(t *testing.T) {
	type seen struct {
		subject, reply, code string
	}
	var mu sync.Mutex
	var got []seen
	c, sc := setupOpts(t, Options{Timeout: 50 * time.Millisecond, Observe: func(subject string, _ time.Duration, reply []byte, err error) {
		mu.Lock()
		defer mu.Unlock()
		s := seen{subject: subject, reply: string(reply)}
		if err != nil {
			s.code = resprot.ToError(err).Code
		}
		got = append(got, s)
	}})
	if _, err := sc.Subscribe("call.ok.m", func(m *nats.Msg) { _ = m.Respond([]byte(`{"result":1}`)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Subscribe("call.slow.m", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	if err := sc.Flush(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		subject string
		want    seen
	}{
		{"call.ok.m", seen{"call.ok.m", `{"result":1}`, ""}},
		{"call.nobody.m", seen{"call.nobody.m", "", resprot.CodeNotFound}},
		{"call.slow.m", seen{"call.slow.m", "", resprot.CodeTimeout}},
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			get(t, send(t, c, tt.subject))
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Observe saw %+v, want [%+v]", got, tt.want)
			}
		})
	}
	t.Run("subject too long", func(t *testing.T) {
		mu.Lock()
		got = nil
		mu.Unlock()
		long := "call." + strings.Repeat("x", MaxControlLine)
		if err := c.Request(long, nil, 0, func([]byte, error) { t.Error("callback called") }); err == nil {
			t.Fatal("request sent")
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0].code != resprot.CodeSubjectTooLong {
			t.Errorf("Observe saw %+v, want one system.subjectTooLong", got)
		}
	})
}
