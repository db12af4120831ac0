package egress

import (
	"errors"
	"fmt"
)

var (
	// ErrHostNotAllowed means a URL's scheme, host or port is not on the
	// service's allow-list, so no credential may be sent to it.
	ErrHostNotAllowed = errors.New("host not allowed")

	// ErrBlockedAddress means the destination resolved to an address that the
	// egress guard blocks.
	ErrBlockedAddress = errors.New("destination address blocked")

	// ErrNoRetry is returned by an Authorizer that cannot refresh the
	// credential after a 401. The Sender then returns the 401 as it is.
	ErrNoRetry = errors.New("credential cannot be refreshed for a retry")

	// ErrResponseTooLarge means a response body exceeded Sender.MaxResponseBody.
	ErrResponseTooLarge = errors.New("response body too large")

	// ErrTimeout means an invoke call did not finish within
	// Sender.InvokeTimeout, counting every redirect, the retry after a 401
	// and reading the response body.
	ErrTimeout = errors.New("invoke call timed out")

	// ErrInvalidRequest means an invoke request cannot be sent as given: its
	// URL, method or a header is invalid. Nothing was sent.
	ErrInvalidRequest = errors.New("invalid invoke request")

	// ErrInvalidResponse means the upstream returned a response that
	// plugboard does not pass on: a protocol switch that no request
	// requested, headers over MaxResponseHeaderBytes, or a body that ended
	// before its declared length.
	ErrInvalidResponse = errors.New("invalid upstream response")

	// ErrTooManyRedirects means an invoke call was redirected more than 10
	// times.
	ErrTooManyRedirects = errors.New("too many redirects")
)

// HostNotAllowedError is the error of an Allowlist check. Its message is safe
// to show to the caller: it names the scheme or the host and port, never the
// path, query or user information of the URL.
type HostNotAllowedError struct {
	// Host is the rejected host and port, empty when the URL was rejected
	// before its host was read.
	Host string
	msg  string
}

func (e *HostNotAllowedError) Error() string { return e.msg }

func (e *HostNotAllowedError) Unwrap() error { return ErrHostNotAllowed }

// BlockedAddressError is the dial error of the egress guard.
type BlockedAddressError struct {
	// Address is the IP address and port that the dialer was about to
	// connect to.
	Address string
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("blocked connection to %s: the destination resolves to a private address "+
		"(start plugboard with --allow-private-egress to allow it in development)", e.Address)
}

func (e *BlockedAddressError) Unwrap() error { return ErrBlockedAddress }

// InvalidResponseError is the error of a response that plugboard does not
// pass on. Its Reason names the host and the fault, never the URL, so it is
// safe to show to the caller.
type InvalidResponseError struct {
	Reason string
}

func (e *InvalidResponseError) Error() string { return ErrInvalidResponse.Error() + ": " + e.Reason }

func (e *InvalidResponseError) Unwrap() error { return ErrInvalidResponse }
