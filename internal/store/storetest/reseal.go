package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
)

// testResealAll checks that ResealAll visits every sealed value of an org
// with its table, column and key, writes the changed ones, and changes
// nothing when the function fails. It touches only its own org's values,
// because a shared database may hold other tests' rows.
func testResealAll(t *testing.T, s store.Store) {
	ctx := t.Context()
	org, user, conn := connectionFixture(t, s)
	app := createApplication(t, s, org.ID, "acme_devices", false)
	cred := newCredential(org.ID, conn.ID, user.ID)
	cred.SecretsSealed = "sealed-secrets-" + user.ID
	putCredential(t, s, cred)
	state := store.OAuthState{
		OrgID: org.ID, ID: uniqueID("state"), ConnectionID: conn.ID, UserID: user.ID,
		VerifierSealed: "sealed-verifier", ExpiresAt: at(0), CreatedAt: at(0),
	}
	if err := s.CreateOAuthState(ctx, state); err != nil {
		t.Fatalf("CreateOAuthState() error = %v", err)
	}
	hook := createWebhook(t, s, newWebhook(org.ID, user.ID))
	// A bound webhook has no signing secret, so ResealAll skips it.
	bound := newWebhook(org.ID, user.ID)
	bound.ConnectionID = conn.ID
	bound.SecretSealed = ""
	createWebhook(t, s, bound)

	signingKey := store.AuthzSigningKey{OrgID: org.ID, ID: uniqueID("key"), Algorithm: "ES256",
		PrivateKeySealed: "sealed-private-key", PublicKeyJWK: "{}", CreatedAt: at(0)}
	if err := s.CreateAuthzSigningKey(ctx, signingKey); err != nil {
		t.Fatalf("CreateAuthzSigningKey() error = %v", err)
	}

	session := newWebSession(org.ID, user.ID)
	if err := s.CreateWebSession(ctx, session); err != nil {
		t.Fatalf("CreateWebSession() error = %v", err)
	}
	pending := createPendingSecret(t, s, newPendingSecret(org.ID, session.ID))

	wantVisits := map[string]string{
		"authz_signing_keys.private_key/" + signingKey.ID:      signingKey.PrivateKeySealed,
		"applications.client_secret/" + app.ID:                 app.ClientSecretSealed,
		"credentials.access_token/" + conn.ID + "/" + user.ID:  cred.AccessTokenSealed,
		"credentials.refresh_token/" + conn.ID + "/" + user.ID: cred.RefreshTokenSealed,
		"credentials.secrets/" + conn.ID + "/" + user.ID:       cred.SecretsSealed,
		"oauth_states.verifier/" + state.ID:                    state.VerifierSealed,
		"pending_secrets.value/" + pending.ID:                  pending.ValueSealed,
		"webhooks.secret/" + hook.ID:                           hook.SecretSealed,
	}

	failure := errors.New("reseal failed")
	_, err := s.ResealAll(ctx, func(v store.SealedValue) (string, error) {
		if v.OrgID == org.ID && v.Table == "credentials" {
			return "", failure
		}
		return v.Sealed + "-changed", nil
	})
	if !errors.Is(err, failure) {
		t.Fatalf("ResealAll() with a failing function: error = %v, want %v", err, failure)
	}
	if got, _ := s.GetApplication(ctx, org.ID, app.ID); got.ClientSecretSealed != app.ClientSecretSealed {
		t.Errorf("after a failed ResealAll, client secret = %q, want %q unchanged", got.ClientSecretSealed, app.ClientSecretSealed)
	}

	visits := map[string]string{}
	changed, err := s.ResealAll(ctx, func(v store.SealedValue) (string, error) {
		if v.OrgID != org.ID {
			return v.Sealed, nil
		}
		visits[v.Table+"."+v.Column+"/"+strings.Join(v.Key, "/")] = v.Sealed
		return "resealed-" + v.Sealed, nil
	})
	if err != nil {
		t.Fatalf("ResealAll() error = %v", err)
	}
	checkEqual(t, "visited values", visits, wantVisits)
	if changed < len(wantVisits) {
		t.Errorf("ResealAll() changed %d values, want at least %d", changed, len(wantVisits))
	}

	gotApp, err := s.GetApplication(ctx, org.ID, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "client secret", gotApp.ClientSecretSealed, "resealed-"+app.ClientSecretSealed)
	gotCred, err := s.GetCredential(ctx, org.ID, conn.ID, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "access token", gotCred.AccessTokenSealed, "resealed-"+cred.AccessTokenSealed)
	checkEqual(t, "refresh token", gotCred.RefreshTokenSealed, "resealed-"+cred.RefreshTokenSealed)
	checkEqual(t, "secrets", gotCred.SecretsSealed, "resealed-"+cred.SecretsSealed)
	gotHook, err := s.GetWebhook(ctx, org.ID, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "webhook secret", gotHook.SecretSealed, "resealed-"+hook.SecretSealed)
	gotState, err := s.TakeOAuthState(ctx, org.ID, state.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "verifier", gotState.VerifierSealed, "resealed-"+state.VerifierSealed)
	gotPending, err := s.TakePendingSecret(ctx, org.ID, session.ID, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "pending secret", gotPending.ValueSealed, "resealed-"+pending.ValueSealed)
	keys, err := s.ListAuthzSigningKeys(ctx, org.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListAuthzSigningKeys() = %d keys, %v; want 1 key", len(keys), err)
	}
	checkEqual(t, "signing key", keys[0].PrivateKeySealed, "resealed-"+signingKey.PrivateKeySealed)
}
