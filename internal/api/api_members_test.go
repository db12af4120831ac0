package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type userBody struct {
	Username  string `json:"username"`
	Role      string `json:"role"`
	CreatedAt string `json:"created_at"`
}

type tokenBody struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	User        string   `json:"user"`
	Token       string   `json:"token"`
	Permissions []string `json:"permissions"`
	CreatedAt   string   `json:"created_at"`
	LastUsedAt  *string  `json:"last_used_at"`
}

type auditBody struct {
	ID         string         `json:"id"`
	At         string         `json:"at"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	Connection string         `json:"connection"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Detail     map[string]any `json:"detail"`
	RemoteAddr string         `json:"remote_addr"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func TestUsersAPI(t *testing.T) {
	s := newStack(t)
	viewerToken := s.addUser("vera", "viewer")

	created := decode[userBody](t, s.admin("POST", "/v1/users", map[string]any{"username": "bob", "role": "developer"}))
	if created.Username != "bob" || created.Role != "developer" || created.CreatedAt == "" {
		t.Errorf("created user = %+v, want bob, developer and a creation time", created)
	}
	wantProblem(t, s.admin("POST", "/v1/users", map[string]any{"username": "bob", "role": "viewer"}), http.StatusConflict, "user_exists")
	wantProblem(t, s.admin("POST", "/v1/users", map[string]any{"username": "Bob!", "role": "viewer"}), http.StatusUnprocessableEntity, "invalid_username")
	wantProblem(t, s.do("POST", "/v1/users", viewerToken, map[string]any{"username": "eve", "role": "admin"}), http.StatusForbidden, "forbidden")

	// Every member lists the members, a page at a time.
	var names []string
	cursor := ""
	for range 5 {
		resp := s.do("GET", "/v1/users?limit=2&cursor="+url.QueryEscape(cursor), viewerToken, nil)
		wantStatus(t, resp, http.StatusOK)
		p := decode[page[userBody]](t, resp)
		for _, u := range p.Items {
			names = append(names, u.Username)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if got := strings.Join(names, " "); got != "admin bob vera" {
		t.Errorf("paged users = %q, want admin bob vera", got)
	}

	updated := decode[userBody](t, s.admin("PATCH", "/v1/users/bob", map[string]any{"role": "viewer"}))
	if updated.Role != "viewer" {
		t.Errorf("updated role = %q, want viewer", updated.Role)
	}
	wantProblem(t, s.admin("PATCH", "/v1/users/admin", map[string]any{"role": "viewer"}), http.StatusConflict, "last_admin")
	wantProblem(t, s.admin("DELETE", "/v1/users/admin", nil), http.StatusConflict, "last_admin")
	wantProblem(t, s.do("DELETE", "/v1/users/bob", viewerToken, nil), http.StatusForbidden, "forbidden")
	wantStatus(t, s.admin("DELETE", "/v1/users/bob", nil), http.StatusNoContent)
	wantProblem(t, s.admin("GET", "/v1/users/bob", nil), http.StatusNotFound, "user_not_found")
}

func TestUserInUseAPI(t *testing.T) {
	s := newStack(t)
	bobToken := s.addUser("bob", "developer")
	wantStatus(t, s.admin("POST", "/v1/services", basicService("bobs_basic", "https://api.acme.example")), http.StatusCreated)
	wantStatus(t, s.do("POST", "/v1/connections", bobToken, map[string]any{"name": "Bob CRM", "service": "bobs_basic"}), http.StatusCreated)

	p := wantProblem(t, s.admin("DELETE", "/v1/users/bob", nil), http.StatusConflict, "user_in_use")
	if !strings.Contains(p.Detail, `"bob_crm"`) {
		t.Errorf("detail = %q, want it to name connection bob_crm", p.Detail)
	}
}

func TestTokensAPI(t *testing.T) {
	s := newStack(t)
	bobToken := s.addUser("bob", "developer")

	created := decode[tokenBody](t, s.admin("POST", "/v1/tokens", map[string]any{"name": "ci", "user": "bob"}))
	if created.User != "bob" || !strings.HasPrefix(created.Token, "pb_") {
		t.Fatalf("created token for %q, pb_ prefix %t; want bob's pb_ token", created.User, strings.HasPrefix(created.Token, "pb_"))
	}
	wantProblem(t, s.do("POST", "/v1/tokens", bobToken, map[string]any{"name": "x", "user": "admin"}), http.StatusForbidden, "forbidden")

	resp := s.admin("GET", "/v1/tokens?user=bob", nil)
	wantStatus(t, resp, http.StatusOK)
	for _, field := range []string{`"token"`, `"hash"`} {
		if strings.Contains(string(resp.body), field) {
			t.Errorf("token list has field %s: %s", field, resp.body)
		}
	}
	list := decode[page[tokenBody]](t, resp)
	if len(list.Items) != 2 {
		t.Fatalf("bob's tokens = %d, want 2", len(list.Items))
	}
	if list.Items[0].LastUsedAt == nil {
		t.Errorf("bob's used token has no last_used_at")
	}
	if list.Items[1].ID != created.ID || list.Items[1].LastUsedAt != nil {
		t.Errorf("second token = %+v, want the new unused token %s", list.Items[1], created.ID)
	}
	wantProblem(t, s.do("GET", "/v1/tokens?user=*", bobToken, nil), http.StatusForbidden, "forbidden")
	all := decode[page[tokenBody]](t, s.admin("GET", "/v1/tokens?user=*&limit=2", nil))
	if len(all.Items) != 2 || all.NextCursor == "" {
		t.Errorf("first page of all tokens = %d items, cursor %q; want 2 and a cursor", len(all.Items), all.NextCursor)
	}

	// Bob revokes the token he is using; it stops working at once.
	mine := decode[page[tokenBody]](t, s.do("GET", "/v1/tokens", bobToken, nil))
	wantStatus(t, s.do("DELETE", "/v1/tokens/"+mine.Items[0].ID, bobToken, nil), http.StatusNoContent)
	wantProblem(t, s.do("GET", "/v1/me", bobToken, nil), http.StatusUnauthorized, "invalid_token")
	wantStatus(t, s.do("GET", "/v1/me", created.Token, nil), http.StatusOK)
	wantStatus(t, s.admin("DELETE", "/v1/tokens/"+created.ID, nil), http.StatusNoContent)
	wantProblem(t, s.do("GET", "/v1/me", created.Token, nil), http.StatusUnauthorized, "invalid_token")

	// Only the creation response ever showed the token.
	if n := s.countResponsesContaining(created.Token); n != 1 {
		t.Errorf("%d responses contain the new token, want only the creation response", n)
	}
}

func TestAuditAPI(t *testing.T) {
	s := newStack(t)
	viewerToken := s.addUser("vera", "viewer")
	wantStatus(t, s.admin("POST", "/v1/users", map[string]any{"username": "bob", "role": "developer"}), http.StatusCreated)
	wantStatus(t, s.admin("PATCH", "/v1/users/bob", map[string]any{"role": "viewer"}), http.StatusOK)
	wantStatus(t, s.admin("DELETE", "/v1/users/bob", nil), http.StatusNoContent)

	wantProblem(t, s.do("GET", "/v1/audit", viewerToken, nil), http.StatusForbidden, "forbidden")
	wantProblem(t, s.admin("GET", "/v1/audit?member=nobody", nil), http.StatusNotFound, "user_not_found")

	first := decode[page[auditBody]](t, s.admin("GET", "/v1/audit?member=admin&limit=2", nil))
	if len(first.Items) != 2 || first.NextCursor == "" {
		t.Fatalf("first page = %d entries, cursor %q; want 2 and a cursor", len(first.Items), first.NextCursor)
	}
	rest := decode[page[auditBody]](t, s.admin("GET", "/v1/audit?member=admin&limit=2&cursor="+url.QueryEscape(first.NextCursor), nil))
	entries := append(first.Items, rest.Items...)
	var got []string
	for _, e := range entries {
		got = append(got, e.Action)
		if e.Actor != "admin" || e.RemoteAddr != "127.0.0.1" || e.TargetType != "user" || e.Detail["username"] != "bob" {
			t.Errorf("entry = %+v, want admin's action on user bob from 127.0.0.1", e)
		}
	}
	if strings.Join(got, " ") != "user.deleted user.updated user.created" {
		t.Errorf("actions = %q, want user.deleted user.updated user.created", got)
	}
	if rest.NextCursor != "" {
		t.Errorf("last page has cursor %q, want none", rest.NextCursor)
	}
}

func TestUserPasswordAPI(t *testing.T) {
	s := newStack(t)
	devToken := s.addUser("dan", "developer")
	s.admin("POST", "/v1/users", map[string]any{"username": "bob", "role": "viewer"})
	const password = "correct horse battery"
	s.addSecret(password)

	resp := s.admin("PATCH", "/v1/users/bob", map[string]any{"password": password})
	wantStatus(t, resp, http.StatusOK)
	got := decode[userBody](t, resp)
	if got.Username != "bob" || got.Role != "viewer" {
		t.Errorf("user after setting a password = %+v, want bob, viewer unchanged", got)
	}
	if strings.Contains(string(resp.body), "password") {
		t.Errorf("response shows the password field: %s", resp.body)
	}
	user, err := s.store.GetUserByUsername(t.Context(), s.orgID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	hash, err := s.store.GetPasswordHash(t.Context(), s.orgID, user.ID)
	if err != nil || !strings.HasPrefix(hash, "$2") || strings.Contains(hash, password) {
		t.Errorf("stored password hash = %q, %v; want a bcrypt hash", hash, err)
	}

	// Role and password in one request.
	wantStatus(t, s.admin("PATCH", "/v1/users/bob", map[string]any{"role": "developer", "password": password + "!"}), http.StatusOK)
	if got := decode[userBody](t, s.admin("GET", "/v1/users/bob", nil)); got.Role != "developer" {
		t.Errorf("role after PATCH with role and password = %q, want developer", got.Role)
	}

	wantProblem(t, s.admin("PATCH", "/v1/users/bob", map[string]any{"password": "short"}), http.StatusUnprocessableEntity, "invalid_password")
	wantProblem(t, s.admin("PATCH", "/v1/users/bob", map[string]any{"password": strings.Repeat("x", 73)}), http.StatusUnprocessableEntity, "invalid_password")
	wantProblem(t, s.do("PATCH", "/v1/users/bob", devToken, map[string]any{"password": password}), http.StatusForbidden, "forbidden")
	wantProblem(t, s.admin("PATCH", "/v1/users/nobody", map[string]any{"password": password}), http.StatusNotFound, "user_not_found")
	wantProblem(t, s.admin("PATCH", "/v1/users/bob", map[string]any{}), http.StatusUnprocessableEntity, "invalid_role")
}
