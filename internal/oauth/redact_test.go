package oauth

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
)

// Secrets that no printed or logged form may contain.
const (
	secretAccessToken  = "at-SECRET-1"
	secretRefreshToken = "rt-SECRET-2"
	secretIDToken      = "idt-SECRET-3"
	secretClient       = "cs-SECRET-4"
)

func redactionFixtures() (Token, Client) {
	token := Token{
		AccessToken:   secretAccessToken,
		TokenType:     "Bearer",
		RefreshToken:  secretRefreshToken,
		Expiry:        time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC),
		Scopes:        []string{"devices.read"},
		ScopeReturned: true,
		Extra:         map[string]any{"id_token": secretIDToken},
	}
	return token, Client{ID: "client-1", Secret: secretClient}
}

func assertNoSecret(t *testing.T, label, output string) {
	t.Helper()
	for _, secret := range []string{secretAccessToken, secretRefreshToken, secretIDToken, secretClient} {
		if strings.Contains(output, secret) {
			t.Errorf("%s output %q contains %q", label, output, secret)
		}
	}
}

func TestFormatRedactsSecrets(t *testing.T) {
	token, client := redactionFixtures()
	config := &Config{Settings: &catalog.OAuth2Settings{}, Client: client}
	wrapper := struct {
		Token  Token
		Client Client
	}{token, client}

	values := map[string]any{
		"token":         token,
		"token pointer": &token,
		"client":        client,
		"client ptr":    &client,
		"config":        config,
		"config value":  *config,
		"struct":        wrapper,
		"slice":         []Token{token},
	}
	for name, value := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			assertNoSecret(t, name+" "+verb, fmt.Sprintf(verb, value))
		}
	}
}

func TestTokenStringShowsMetadata(t *testing.T) {
	token, _ := redactionFixtures()
	got := fmt.Sprint(token)
	for _, want := range []string{"Bearer", "2026-01-02T04:00:00Z", "devices.read", "RefreshToken:" + redacted} {
		if !strings.Contains(got, want) {
			t.Errorf("fmt.Sprint(token) = %q, want it to contain %q", got, want)
		}
	}

	empty := fmt.Sprint(Token{AccessToken: "x"})
	if !strings.Contains(empty, `RefreshToken:""`) || !strings.Contains(empty, "Expiry:none") {
		t.Errorf("fmt.Sprint(token without refresh token) = %q, want an empty refresh token and no expiry", empty)
	}
}

func TestClientStringShowsID(t *testing.T) {
	_, client := redactionFixtures()
	if got, want := fmt.Sprint(client), "{ID:client-1 Secret:"+redacted+"}"; got != want {
		t.Errorf("fmt.Sprint(client) = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%#v", client), `oauth.Client{ID:"client-1", Secret:"`+redacted+`"}`; got != want {
		t.Errorf("%%#v of client = %q, want %q", got, want)
	}
}

func TestSlogRedactsSecrets(t *testing.T) {
	token, client := redactionFixtures()
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	}
	for name, newHandler := range handlers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(newHandler(&buf))
			logger.Info("token stored", "token", token, "token_ptr", &token, "client", client, "client_ptr", &client)

			output := buf.String()
			assertNoSecret(t, name, output)
			for _, want := range []string{"has_refresh_token", "Bearer", "devices.read", "client-1", "has_secret"} {
				if !strings.Contains(output, want) {
					t.Errorf("log output %q does not contain %q", output, want)
				}
			}
		})
	}
}

func TestErrorsRedactSecrets(t *testing.T) {
	token, client := redactionFixtures()
	err := fmt.Errorf("storing %v for %v: %w", token, client, &Error{Code: "invalid_grant", StatusCode: 400})
	assertNoSecret(t, "error", err.Error())
}

func TestTokenOAuth2(t *testing.T) {
	token, _ := redactionFixtures()
	got := token.OAuth2()

	if got.AccessToken != token.AccessToken || got.RefreshToken != token.RefreshToken {
		t.Error("OAuth2() token values differ from the token's")
	}
	if got.TokenType != "Bearer" || !got.Expiry.Equal(token.Expiry) {
		t.Errorf("OAuth2() = type %q expiry %v, want Bearer %v", got.TokenType, got.Expiry, token.Expiry)
	}
	if got.Extra("id_token") != secretIDToken {
		t.Error("OAuth2().Extra(\"id_token\") differs from Token.Extra")
	}
	if scope := got.Extra("scope"); scope != "devices.read" {
		t.Errorf("OAuth2().Extra(\"scope\") = %v, want devices.read", scope)
	}
}
