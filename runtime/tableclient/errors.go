package tableclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrEmptyKey is returned for a read of the empty key, which has no path in
// the protocol.
var ErrEmptyKey = errors.New("tableclient: the empty key cannot be read")

// Error is a response with a status other than 2xx. Use errors.As to get
// it.
type Error struct {
	// Status is the HTTP status: 404 unknown table, 400 bad parameters,
	// 503 partition moving or owner unreachable, 502 forwarded request
	// failed.
	Status int
	// Message is the body's error message (the body itself when it is not
	// the protocol's JSON).
	Message string
	// Retryable says the same call may succeed later: the body's
	// retryable, or, for a body that is not the protocol's JSON, a 503.
	Retryable bool
	// RetryAfter is the response's Retry-After, 0 when it has none.
	RetryAfter time.Duration
}

// Error returns the status and the message.
func (e *Error) Error() string {
	s := fmt.Sprintf("tableclient: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	if e.Retryable {
		s += " (retryable)"
	}
	return s
}

// maxErrorBody is how much of an error response's body is read.
const maxErrorBody = 64 << 10

// readError returns the *Error of a response with a status other than 2xx.
func readError(resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var r ErrorResponse
	if err := json.Unmarshal(body, &r); err == nil && r.Error != "" {
		e.Message, e.Retryable = r.Error, r.Retryable
		return e
	}
	e.Message = strings.TrimSpace(string(body))
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	e.Retryable = resp.StatusCode == http.StatusServiceUnavailable
	return e
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
