package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Default limits of a Sender.
const (
	DefaultMaxReplayBody   = 1 << 20  // 1 MiB
	DefaultMaxResponseBody = 10 << 20 // 10 MiB
	DefaultInvokeTimeout   = 60 * time.Second
)

// maxDrain bounds how much of a discarded response body is read so that its
// connection can be reused.
const maxDrain = 64 << 10

// Authorizer puts a connection's credential on an outgoing request.
type Authorizer interface {
	// Authorize sets the credential on req. When retry is true the previous
	// attempt got 401; the authorizer refreshes the credential first, or
	// returns ErrNoRetry when it cannot.
	Authorize(ctx context.Context, req *http.Request, retry bool) error
}

// ResponseRedactor is implemented by an Authorizer whose credential can
// appear in response headers, such as an API key placed in the query that an
// upstream repeats in a redirect's Location. Proxy calls it on the headers of
// every response, 1xx responses included, and Do on the headers of the
// response it returns, before the caller sees them.
type ResponseRedactor interface {
	// RedactResponseHeader replaces the credential wherever it appears in h.
	RedactResponseHeader(h http.Header)
}

// Sender sends requests through a connection. Its methods are safe for
// concurrent use once its fields are set.
type Sender struct {
	// Client's Transport sends each request. It must come from
	// NewTransport, or wrap one, so that the egress guard applies. A nil
	// Transport is an error rather than http.DefaultTransport. The Sender
	// calls the Transport directly and ignores the Client's other fields:
	// it handles redirects itself, must not share cookies between callers,
	// and bounds invoke calls with InvokeTimeout.
	Client *http.Client

	// Logger receives retries, redirects that were not followed and proxy
	// copy errors. Nil discards them.
	Logger *slog.Logger

	// MaxReplayBody is the largest proxied request body, in bytes, that is
	// buffered so the request can be sent again after a 401. Zero means
	// DefaultMaxReplayBody.
	MaxReplayBody int64

	// MaxResponseBody is the largest response body, in bytes, that Do reads.
	// Zero means DefaultMaxResponseBody.
	MaxResponseBody int64

	// InvokeTimeout bounds a whole Do call: every redirect, the retry after
	// a 401 and reading the response body. Zero means DefaultInvokeTimeout.
	// It does not apply to Proxy.
	InvokeTimeout time.Duration

	errorLogOnce sync.Once
	errorLog     *log.Logger
}

// NewSender returns a Sender whose client is built on NewTransport(opts).
func NewSender(opts TransportOptions, logger *slog.Logger) *Sender {
	return &Sender{
		Client: &http.Client{Transport: NewTransport(opts)},
		Logger: logger,
	}
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Sender) maxReplayBody() int64 {
	if s.MaxReplayBody <= 0 {
		return DefaultMaxReplayBody
	}
	return s.MaxReplayBody
}

func (s *Sender) maxResponseBody() int64 {
	if s.MaxResponseBody <= 0 {
		return DefaultMaxResponseBody
	}
	return s.MaxResponseBody
}

func (s *Sender) invokeTimeout() time.Duration {
	if s.InvokeTimeout <= 0 {
		return DefaultInvokeTimeout
	}
	return s.InvokeTimeout
}

// sendAuthorized authorizes a copy of req and sends it. When the upstream
// returns 401 and the body of req can be replayed, it authorizes a new copy
// with retry set and sends that once. The credential goes on the copies
// only, so the caller can build the next redirect hop from req.
func (s *Sender) sendAuthorized(req *http.Request, allow *Allowlist, auth Authorizer) (*http.Response, error) {
	ctx := req.Context()

	first := req.Clone(ctx)
	if err := auth.Authorize(ctx, first, false); err != nil {
		return nil, fmt.Errorf("authorizing request: %w", err)
	}
	resp, err := s.sendChecked(first, allow)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}

	if !bodyReplayable(req) {
		s.logger().DebugContext(ctx, "upstream returned 401; not retrying because the request body cannot be replayed",
			"method", req.Method, "host", req.URL.Host)
		return resp, nil
	}

	second := req.Clone(ctx)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			discardBody(resp)
			return nil, fmt.Errorf("replaying request body: %w", err)
		}
		second.Body = body
	}
	err = auth.Authorize(ctx, second, true)
	if errors.Is(err, ErrNoRetry) {
		return resp, nil
	}
	if err != nil {
		discardBody(resp)
		return nil, fmt.Errorf("refreshing credential after upstream 401: %w", err)
	}

	discardBody(resp)
	s.logger().InfoContext(ctx, "upstream returned 401; retrying once with a refreshed credential",
		"method", req.Method, "host", req.URL.Host)
	return s.sendChecked(second, allow)
}

// sendChecked checks the authorized request's URL against the allow-list
// once more, since it is the last point before the credential leaves, and
// sends the request without following redirects.
func (s *Sender) sendChecked(req *http.Request, allow *Allowlist) (*http.Response, error) {
	if err := allow.Check(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	if s.Client == nil || s.Client.Transport == nil {
		closeBody(req)
		return nil, errors.New("sender has no HTTP transport; build its client on egress.NewTransport")
	}

	// The Transport is called without an http.Client, which would parse
	// the Location of a 3xx response and fail on one it cannot parse, with
	// the Location in the error. A redirect returns like any other
	// response, and its caller decides whether to follow it.
	resp, err := s.Client.Transport.RoundTrip(req)
	if err != nil {
		// A *url.Error prints the whole URL, whose query may contain a
		// credential that the Authorizer added, so keep only its cause.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		// net/http has no error value for headers over the limit.
		if strings.Contains(err.Error(), "server response headers exceeded") {
			return nil, &InvalidResponseError{Reason: fmt.Sprintf("the response headers from %s exceed %d bytes", req.URL.Host, MaxResponseHeaderBytes)}
		}
		return nil, fmt.Errorf("sending %s request to %s: %w", req.Method, req.URL.Host, err)
	}
	// plugboard never requests a protocol switch, because Upgrade is a
	// hop-by-hop header that it never sends. Passing a 101 on would turn the
	// caller's connection into a raw tunnel to the upstream.
	if resp.StatusCode == http.StatusSwitchingProtocols {
		resp.Body.Close()
		return nil, &InvalidResponseError{Reason: req.URL.Host + " returned 101 Switching Protocols, but the request requested no protocol switch"}
	}
	return resp, nil
}

// bufferForReplay reads a request body of up to maxBody bytes into memory and
// sets GetBody, so that the request can be sent again. A longer body is
// streamed: its first bytes are put back in front of the rest, and GetBody
// stays nil.
func bufferForReplay(req *http.Request, maxBody int64) error {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil || req.ContentLength > maxBody {
		return nil
	}

	buf, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("reading request body: %w", err)
	}
	if int64(len(buf)) > maxBody {
		req.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(buf), req.Body), Closer: req.Body}
		return nil
	}

	req.ContentLength = int64(len(buf))
	req.TransferEncoding = nil
	req.GetBody = func() (io.ReadCloser, error) {
		if len(buf) == 0 {
			return http.NoBody, nil
		}
		return io.NopCloser(bytes.NewReader(buf)), nil
	}
	req.Body, _ = req.GetBody()
	return nil
}

func bodyReplayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// discardBody reads a little of a response body that will not be used and
// closes it, so that its connection can be reused.
func discardBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	_ = resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
