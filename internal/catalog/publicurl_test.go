package catalog

import "testing"

func TestWithPublicURL(t *testing.T) {
	svc, ok := Lookup("plugboard")
	if !ok {
		t.Fatal(`Lookup("plugboard") found nothing`)
	}
	got := svc.WithPublicURL("https://plugboard.example/")

	checks := []struct{ field, got, want string }{
		{"api_base_url", got.APIBaseURL, "https://plugboard.example/v1"},
		{"oauth2.authorization_url", got.OAuth2.AuthorizationURL, "https://plugboard.example/oauth2/authorize"},
		{"oauth2.token_url", got.OAuth2.TokenURL, "https://plugboard.example/oauth2/token"},
		{"oauth2.revocation_url", got.OAuth2.RevocationURL, "https://plugboard.example/oauth2/revoke"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if svc.APIBaseURL != PublicURLPlaceholder+"/v1" {
		t.Errorf("WithPublicURL changed the catalog's copy: api_base_url = %q", svc.APIBaseURL)
	}
}

func TestValidatePublicURLPlaceholder(t *testing.T) {
	svc := Service{
		Key: "self", Name: "Self", AuthType: AuthNone, Scopes: []Scope{},
		APIBaseURL: PublicURLPlaceholder + "/v1",
	}
	if err := svc.Validate(); err != nil {
		t.Errorf("Validate() with %s = %v, want nil", PublicURLPlaceholder, err)
	}

	svc.APIBaseURL = "{public_host}/v1"
	if err := svc.Validate(); err == nil {
		t.Error("Validate() with an unknown placeholder and no regions = nil, want an error")
	}
}
