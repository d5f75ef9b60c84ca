package resprot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Requester is the part of a NATS connection that SendRequest needs. A
// *nats.Conn satisfies it, and so does a service's res.Conn.
type Requester interface {
	PublishRequest(subject, reply string, data []byte) error
	ChanSubscribe(subject string, ch chan *nats.Msg) (*nats.Subscription, error)
}

// SendRequest sends a request to subject over conn and waits for the reply,
// as a gateway would: it is how a service requests another service, for
// example "get.library.book.42" or "call.library.books.new".
//
// req is the request payload: nil sends an empty payload, a []byte or a
// json.RawMessage is sent as it is, and any other value is encoded as JSON
// (typically a Request).
//
// The request fails with system.timeout when no reply arrives within
// timeout. A pre-response (see ParsePreResponse) received meanwhile sets a
// new timeout, counted from its arrival. When nothing listens on subject,
// the request fails at once with system.notFound. A reply that is not a
// valid response fails with system.internalError.
//
// On any failure, the returned error is a *Error and the returned
// Response's Error holds the same value; an error response from the service
// is returned the same way, with the rest of the response (its meta object)
// kept. The exception is ctx: when it is done first, SendRequest returns
// its error (context.Canceled or context.DeadlineExceeded), wrapped.
func SendRequest(ctx context.Context, conn Requester, subject string, req any, timeout time.Duration) (Response, error) {
	data, err := encodeRequest(req)
	if err != nil {
		return fail(InternalError(fmt.Errorf("resprot: encode request for %s: %w", subject, err)))
	}

	inbox := nats.NewInbox()
	// A pre-response and a response are all the replies expected; the
	// buffer only needs to cover a service that sends a few pre-responses
	// in a row.
	ch := make(chan *nats.Msg, 8)
	sub, err := conn.ChanSubscribe(inbox, ch)
	if err != nil {
		return fail(InternalError(fmt.Errorf("resprot: subscribe to reply inbox: %w", err)))
	}
	defer func() { _ = sub.Unsubscribe() }()

	if err := conn.PublishRequest(subject, inbox, data); err != nil {
		return fail(InternalError(fmt.Errorf("resprot: publish request %s: %w", subject, err)))
	}

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return Response{}, fmt.Errorf("resprot: request %s: %w", subject, ctx.Err())
		case <-timer.C:
			return fail(ErrTimeout)
		case msg := <-ch:
			if isNoResponders(msg) {
				return fail(ErrNotFound)
			}
			if d, ok := ParsePreResponse(msg.Data); ok {
				if d > 0 {
					timer.Reset(d)
				}
				continue
			}
			resp, err := ParseResponse(msg.Data)
			if err != nil {
				return fail(ToError(err))
			}
			if resp.Error != nil {
				return resp, resp.Error
			}
			return resp, nil
		}
	}
}

// fail returns a response holding e as its error, and e.
func fail(e *Error) (Response, error) {
	return Response{Error: e}, e
}

func encodeRequest(req any) ([]byte, error) {
	switch v := req.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(req)
}

// isNoResponders reports whether msg is the status message a NATS server
// sends back when a request reached no subscriber.
func isNoResponders(msg *nats.Msg) bool {
	return len(msg.Data) == 0 && msg.Header.Get("Status") == "503"
}

// maxTimeoutMS is the largest timeout in milliseconds that a time.Duration
// can hold.
const maxTimeoutMS = int64(1<<63-1) / int64(time.Millisecond)

// ParsePreResponse reports whether data is a pre-response rather than a
// response, and returns the timeout it sets.
//
// A pre-response is a reply whose first byte is an ASCII letter: a
// response is a JSON object and always starts with '{'. It holds
// key:"value" pairs separated by spaces, as in
//
//	timeout:"15000"
//
// which asks the requester to wait 15 s more, counted from when the
// pre-response arrived. The returned duration is 0 when the timeout key is
// missing or its value is not a number of milliseconds from 1 up; the
// requester then keeps its current deadline.
func ParsePreResponse(data []byte) (time.Duration, bool) {
	if len(data) == 0 || !isLetter(data[0]) {
		return 0, false
	}
	// A pre-response has the syntax of a Go struct tag, whose Lookup
	// method is a plain string parser.
	v, ok := reflect.StructTag(data).Lookup("timeout")
	if !ok {
		return 0, true
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms <= 0 || ms > maxTimeoutMS {
		return 0, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

func isLetter(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// ParseResponse decodes a service's reply payload. It fails with a
// system.internalError when data is not a JSON object, when it has none of
// result, resource and error, or when its resource or error is malformed.
func ParseResponse(data []byte) (Response, error) {
	var r Response
	if err := json.Unmarshal(data, &r); err != nil {
		return Response{}, InternalError(fmt.Errorf("resprot: malformed response: %w", err))
	}
	switch {
	case r.Error != nil:
		if r.Error.Code == "" {
			return Response{}, InternalError(errors.New("resprot: error response without code"))
		}
	case r.Resource != nil:
		if !IsValidRID(r.Resource.RID) {
			return Response{}, InternalError(fmt.Errorf("resprot: invalid resource ID %q in resource response", r.Resource.RID))
		}
	case r.Result == nil:
		return Response{}, InternalError(errors.New("resprot: response missing result"))
	}
	return r, nil
}

// HasError reports whether r is an error response.
func (r Response) HasError() bool { return r.Error != nil }

// HasResource reports whether r is a resource response.
func (r Response) HasResource() bool { return r.Error == nil && r.Resource != nil }

// HasResult reports whether r is a successful response with a result. A
// result of null counts as a result.
func (r Response) HasResult() bool { return r.Error == nil && r.Resource == nil && r.Result != nil }

// ParseResult decodes the result into v. It returns r.Error for an error
// response, and an error for a resource response or a result that does not
// decode.
func (r Response) ParseResult(v any) error {
	if err := r.checkResult(); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		return fmt.Errorf("resprot: decode result: %w", err)
	}
	return nil
}

// ParseModel decodes the model of a get response into v, and returns the
// normalized query of a query model (empty for other models). It fails
// when the result is a collection.
func (r Response) ParseModel(v any) (query string, err error) {
	g, err := r.getResult()
	if err != nil {
		return "", err
	}
	if g.Model == nil {
		return "", errors.New("resprot: get result is not a model")
	}
	if err := json.Unmarshal(g.Model, v); err != nil {
		return "", fmt.Errorf("resprot: decode model: %w", err)
	}
	return g.Query, nil
}

// ParseCollection decodes the collection of a get response into v, and
// returns the normalized query of a query collection (empty for other
// collections). It fails when the result is a model.
func (r Response) ParseCollection(v any) (query string, err error) {
	g, err := r.getResult()
	if err != nil {
		return "", err
	}
	if g.Collection == nil {
		return "", errors.New("resprot: get result is not a collection")
	}
	if err := json.Unmarshal(g.Collection, v); err != nil {
		return "", fmt.Errorf("resprot: decode collection: %w", err)
	}
	return g.Query, nil
}

// AccessResult decodes the result of an access response.
func (r Response) AccessResult() (AccessResult, error) {
	var a AccessResult
	if err := r.ParseResult(&a); err != nil {
		return AccessResult{}, err
	}
	return a, nil
}

func (r Response) getResult() (GetResult, error) {
	var g GetResult
	if err := r.ParseResult(&g); err != nil {
		return GetResult{}, err
	}
	if g.Model != nil && g.Collection != nil {
		return GetResult{}, errors.New("resprot: get result has both model and collection")
	}
	return g, nil
}

func (r Response) checkResult() error {
	switch {
	case r.Error != nil:
		return r.Error
	case r.Resource != nil:
		return errors.New("resprot: response is a resource response, not a result")
	case r.Result == nil:
		return errors.New("resprot: response has no result")
	}
	return nil
}
