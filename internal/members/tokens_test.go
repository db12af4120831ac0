package members

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

func TestCreateTokenRules(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)
	viewer := f.addMember(t, "vera", store.RoleViewer)
	read := []string{store.PermissionReadCredentials}

	tests := []struct {
		name              string
		actor             connections.Actor
		callerPermissions []string
		in                TokenInput
		wantStatus        int // 0 means success
		wantCode          string
		wantOwner         string
	}{
		{name: "developer for self", actor: dev, in: TokenInput{Name: "ci"}, wantOwner: "dan"},
		{name: "viewer for self", actor: viewer, in: TokenInput{Name: "ci"}, wantOwner: "vera"},
		{name: "own username", actor: dev, in: TokenInput{Name: "ci", User: "dan"}, wantOwner: "dan"},
		{name: "admin for member", actor: f.admin, in: TokenInput{Name: "ci", User: "dan"}, wantOwner: "dan"},
		{name: "admin grants credentials:read", actor: f.admin, in: TokenInput{Name: "ci", User: "dan", Permissions: read}, wantOwner: "dan"},
		{name: "developer passes on credentials:read", actor: dev, callerPermissions: read, in: TokenInput{Name: "sdk", Permissions: read}, wantOwner: "dan"},

		{name: "developer for member", actor: dev, in: TokenInput{Name: "ci", User: "vera"},
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "viewer for member", actor: viewer, in: TokenInput{Name: "ci", User: "dan"},
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "viewer for admin", actor: viewer, in: TokenInput{Name: "ci", User: "admin"},
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "developer without credentials:read", actor: dev, in: TokenInput{Name: "sdk", Permissions: read},
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "viewer with credentials:read", actor: viewer, callerPermissions: read, in: TokenInput{Name: "sdk", Permissions: read},
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "admin gives viewer credentials:read", actor: f.admin, in: TokenInput{Name: "sdk", User: "vera", Permissions: read},
			wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "missing name", actor: dev, in: TokenInput{Name: "  "},
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_token_request"},
		{name: "long name", actor: dev, in: TokenInput{Name: strings.Repeat("n", 101)},
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_token_request"},
		{name: "unknown permission", actor: f.admin, in: TokenInput{Name: "ci", Permissions: []string{"admin:all"}},
			wantStatus: http.StatusUnprocessableEntity, wantCode: "invalid_permission"},
		{name: "unknown member", actor: f.admin, in: TokenInput{Name: "ci", User: "nobody"},
			wantStatus: http.StatusNotFound, wantCode: "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, info, err := f.manager.CreateToken(t.Context(), tt.actor, tt.callerPermissions, tt.in)
			if tt.wantStatus != 0 {
				wantProblem(t, err, tt.wantStatus, tt.wantCode)
				if token != "" {
					t.Errorf("a rejected request returned a token")
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateToken error = %v", err)
			}
			user, rec, err := Authenticate(t.Context(), f.store, string(token))
			if err != nil {
				t.Fatalf("Authenticate(new token) error = %v", err)
			}
			if user.Username != tt.wantOwner || info.Username != tt.wantOwner {
				t.Errorf("token belongs to %q (info %q), want %q", user.Username, info.Username, tt.wantOwner)
			}
			if fmt.Sprint(rec.Permissions) != fmt.Sprint(nonNil(tt.in.Permissions)) {
				t.Errorf("permissions = %v, want %v", rec.Permissions, tt.in.Permissions)
			}
		})
	}
}

func TestListTokensNeverShowsValues(t *testing.T) {
	f := newFixture(t)
	f.addMember(t, "dan", store.RoleDeveloper)
	var secrets []string
	for _, in := range []TokenInput{{Name: "ci"}, {Name: "sdk", User: "dan", Permissions: []string{store.PermissionReadCredentials}}} {
		token, _, err := f.manager.CreateToken(t.Context(), f.admin, nil, in)
		if err != nil {
			t.Fatal(err)
		}
		_, _, secret, _ := parseToken(string(token))
		secrets = append(secrets, string(token), secret, hex.EncodeToString(hashSecret(secret)), string(hashSecret(secret)))
	}

	infos, err := f.manager.ListTokens(t.Context(), f.admin, AllUsers, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 {
		t.Fatalf("ListTokens(*) returned %d tokens, want 3 (bootstrap, ci, sdk)", len(infos))
	}
	text := fmt.Sprintf("%+v %#v", infos, infos)
	for i, secret := range secrets {
		if strings.Contains(text, secret) {
			t.Errorf("token list contains secret value %d", i)
		}
	}
}

func TestListTokensWhose(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)
	for _, in := range []TokenInput{{Name: "admin-ci"}, {Name: "dan-ci", User: "dan"}, {Name: "dan-sdk", User: "dan"}} {
		if _, _, err := f.manager.CreateToken(t.Context(), f.admin, nil, in); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		actor    connections.Actor
		user     string
		want     string
		wantCode string
	}{
		{name: "admin own", actor: f.admin, want: "bootstrap:admin admin-ci:admin"},
		{name: "admin for member", actor: f.admin, user: "dan", want: "dan-ci:dan dan-sdk:dan"},
		{name: "admin for all", actor: f.admin, user: AllUsers, want: "bootstrap:admin admin-ci:admin dan-ci:dan dan-sdk:dan"},
		{name: "developer own", actor: dev, want: "dan-ci:dan dan-sdk:dan"},
		{name: "developer by own username", actor: dev, user: "dan", want: "dan-ci:dan dan-sdk:dan"},
		{name: "developer for admin", actor: dev, user: "admin", wantCode: "forbidden"},
		{name: "developer for all", actor: dev, user: AllUsers, wantCode: "forbidden"},
		{name: "admin for unknown", actor: f.admin, user: "nobody", wantCode: "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			infos, err := f.manager.ListTokens(t.Context(), tt.actor, tt.user, "", 0)
			if tt.wantCode != "" {
				status := http.StatusForbidden
				if tt.wantCode == "user_not_found" {
					status = http.StatusNotFound
				}
				wantProblem(t, err, status, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tokenNames(infos); got != tt.want {
				t.Errorf("tokens = %q, want %q", got, tt.want)
			}
		})
	}
}

func tokenNames(infos []TokenInfo) string {
	var names []string
	for _, info := range infos {
		names = append(names, info.Name+":"+info.Username)
	}
	return strings.Join(names, " ")
}

func TestListTokensPages(t *testing.T) {
	f := newFixture(t)
	for i := range 4 {
		if _, _, err := f.manager.CreateToken(t.Context(), f.admin, nil, TokenInput{Name: fmt.Sprintf("t%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var pages []string
	after := ""
	for range 10 {
		infos, err := f.manager.ListTokens(t.Context(), f.admin, "", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) == 0 {
			break
		}
		pages = append(pages, tokenNames(infos))
		after = infos[len(infos)-1].SortKey()
	}
	want := []string{"bootstrap:admin t0:admin", "t1:admin t2:admin", "t3:admin"}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages = %q, want %q", pages, want)
	}
}

func TestDeleteTokenThenAuthenticateFails(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)
	devToken, devInfo, err := f.manager.CreateToken(t.Context(), dev, nil, TokenInput{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	adminToken, adminInfo, err := f.manager.CreateToken(t.Context(), f.admin, nil, TokenInput{Name: "ops"})
	if err != nil {
		t.Fatal(err)
	}

	// A developer cannot see or revoke the admin's token.
	wantProblem(t, f.manager.DeleteToken(t.Context(), dev, adminInfo.ID), http.StatusNotFound, "token_not_found")
	if _, _, err := Authenticate(t.Context(), f.store, string(adminToken)); err != nil {
		t.Errorf("Authenticate(admin token) error = %v after a rejected revocation, want success", err)
	}

	// A member revokes their own token, the one in use included.
	if err := f.manager.DeleteToken(t.Context(), dev, devInfo.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Authenticate(t.Context(), f.store, string(devToken)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Authenticate(revoked token) error = %v, want ErrInvalidToken", err)
	}
	wantProblem(t, f.manager.DeleteToken(t.Context(), dev, devInfo.ID), http.StatusNotFound, "token_not_found")

	// An admin revokes any token of the org, the bootstrap token in use too.
	devToken2, devInfo2, err := f.manager.CreateToken(t.Context(), dev, nil, TokenInput{Name: "ci2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.manager.DeleteToken(t.Context(), f.admin, devInfo2.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Authenticate(t.Context(), f.store, string(devToken2)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Authenticate(token revoked by admin) error = %v, want ErrInvalidToken", err)
	}
	_, rec, err := Authenticate(t.Context(), f.store, string(f.adminToken))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.manager.DeleteToken(t.Context(), f.admin, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Authenticate(t.Context(), f.store, string(f.adminToken)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Authenticate(revoked bootstrap token) error = %v, want ErrInvalidToken", err)
	}
}

func TestTokenLogValueRedacts(t *testing.T) {
	token := Token("pb_org_id_" + strings.Repeat("s", 64))
	if got := token.LogValue().String(); strings.Contains(got, "sss") {
		t.Errorf("LogValue = %q, want the token redacted", got)
	}
}
