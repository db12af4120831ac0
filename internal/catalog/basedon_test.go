package catalog

import (
	"slices"
	"testing"
)

func TestApplyBaseExtendsDefaultService(t *testing.T) {
	base, ok := Lookup("zoho_crm")
	if !ok {
		t.Fatal("zoho_crm is not in the catalog")
	}
	custom := Service{
		Key: "zoho_crm_plus", Name: "Zoho CRM with bulk", BasedOn: "zoho_crm",
		Scopes: []Scope{{Name: "ZohoCRM.bulk.ALL", Description: "Bulk read and write"}},
		OAuth2: &OAuth2Settings{AuthorizationParams: map[string]string{"prompt": "select_account"}},
	}
	custom.ApplyBase(base)
	custom.Normalize()

	if err := custom.Validate(); err != nil {
		t.Fatalf("extended service is invalid: %v", err)
	}
	if custom.Key != "zoho_crm_plus" || custom.Name != "Zoho CRM with bulk" {
		t.Errorf("key and name = %q, %q; want the custom ones kept", custom.Key, custom.Name)
	}
	if custom.OAuth2.TokenURL != base.OAuth2.TokenURL || custom.OAuth2.TokenAuthMethod != base.OAuth2.TokenAuthMethod {
		t.Errorf("token endpoint %q with %q, want the base's %q with %q",
			custom.OAuth2.TokenURL, custom.OAuth2.TokenAuthMethod, base.OAuth2.TokenURL, base.OAuth2.TokenAuthMethod)
	}
	if got := custom.OAuth2.AuthorizationParams["prompt"]; got != "select_account" {
		t.Errorf("prompt = %q, want the custom select_account", got)
	}
	if got := custom.OAuth2.AuthorizationParams["access_type"]; got != base.OAuth2.AuthorizationParams["access_type"] {
		t.Errorf("access_type = %q, want the base's", got)
	}
	if len(custom.Scopes) != len(base.Scopes)+1 || !custom.HasScope("ZohoCRM.bulk.ALL") || !custom.HasScope(base.Scopes[0].Name) {
		t.Errorf("scopes = %d, want the base's %d plus the added one", len(custom.Scopes), len(base.Scopes))
	}
	if !slices.Equal(custom.RegionIDs(), base.RegionIDs()) || custom.CredentialPlacement == nil {
		t.Errorf("regions %v and placement %v, want the base's", custom.RegionIDs(), custom.CredentialPlacement)
	}

	// The base in the catalog is unchanged.
	again, _ := Lookup("zoho_crm")
	if len(again.Scopes) != len(base.Scopes) || again.OAuth2.AuthorizationParams["prompt"] == "select_account" {
		t.Errorf("extending changed the catalog's zoho_crm")
	}
}
