package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Replies of the fake service, written out as a RES service sends them.
var (
	accessReply     = []byte(`{"result":{"get":true,"call":"*"}}`)
	modelReply      = []byte(`{"result":{"model":{"name":"bench","value":42,"ok":true}}}`)
	collectionReply = []byte(`{"result":{"collection":["a","b","c",1,2,3]}}`)
)

// service is a minimal RES service written with plain nats.go: it grants
// full access to every bench.* resource, serves small models (and
// collections for bench.list.*), and publishes change events.
type service struct {
	nc *nats.Conn
}

func startService(url string) (*service, error) {
	nc, err := nats.Connect(url, nats.Name("resload-service"))
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	handlers := map[string]nats.MsgHandler{
		"access.bench.>": func(m *nats.Msg) { _ = m.Respond(accessReply) },
		"get.bench.>": func(m *nats.Msg) {
			if strings.HasPrefix(m.Subject, "get.bench.list.") {
				_ = m.Respond(collectionReply)
				return
			}
			_ = m.Respond(modelReply)
		},
	}
	for subject, h := range handlers {
		if _, err := nc.Subscribe(subject, h); err != nil {
			nc.Close()
			return nil, fmt.Errorf("service: %w", err)
		}
	}
	if err := nc.Flush(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("service: %w", err)
	}
	return &service{nc: nc}, nil
}

// publishChange publishes a change event of model rid that sets seq and t,
// the wall-clock time in Unix nanoseconds, taken right before publishing,
// which a client in another process can compare with its own clock.
func (s *service) publishChange(rid string, seq int64) error {
	var buf [96]byte
	b := append(buf[:0], `{"values":{"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, `}}`...)
	return s.nc.Publish("event."+rid+".change", b)
}

func (s *service) close() { s.nc.Close() }
