package resprot

import (
	"encoding/json"
	"errors"
)

// Error is a RES error: the payload of an error response, and the reason
// given with an unsubscribe event. It is an error value.
type Error struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Error returns the error message.
func (e *Error) Error() string {
	return e.Message
}

// Is reports whether target is a *Error with the same code, so that
// errors.Is(err, resprot.ErrNotFound) matches any not-found error, whatever
// its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.Code == e.Code
}

// Predefined error codes of the RES protocol.
const (
	// Service protocol.
	CodeAccessDenied   = "system.accessDenied"
	CodeInternalError  = "system.internalError"
	CodeInvalidParams  = "system.invalidParams"
	CodeInvalidQuery   = "system.invalidQuery"
	CodeMethodNotFound = "system.methodNotFound"
	CodeNotFound       = "system.notFound"
	CodeTimeout        = "system.timeout"

	// Client protocol.
	CodeInvalidRequest      = "system.invalidRequest"
	CodeNoSubscription      = "system.noSubscription"
	CodeUnsupportedProtocol = "system.unsupportedProtocol"

	// Gateway.
	CodeSubjectTooLong            = "system.subjectTooLong"
	CodeDeleted                   = "system.deleted"
	CodeSubscriptionLimitExceeded = "system.subscriptionLimitExceeded"
	CodeDisposedSubscription      = "system.disposedSubscription"

	// HTTP API.
	CodeBadRequest         = "system.badRequest"
	CodeMethodNotAllowed   = "system.methodNotAllowed"
	CodeServiceUnavailable = "system.serviceUnavailable"
	CodeForbidden          = "system.forbidden"
	CodeNotImplemented     = "system.notImplemented"
)

// Predefined errors, with the messages the protocol suggests.
var (
	ErrAccessDenied         = &Error{Code: CodeAccessDenied, Message: "Access denied"}
	ErrInternalError        = &Error{Code: CodeInternalError, Message: "Internal error"}
	ErrInvalidParams        = &Error{Code: CodeInvalidParams, Message: "Invalid parameters"}
	ErrInvalidQuery         = &Error{Code: CodeInvalidQuery, Message: "Invalid query"}
	ErrMethodNotFound       = &Error{Code: CodeMethodNotFound, Message: "Method not found"}
	ErrNotFound             = &Error{Code: CodeNotFound, Message: "Not found"}
	ErrTimeout              = &Error{Code: CodeTimeout, Message: "Request timeout"}
	ErrInvalidRequest       = &Error{Code: CodeInvalidRequest, Message: "Invalid request"}
	ErrNoSubscription       = &Error{Code: CodeNoSubscription, Message: "No subscription"}
	ErrUnsupportedProtocol  = &Error{Code: CodeUnsupportedProtocol, Message: "Unsupported protocol"}
	ErrSubjectTooLong       = &Error{Code: CodeSubjectTooLong, Message: "Subject too long"}
	ErrDeleted              = &Error{Code: CodeDeleted, Message: "Deleted"}
	ErrSubscriptionLimit    = &Error{Code: CodeSubscriptionLimitExceeded, Message: "Subscription limit exceeded"}
	ErrDisposedSubscription = &Error{Code: CodeDisposedSubscription, Message: "Disposed subscription"}
	ErrBadRequest           = &Error{Code: CodeBadRequest, Message: "Bad request"}
	ErrMethodNotAllowed     = &Error{Code: CodeMethodNotAllowed, Message: "Method not allowed"}
	ErrServiceUnavailable   = &Error{Code: CodeServiceUnavailable, Message: "Service unavailable"}
	ErrForbidden            = &Error{Code: CodeForbidden, Message: "Forbidden"}
	ErrNotImplemented       = &Error{Code: CodeNotImplemented, Message: "Not implemented"}
)

// ToError converts err to a RES error. A *Error found anywhere in err's
// chain (errors.As) is returned as it is; nil gives nil; any other error
// becomes a system.internalError carrying err's text.
func ToError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalError(err)
}

// InternalError returns a system.internalError whose message is
// "Internal error: " followed by err's text.
func InternalError(err error) *Error {
	return &Error{Code: CodeInternalError, Message: "Internal error: " + err.Error()}
}
