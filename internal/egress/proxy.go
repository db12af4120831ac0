package egress

import (
	"log"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"sync"
)

// Proxy forwards r to target with the connection's credential and streams the
// response back to w. target is the full upstream URL (API base URL, path and
// query), computed by the caller.
//
// The request keeps its method, body and headers, except hop-by-hop headers,
// the caller's Authorization and Cookie, and the Forwarded, X-Forwarded-* and
// X-Real-Ip headers. Its body is streamed, but a body of up to MaxReplayBody
// bytes is buffered first. After an upstream 401, such a request is
// authorized again with retry set and sent once more. A request with a
// longer body is not retried, and the 401 goes back as it is. Redirects are not followed: a 3xx
// response goes back to the caller, also when its Location cannot be parsed.
// The response, and every 1xx response before it, loses its hop-by-hop
// headers, Set-Cookie and Set-Cookie2, because a cookie of the upstream would
// be stored for plugboard's own origin. When auth is a ResponseRedactor, it
// removes the credential from those headers. Server-sent events and
// responses of unknown length are flushed as they arrive. InvokeTimeout does
// not apply, so a stream lasts as long as r's context.
//
// A non-nil error means nothing has been written to w, so the caller writes
// the error response. When the allow-list rejects target, nothing is sent and
// the error wraps ErrHostNotAllowed. When the egress guard blocks the
// destination, the error wraps ErrBlockedAddress. Errors of the Authorizer
// are wrapped as well.
// When the upstream body fails after the response headers have been written,
// the error is logged and Proxy panics with http.ErrAbortHandler, as
// httputil.ReverseProxy does, so that the server resets the connection and
// the client sees a truncated response rather than a complete one. A recovery
// middleware must re-panic http.ErrAbortHandler.
func (s *Sender) Proxy(w http.ResponseWriter, r *http.Request, target *url.URL, allow *Allowlist, auth Authorizer) error {
	if err := allow.Check(target); err != nil {
		return err
	}

	// httputil.ReverseProxy brings what a hand-written copy would have to
	// repeat: trailers, 1xx responses, flushing of streamed responses, and
	// aborting the connection when the upstream body fails mid-stream. The
	// credential and the 401 retry live in its Transport.
	var proxyErr error
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := *target
			pr.Out.URL = &out
			pr.Out.Host = ""
			pr.Out.RequestURI = ""
			removeHopByHopHeaders(pr.Out.Header)
			removeCallerHeaders(pr.Out.Header)
		},
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return s.proxyRoundTrip(req, allow, auth)
		}),
		ModifyResponse: func(resp *http.Response) error {
			cleanProxyResponseHeader(resp.Header, auth)
			s.logger().DebugContext(resp.Request.Context(), "proxied request",
				"method", resp.Request.Method, "host", resp.Request.URL.Host, "status", resp.StatusCode)
			return nil
		},
		// ReverseProxy calls ErrorHandler only before it writes the response
		// headers, and synchronously, so the error can be handed back.
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) {
			proxyErr = err
		},
		ErrorLog:   s.proxyErrorLog(),
		BufferPool: copyBuffers,
	}
	rp.ServeHTTP(w, r)
	return proxyErr
}

// proxyRoundTrip buffers a replayable body, then authorizes and sends the
// outgoing request of the reverse proxy.
func (s *Sender) proxyRoundTrip(req *http.Request, allow *Allowlist, auth Authorizer) (*http.Response, error) {
	// httputil.ReverseProxy copies each 1xx response to the caller from its
	// own Got1xxResponse hook, and ModifyResponse is not called for 1xx
	// responses. A hook added here runs before that one, because hooks of a
	// newer trace run first (httptrace.WithClientTrace), and cleans the same
	// header map.
	trace := &httptrace.ClientTrace{
		Got1xxResponse: func(_ int, header textproto.MIMEHeader) error {
			cleanProxyResponseHeader(http.Header(header), auth)
			return nil
		},
	}
	ctx := httptrace.WithClientTrace(req.Context(), trace)

	// The reverse proxy made req for this call alone, and sendAuthorized
	// authorizes a deep copy, so a shallow copy carries the new context.
	req = req.WithContext(ctx)
	if err := bufferForReplay(req, s.maxReplayBody()); err != nil {
		return nil, err
	}
	return s.sendAuthorized(req, allow, auth)
}

// copyBuffers holds the buffers that the reverse proxy copies response
// bodies through, 32 KiB as its own, so that a request does not allocate
// one.
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { return new([32 * 1024]byte) }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return p.pool.Get().(*[32 * 1024]byte)[:] }
func (p *bufferPool) Put(b []byte) { p.pool.Put((*[32 * 1024]byte)(b)) }

// proxyErrorLog returns the log.Logger that the reverse proxy writes its
// errors to, made once per Sender.
func (s *Sender) proxyErrorLog() *log.Logger {
	s.errorLogOnce.Do(func() {
		s.errorLog = slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn)
	})
	return s.errorLog
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
