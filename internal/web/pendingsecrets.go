package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// A form that makes a secret, such as a new API token, follows
// POST/redirect/GET: the POST keeps the secret for one display and
// redirects to a page whose URL names the kept row, never the secret. The
// row lives in the database, sealed with the keyring, because the GET may
// reach another instance than the POST. It belongs to the web session
// that made it, and the page that shows it deletes it, so a reload or a
// second GET finds nothing and shows a notice instead of posting the form
// again.

// pendingSecretLifetime is how long a kept secret waits for its page. The
// browser follows the redirect at once, so a few minutes leave room for a
// slow network without keeping secrets around.
const pendingSecretLifetime = 5 * time.Minute

// Kinds of pending secrets.
const (
	pendingAPIToken      = "api_token"
	pendingWebhookSecret = "webhook_secret"
)

// displayParam is the query parameter that names a pending secret's row
// on the page that shows it.
const displayParam = "display"

func pendingSecretAD(orgID, id string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "pending_secrets", Column: "value", RowID: id}
}

// keepSecret seals value and stores it for one display by sess's page of
// kind and subject, and returns the row's ID.
func (s *Server) keepSecret(ctx context.Context, sess *session, kind, subject string, value secrets.Secret) (string, error) {
	if s.keyring == nil {
		return "", errors.New("the web UI has no keyring to seal a new secret with")
	}
	id := randomText(16)
	sealed, err := s.keyring.Seal([]byte(value.Reveal()), pendingSecretAD(sess.record.OrgID, id))
	if err != nil {
		return "", fmt.Errorf("sealing a new %s: %w", kind, err)
	}
	now := s.now().UTC()
	ps := store.PendingSecret{
		OrgID: sess.record.OrgID, ID: id, SessionID: sess.record.ID, Kind: kind, Subject: subject,
		ValueSealed: sealed, CreatedAt: now, ExpiresAt: now.Add(pendingSecretLifetime),
	}
	if err := s.store.CreatePendingSecret(ctx, ps); err != nil {
		return "", fmt.Errorf("storing a new %s for its display: %w", kind, err)
	}
	return id, nil
}

// displayURL returns path with the query parameter that names a kept
// secret.
func displayURL(path, id string) string {
	return path + "?" + url.Values{displayParam: {id}}.Encode()
}

// shownSecret is a kept secret taken for its one display.
type shownSecret struct {
	Value string
	// Subject is the token's name or the webhook's ID.
	Subject string
}

// takeSecret returns the secret of kind that the request's display
// parameter names, deleting it, when it belongs to sess and has not
// expired. Otherwise it returns an empty secret, with alreadyShown set when
// the request names a secret, so the page shows a notice in its place.
// A secret of another session stays stored, so no other member can use up
// its display.
func (s *Server) takeSecret(ctx context.Context, sess *session, query url.Values, kind string) (secret shownSecret, alreadyShown bool, err error) {
	id := query.Get(displayParam)
	if id == "" {
		return shownSecret{}, false, nil
	}
	ps, err := s.store.TakePendingSecret(ctx, sess.record.OrgID, sess.record.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return shownSecret{}, true, nil
	}
	if err != nil {
		return shownSecret{}, false, fmt.Errorf("reading a new %s for its display: %w", kind, err)
	}
	if ps.Kind != kind || !s.now().Before(ps.ExpiresAt) {
		return shownSecret{}, true, nil
	}
	if s.keyring == nil {
		return shownSecret{}, false, errors.New("the web UI has no keyring to open a new secret with")
	}
	plain, err := s.keyring.Open(ps.ValueSealed, pendingSecretAD(ps.OrgID, ps.ID))
	if err != nil {
		return shownSecret{}, false, fmt.Errorf("opening a new %s: %w", kind, err)
	}
	return shownSecret{Value: string(plain), Subject: ps.Subject}, false, nil
}
