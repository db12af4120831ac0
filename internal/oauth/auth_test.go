package oauth

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// operation runs one kind of endpoint request against config.
type operation struct {
	name string
	run  func(*Config) error
}

var operations = []operation{
	{"exchange", func(c *Config) error {
		_, err := c.Exchange(context.Background(), "code-1", "")
		return err
	}},
	{"refresh", func(c *Config) error {
		_, err := c.Refresh(context.Background(), "rt-old")
		return err
	}},
	{"revoke", func(c *Config) error {
		return c.Revoke(context.Background(), "rt-old", HintRefreshToken)
	}},
}

// decodeBasicAuth decodes an Authorization header as RFC 6749 section 2.3.1
// requires: Base64, split at the first ':', then form-decode each part.
func decodeBasicAuth(t *testing.T, header string) (id, secret string) {
	t.Helper()
	encoded, ok := strings.CutPrefix(header, "Basic ")
	if !ok {
		t.Fatalf("Authorization = %q, want the Basic scheme", header)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("decoding Basic credentials: %v", err)
	}
	rawID, rawSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		t.Fatalf("Basic credentials %q have no ':'", raw)
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		t.Fatalf("form-decoding client ID %q: %v", rawID, err)
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		t.Fatalf("form-decoding client secret: %v", err)
	}
	return id, secret
}

func TestClientSecretBasic(t *testing.T) {
	client := Client{ID: "client:id 1", Secret: "s+e/c:r%e&t=1 ~"}
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			config := newTestConfig(e, "client_secret_basic")
			config.Client = client

			if err := op.run(config); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			req := e.only(t)
			gotID, gotSecret := decodeBasicAuth(t, req.header.Get("Authorization"))
			if gotID != client.ID {
				t.Errorf("client ID = %q, want %q", gotID, client.ID)
			}
			if gotSecret != client.Secret {
				t.Error("client secret decoded from the Basic header differs from the configured one")
			}
			for _, name := range []string{"client_id", "client_secret"} {
				if req.form.Has(name) {
					t.Errorf("body has %s, want client credentials only in the header", name)
				}
			}
			for _, value := range []string{client.ID, client.Secret} {
				if strings.Contains(req.body, url.QueryEscape(value)) {
					t.Errorf("body %q contains a client credential", req.body)
				}
			}
		})
	}
}

func TestClientSecretPost(t *testing.T) {
	client := Client{ID: "client:id", Secret: "s+e/c:r%e&t="}
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			config := newTestConfig(e, "client_secret_post")
			config.Client = client

			if err := op.run(config); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			req := e.only(t)
			if got := req.header.Get("Authorization"); got != "" {
				t.Errorf("Authorization = %q, want none", got)
			}
			if got := req.form.Get("client_id"); got != client.ID {
				t.Errorf("client_id = %q, want %q", got, client.ID)
			}
			if got := req.form.Get("client_secret"); got != client.Secret {
				t.Error("client_secret in the body differs from the configured one")
			}
		})
	}
}

func TestPublicClientSendsIDInBody(t *testing.T) {
	for _, method := range []string{"client_secret_basic", "client_secret_post", "client_secret_basic_unencoded"} {
		for _, op := range operations {
			t.Run(method+"/"+op.name, func(t *testing.T) {
				e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
				config := newTestConfig(e, method)
				config.Client = Client{ID: "public-app"}

				if err := op.run(config); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
				req := e.only(t)
				if got := req.header.Get("Authorization"); got != "" {
					t.Errorf("Authorization = %q, want none", got)
				}
				if got := req.form.Get("client_id"); got != "public-app" {
					t.Errorf("client_id = %q, want %q", got, "public-app")
				}
				if req.form.Has("client_secret") {
					t.Error("body has client_secret, want none for a public client")
				}
			})
		}
	}
}

func TestNoFallbackToOtherAuthMethod(t *testing.T) {
	for _, method := range []string{"client_secret_basic", "client_secret_post", "client_secret_basic_unencoded"} {
		for _, op := range operations {
			t.Run(method+"/"+op.name, func(t *testing.T) {
				e := newEndpoint(t, respondWith(http.StatusUnauthorized, "application/json", `{"error":"invalid_client"}`))
				config := newTestConfig(e, method)

				if err := op.run(config); err == nil {
					t.Fatalf("%s succeeded, want invalid_client", op.name)
				}
				if got := e.count(); got != 1 {
					t.Errorf("endpoint received %d requests, want 1", got)
				}
			})
		}
	}
}

func TestInvalidAuthMethodSendsNothing(t *testing.T) {
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			config := newTestConfig(e, "client_secret_jwt")

			err := op.run(config)
			if err == nil {
				t.Fatalf("%s succeeded with an unsupported auth method", op.name)
			}
			if !strings.Contains(err.Error(), "client_secret_jwt") {
				t.Errorf("error %q does not name the method", err)
			}
			if got := e.count(); got != 0 {
				t.Errorf("endpoint received %d requests, want 0", got)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			if err := op.run(newTestConfig(e, "client_secret_basic")); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			req := e.only(t)
			if req.method != http.MethodPost {
				t.Errorf("method = %s, want POST", req.method)
			}
			if got := req.header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q, want application/json", got)
			}
			if got := req.header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", got)
			}
		})
	}
}
