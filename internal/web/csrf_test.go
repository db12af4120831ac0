package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// pathParameter matches a {name} or {name...} segment of a route pattern.
var pathParameter = regexp.MustCompile(`\{[a-z]+(\.\.\.)?\}`)

// TestEveryPostRouteChecksCSRF posts to every POST route of the route
// table, with a signed-in session but a missing, wrong or foreign token, or
// from another origin. The server has no domain managers, so a post that
// reached its handler would get another status than 403 or panic.
func TestEveryPostRouteChecksCSRF(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	boot, err := members.Bootstrap(t.Context(), st, "", "admin-password-123", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	admin, err := st.GetUserByUsername(t.Context(), boot.OrgID, members.AdminUsername)
	if err != nil {
		t.Fatal(err)
	}
	const origin = "http://127.0.0.1:8080"
	srv, err := New(Options{Store: st, PublicURL: origin})
	if err != nil {
		t.Fatal(err)
	}
	signIn := func() (*http.Cookie, string) {
		rec := httptest.NewRecorder()
		if err := srv.startSession(rec, httptest.NewRequest("POST", "/login", nil), admin); err != nil {
			t.Fatal(err)
		}
		cookie := rec.Result().Cookies()[0]
		_, secret, _ := parseSessionCookie(cookie.Value)
		return cookie, csrfToken(secret)
	}
	cookie, token := signIn()
	_, otherToken := signIn()
	handler := srv.Handler()

	sameOrigin := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {origin}}
	cases := []struct {
		name   string
		form   url.Values
		header http.Header
	}{
		{"missing token", url.Values{}, sameOrigin},
		{"wrong token", url.Values{csrfField: {"forged"}}, sameOrigin},
		{"another session's token", url.Values{csrfField: {otherToken}}, sameOrigin},
		{"cross-site fetch", url.Values{csrfField: {token}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"same-site fetch", url.Values{csrfField: {token}}, http.Header{"Sec-Fetch-Site": {"same-site"}}},
		{"foreign origin", url.Values{csrfField: {token}}, http.Header{"Origin": {"https://evil.example"}}},
	}
	posts := 0
	for _, rt := range slices.Concat(srv.routes(), srv.managementRoutes()) {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodPost {
			continue
		}
		posts++
		path := pathParameter.ReplaceAllString(pattern, "x")
		for _, tt := range cases {
			req := httptest.NewRequest("POST", origin+path, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for name, values := range tt.header {
				req.Header[name] = values
			}
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("POST %s with %s: status %d, want 403", path, tt.name, rec.Code)
			}
		}
	}
	if posts < 20 {
		t.Errorf("the route table has %d POST routes, want the 20 or more of the UI's forms", posts)
	}
}
