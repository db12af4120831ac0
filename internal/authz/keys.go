package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// signingAlgorithm signs ID tokens: ECDSA on P-256, whose keys take well
// under a millisecond to generate, so an org's first token request does not
// wait for key generation as it would for RSA.
const signingAlgorithm = jose.ES256

func signingKeyAD(orgID, keyID string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "authz_signing_keys", Column: "private_key", RowID: keyID}
}

// signingKey is an org's private key.
type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return signingAlgorithm }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is a published verification key.
type publicKey struct {
	jwk jose.JSONWebKey
}

func (k publicKey) ID() string { return k.jwk.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.jwk.Algorithm)
}
func (k publicKey) Use() string { return "sig" }
func (k publicKey) Key() any    { return k.jwk.Key }

// orgKey is the context key of the org whose key signs a token response.
type orgKey struct{}

func withOrg(ctx context.Context, orgID string) context.Context {
	return context.WithValue(ctx, orgKey{}, orgID)
}

// signingKeyOf returns the org's newest signing key, creating the first one
// on demand. Instances that race to create it both succeed, and later calls
// return the newest.
func (s *storage) signingKeyOf(ctx context.Context, orgID string) (op.SigningKey, error) {
	keys, err := s.store.ListAuthzSigningKeys(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing signing keys: %w", err)
	}
	if len(keys) == 0 {
		rec, err := s.createSigningKey(ctx, orgID)
		if err != nil {
			return nil, err
		}
		keys = []store.AuthzSigningKey{rec}
	}
	rec := keys[0]
	der, err := s.keyring.Open(rec.PrivateKeySealed, signingKeyAD(rec.OrgID, rec.ID))
	if err != nil {
		return nil, fmt.Errorf("opening signing key %q: %w", rec.ID, err)
	}
	private, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parsing signing key %q: %w", rec.ID, err)
	}
	return signingKey{id: rec.ID, key: private}, nil
}

func (s *storage) createSigningKey(ctx context.Context, orgID string) (store.AuthzSigningKey, error) {
	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return store.AuthzSigningKey{}, fmt.Errorf("generating signing key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(private)
	if err != nil {
		return store.AuthzSigningKey{}, fmt.Errorf("encoding signing key: %w", err)
	}
	id := randomHex(8)
	sealed, err := s.keyring.Seal(der, signingKeyAD(orgID, id))
	if err != nil {
		return store.AuthzSigningKey{}, fmt.Errorf("sealing signing key: %w", err)
	}
	public, err := json.Marshal(jose.JSONWebKey{Key: &private.PublicKey, KeyID: id, Algorithm: string(signingAlgorithm), Use: "sig"})
	if err != nil {
		return store.AuthzSigningKey{}, fmt.Errorf("encoding public key: %w", err)
	}
	rec := store.AuthzSigningKey{
		OrgID: orgID, ID: id, Algorithm: string(signingAlgorithm),
		PrivateKeySealed: sealed, PublicKeyJWK: string(public), CreatedAt: s.now().UTC(),
	}
	if err := s.store.CreateAuthzSigningKey(ctx, rec); err != nil {
		return store.AuthzSigningKey{}, fmt.Errorf("storing signing key: %w", err)
	}
	s.logger.Info("created authorization server signing key", "org_id", orgID, "key_id", id)
	return rec, nil
}

// SigningKey returns the signing key of the org that the request's client
// belongs to.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	orgID, _ := ctx.Value(orgKey{}).(string)
	if orgID == "" {
		return nil, errors.New("no org in the request context: the token request names no client")
	}
	return s.signingKeyOf(ctx, orgID)
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{signingAlgorithm}, nil
}

// KeySet returns the public keys of every org, which the keys endpoint
// publishes because one issuer serves every org of the instance.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	recs, err := s.store.ListAuthzSigningKeys(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing signing keys: %w", err)
	}
	keys := make([]op.Key, 0, len(recs))
	for _, rec := range recs {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(rec.PublicKeyJWK)); err != nil {
			s.logger.Warn("skipping an unreadable public key", "org_id", rec.OrgID, "key_id", rec.ID, "err", err)
			continue
		}
		keys = append(keys, publicKey{jwk: jwk})
	}
	return keys, nil
}
