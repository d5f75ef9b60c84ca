package res

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/reskit/res/resprot"
)

// Event is what a listener (Router.AddListener) gets after an event was
// sent on a resource it listens to.
type Event struct {
	// Name is the event name: "change", "add", "remove", "create",
	// "delete", "reaccess" or a custom event's name.
	Name string
	// Resource is the resource the event was sent on.
	Resource Resource
	// NewValues holds the changed properties of a change event.
	NewValues map[string]any
	// OldValues holds what ApplyChange returned for a change event: the
	// values before the change. Nil without an ApplyChange hook.
	OldValues map[string]any
	// Value is the value added, or removed as returned by ApplyRemove, or
	// deleted as returned by ApplyDelete.
	Value any
	// Idx is the index of an add or remove event.
	Idx int
	// Data is the data given to CreateEvent.
	Data any
	// Payload is the payload of a custom event.
	Payload any
}

// isReservedEvent reports whether name may not be a custom event name.
func isReservedEvent(name string) bool {
	return resprot.IsReservedEvent(name) || name == "reset"
}

// Event sends a custom event.
func (r *Request) Event(name string, payload any) error {
	if !resprot.IsValidPart(name) {
		return fmt.Errorf("res: invalid event name %q", name)
	}
	if isReservedEvent(name) {
		return fmt.Errorf("res: event name %q is reserved", name)
	}
	var data []byte
	if payload != nil {
		var err error
		if data, err = marshalJSON(payload); err != nil {
			return fmt.Errorf("res: event %q: %w", name, err)
		}
	}
	if err := r.s.publish(resprot.EventSubject(r.rname, name), data); err != nil {
		return err
	}
	r.notify(&Event{Name: name, Payload: payload})
	return nil
}

// ChangeEvent sends a model change event.
func (r *Request) ChangeEvent(changes map[string]any) error {
	if r.ResourceType() == TypeCollection {
		return errors.New("res: change event on a collection")
	}
	if len(changes) == 0 {
		return nil
	}
	values, err := marshalJSON(changes)
	if err != nil {
		return fmt.Errorf("res: change event: %w", err)
	}
	if r.rtype == typeQuery {
		return r.collect(resprot.EventChange, map[string]json.RawMessage{"values": values})
	}
	var old map[string]any
	if r.h != nil && r.h.ApplyChange != nil {
		if old, err = r.h.ApplyChange(r, changes); err != nil {
			return err
		}
		if old != nil {
			if len(old) == 0 {
				return nil // nothing changed
			}
			// Only the properties the hook reports as changed go out.
			if len(old) < len(changes) {
				changed := make(map[string]any, len(old))
				for k := range old {
					if v, ok := changes[k]; ok {
						changed[k] = v
					}
				}
				changes = changed
				if values, err = marshalJSON(changes); err != nil {
					return fmt.Errorf("res: change event: %w", err)
				}
			}
		}
	}
	if err := r.publishEvent(resprot.EventChange, map[string]json.RawMessage{"values": values}); err != nil {
		return err
	}
	r.notify(&Event{Name: resprot.EventChange, NewValues: changes, OldValues: old})
	return nil
}

// AddEvent sends a collection add event.
func (r *Request) AddEvent(value any, idx int) error {
	if r.ResourceType() == TypeModel {
		return errors.New("res: add event on a model")
	}
	if idx < 0 {
		return fmt.Errorf("res: add event with negative index %d", idx)
	}
	raw, err := marshalJSON(value)
	if err != nil {
		return fmt.Errorf("res: add event: %w", err)
	}
	payload := resprot.AddEvent{Idx: idx, Value: raw}
	if r.rtype == typeQuery {
		return r.collect(resprot.EventAdd, payload)
	}
	if r.h != nil && r.h.ApplyAdd != nil {
		if err := r.h.ApplyAdd(r, value, idx); err != nil {
			return err
		}
	}
	if err := r.publishEvent(resprot.EventAdd, payload); err != nil {
		return err
	}
	r.notify(&Event{Name: resprot.EventAdd, Value: value, Idx: idx})
	return nil
}

// RemoveEvent sends a collection remove event.
func (r *Request) RemoveEvent(idx int) error {
	if r.ResourceType() == TypeModel {
		return errors.New("res: remove event on a model")
	}
	if idx < 0 {
		return fmt.Errorf("res: remove event with negative index %d", idx)
	}
	payload := resprot.RemoveEvent{Idx: idx}
	if r.rtype == typeQuery {
		return r.collect(resprot.EventRemove, payload)
	}
	var old any
	if r.h != nil && r.h.ApplyRemove != nil {
		var err error
		if old, err = r.h.ApplyRemove(r, idx); err != nil {
			return err
		}
	}
	if err := r.publishEvent(resprot.EventRemove, payload); err != nil {
		return err
	}
	r.notify(&Event{Name: resprot.EventRemove, Value: old, Idx: idx})
	return nil
}

// ReaccessEvent sends a reaccess event.
func (r *Request) ReaccessEvent() error {
	if err := r.s.publish(resprot.EventSubject(r.rname, resprot.EventReaccess), nil); err != nil {
		return err
	}
	r.notify(&Event{Name: resprot.EventReaccess})
	return nil
}

// ResetEvent sends a system.reset for the resource name.
func (r *Request) ResetEvent() error {
	return r.s.Reset([]string{r.rname}, nil)
}

// CreateEvent sends a create event.
func (r *Request) CreateEvent(data any) error {
	if r.h != nil && r.h.ApplyCreate != nil {
		if err := r.h.ApplyCreate(r, data); err != nil {
			return err
		}
	}
	if err := r.s.publish(resprot.EventSubject(r.rname, resprot.EventCreate), nil); err != nil {
		return err
	}
	r.notify(&Event{Name: resprot.EventCreate, Data: data})
	return nil
}

// DeleteEvent sends a delete event.
func (r *Request) DeleteEvent() error {
	var old any
	if r.h != nil && r.h.ApplyDelete != nil {
		var err error
		if old, err = r.h.ApplyDelete(r); err != nil {
			return err
		}
	}
	if err := r.s.publish(resprot.EventSubject(r.rname, resprot.EventDelete), nil); err != nil {
		return err
	}
	r.notify(&Event{Name: resprot.EventDelete, Value: old})
	return nil
}

func (r *Request) publishEvent(name string, payload any) error {
	data, err := marshalJSON(payload)
	if err != nil {
		return fmt.Errorf("res: %s event: %w", name, err)
	}
	return r.s.publish(resprot.EventSubject(r.rname, name), data)
}

// collect adds an event to the reply of a query request.
func (r *Request) collect(name string, payload any) error {
	if r.replied {
		return ErrReplied
	}
	data, err := marshalJSON(payload)
	if err != nil {
		return fmt.Errorf("res: %s event: %w", name, err)
	}
	r.events = append(r.events, resprot.EventEntry{Event: name, Data: data})
	return nil
}

// notify calls the listeners of the resource.
func (r *Request) notify(ev *Event) {
	if len(r.listeners) == 0 {
		return
	}
	ev.Resource = r
	for _, l := range r.listeners {
		l(ev)
	}
}
