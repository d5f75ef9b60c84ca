package res

import (
	"errors"

	"github.com/reskit/res/resprot"
)

// Error is a RES error: what a handler replies with to fail a request. It
// is an error value; errors.Is matches two errors with the same Code.
//
// Reply methods that take an error, such as Request.Error, look through
// wrapping (errors.As) for an *Error, and send any other error as
// system.internalError.
type Error = resprot.Error

// Predefined error codes of the RES service protocol.
const (
	CodeAccessDenied   = resprot.CodeAccessDenied
	CodeInternalError  = resprot.CodeInternalError
	CodeInvalidParams  = resprot.CodeInvalidParams
	CodeInvalidQuery   = resprot.CodeInvalidQuery
	CodeMethodNotFound = resprot.CodeMethodNotFound
	CodeNotFound       = resprot.CodeNotFound
	CodeTimeout        = resprot.CodeTimeout
)

// Predefined errors of the RES service protocol.
var (
	ErrAccessDenied   = resprot.ErrAccessDenied
	ErrInternalError  = resprot.ErrInternalError
	ErrInvalidParams  = resprot.ErrInvalidParams
	ErrInvalidQuery   = resprot.ErrInvalidQuery
	ErrMethodNotFound = resprot.ErrMethodNotFound
	ErrNotFound       = resprot.ErrNotFound
	ErrTimeout        = resprot.ErrTimeout
)

// ToError converts err to a RES error: a *Error anywhere in err's chain is
// returned as it is, nil gives nil, and any other error becomes a
// system.internalError carrying err's text.
func ToError(err error) *Error { return resprot.ToError(err) }

// InternalError returns a system.internalError whose message is
// "Internal error: " followed by err's text.
func InternalError(err error) *Error { return resprot.InternalError(err) }

// Errors returned by reply and event methods for misuse. They are Go
// errors for the caller, never sent to a client.
var (
	// ErrReplied is returned by a reply method when the request already
	// has a reply. Nothing is sent.
	ErrReplied = errors.New("res: request already replied to")
	// ErrNotRequest is returned by a reply method called on a Resource
	// that is not a request, such as one given by Service.With.
	ErrNotRequest = errors.New("res: not a request")
	// ErrServiceClosed is returned by Serve and ListenAndServe after
	// Shutdown, and by methods that need a running service.
	ErrServiceClosed = errors.New("res: service closed")
)
