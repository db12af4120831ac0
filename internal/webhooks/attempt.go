package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// outcome is the result of one delivery attempt.
type outcome struct {
	// statusCode is the receiver's HTTP status, zero when none arrived.
	statusCode int
	body       []byte
	duration   time.Duration
	// err is the failure that stopped the attempt before a response
	// arrived, or nil.
	err error
	// retry is set when a later attempt may succeed.
	retry bool
	// retryAfter is the wait the receiver asked for, when hasRetryAfter is
	// set.
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (o outcome) succeeded() bool {
	return o.err == nil && o.statusCode >= 200 && o.statusCode < 300
}

// errorText returns the error stored with the delivery, safe to show: it
// never contains a credential or the signing secret.
func (o outcome) errorText() string {
	if o.err != nil {
		if p, ok := problem.As(o.err); ok {
			return p.Detail
		}
		return o.err.Error()
	}
	if o.succeeded() {
		return ""
	}
	return fmt.Sprintf("the receiver returned status %d %s", o.statusCode, http.StatusText(o.statusCode))
}

// failed returns the outcome of an attempt that failed before sending.
func failed(err error, retry bool) outcome {
	return outcome{err: err, retry: retry}
}

// attempt renders and sends one delivery of an event to a webhook.
func (w *Worker) attempt(ctx context.Context, cfg *workerConfig, hook store.Webhook, event store.Event, d store.Delivery) outcome {
	if !hook.Enabled && event.Type != EventTest {
		return failed(errors.New("the webhook is disabled; enable it and redeliver"), false)
	}
	req, err := Render(hook, event)
	if err != nil {
		return failed(err, false)
	}
	if hook.ConnectionID != "" {
		return w.sendBound(ctx, cfg, hook, req)
	}
	return w.sendSigned(ctx, cfg, hook, d, req)
}

// sendBound sends a request through the webhook's connection, as the
// webhook's creator.
func (w *Worker) sendBound(ctx context.Context, cfg *workerConfig, hook store.Webhook, req *Request) outcome {
	if w.Calls == nil {
		return failed(errors.New("the worker cannot send through connections; it has no call preparer"), true)
	}
	creator, err := w.Store.GetUser(ctx, hook.OrgID, hook.CreatedBy)
	if err != nil {
		return failed(fmt.Errorf("reading the webhook's creator: %w", err), !errors.Is(err, store.ErrNotFound))
	}
	conn, err := w.Store.GetConnectionByID(ctx, hook.OrgID, hook.ConnectionID)
	if err != nil {
		return failed(fmt.Errorf("reading the webhook's connection: %w", err), !errors.Is(err, store.ErrNotFound))
	}
	actor := connections.Actor{OrgID: creator.OrgID, UserID: creator.ID, Username: creator.Username, Role: creator.Role}

	call, err := w.Calls.PrepareCall(ctx, actor, conn.LinkName)
	if err != nil {
		return failed(err, retryable(err))
	}
	target, err := call.Resolve(req.URL)
	if err != nil {
		return failed(err, false)
	}
	return w.send(ctx, cfg, &egress.Request{Method: req.Method, URL: target.String(), Headers: req.Headers, Body: req.Body},
		call.Allowlist, call.Authorizer)
}

// sendSigned sends an unbound webhook's request with the Standard Webhooks
// signature headers. The allow-list holds the request's own host only,
// because egress sends nothing to a host that no allow-list names.
func (w *Worker) sendSigned(ctx context.Context, cfg *workerConfig, hook store.Webhook, d store.Delivery, req *Request) outcome {
	allow, err := egress.NewAllowlist(req.URL, nil)
	if err != nil {
		return failed(fmt.Errorf("the rendered url is invalid: %w", err), false)
	}
	if hook.SecretSealed == "" {
		return failed(errors.New("the webhook has no signing secret; rotate its secret to make one"), false)
	}
	if w.Keyring == nil {
		return failed(errors.New("the worker cannot sign requests; it has no keyring"), true)
	}
	plain, err := w.Keyring.Open(hook.SecretSealed, secretAD(hook.OrgID, hook.ID))
	if err != nil {
		return failed(fmt.Errorf("opening the signing secret: %w", err), false)
	}
	var previous []secrets.Secret
	if hook.PreviousSecretSealed != "" && cfg.now().Before(hook.PreviousSecretUntil) {
		old, err := w.Keyring.Open(hook.PreviousSecretSealed, previousSecretAD(hook.OrgID, hook.ID))
		if err != nil {
			return failed(fmt.Errorf("opening the previous signing secret: %w", err), false)
		}
		previous = append(previous, secrets.Secret(old))
	}
	signature, err := Sign(d.ID, cfg.now(), req.Body, secrets.Secret(plain), previous...)
	if err != nil {
		return failed(err, false)
	}
	headers := make(map[string]string, len(req.Headers)+len(signature))
	for name, value := range req.Headers {
		headers[name] = value
	}
	for name, value := range signature {
		headers[name] = value
	}
	return w.send(ctx, cfg, &egress.Request{Method: req.Method, URL: req.URL, Headers: headers, Body: req.Body},
		allow, unauthenticated{})
}

// send sends the request and classifies the response.
func (w *Worker) send(ctx context.Context, cfg *workerConfig, req *egress.Request, allow *egress.Allowlist, auth egress.Authorizer) outcome {
	start := time.Now()
	resp, err := w.Sender.Do(ctx, req, allow, auth)
	elapsed := time.Since(start)
	if err != nil {
		out := failed(err, retryable(err))
		out.duration = elapsed
		return out
	}

	out := outcome{statusCode: resp.StatusCode, body: resp.Body, duration: elapsed}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		out.retry = true
		out.retryAfter, out.hasRetryAfter = retryAfter(resp.Header, cfg.now())
	case resp.StatusCode >= 500:
		out.retry = true
	}
	return out
}

// retryLaterCodes are the problem codes of a connection that its member
// may still connect or reconnect, so a later attempt may succeed.
var retryLaterCodes = []string{"connection_not_connected", "authorization_required", "connection_needs_reauth"}

// retryable reports whether an attempt that failed with err may succeed
// later. Network errors, timeouts and a connection waiting for its member
// may. An invalid request, a host that is not allowed or a blocked address
// may not.
//
// NOTE: egress reads the whole response before it returns the status, so a
// response body over Sender.MaxResponseBody fails the delivery whatever its
// status.
func retryable(err error) bool {
	switch {
	case errors.Is(err, egress.ErrInvalidRequest), errors.Is(err, egress.ErrHostNotAllowed),
		errors.Is(err, egress.ErrBlockedAddress), errors.Is(err, egress.ErrResponseTooLarge):
		return false
	}
	if p, ok := problem.As(err); ok {
		return slices.Contains(retryLaterCodes, p.Code) || p.Status >= 500
	}
	return true
}

// unauthenticated is the Authorizer of an unbound webhook, whose requests
// carry a signature instead of a credential.
type unauthenticated struct{}

func (unauthenticated) Authorize(_ context.Context, _ *http.Request, retry bool) error {
	if retry {
		return egress.ErrNoRetry
	}
	return nil
}
