package egress

import (
	"context"
	"net/http"
)

// anyHost is the allow-list of calls that carry no credential.
var anyHost = &Allowlist{anyHost: true}

// noCredential is the Authorizer of calls without a connection: it adds
// nothing and never retries after a 401.
type noCredential struct{}

var _ Authorizer = noCredential{}

func (noCredential) Authorize(_ context.Context, _ *http.Request, retry bool) error {
	if retry {
		return ErrNoRetry
	}
	return nil
}

// DoWithoutCredential sends an invoke request that carries no credential,
// as Do does, to any http or https URL. Redirects are followed to any host.
// The egress guard of the Sender's transport still checks every
// destination, redirects included, at dial time.
func (s *Sender) DoWithoutCredential(ctx context.Context, req *Request) (*Response, error) {
	return s.Do(ctx, req, anyHost, noCredential{})
}
