package catalog

import (
	"reflect"
	"testing"
)

func TestCloneIsDeep(t *testing.T) {
	original := validService()
	want := validService()

	c := original.Clone()
	if !reflect.DeepEqual(c, original) {
		t.Fatalf("Clone() = %+v, want a copy equal to %+v", c, original)
	}
	c.OAuth2.TokenURL = "https://changed.example/token"
	*c.OAuth2.PKCE = false
	c.OAuth2.AuthorizationParams["prompt"] = "none"
	c.Scopes[0].Name = "changed"
	c.AllowedHosts[0] = "changed.example"

	if !reflect.DeepEqual(original, want) {
		t.Errorf("original changed through its clone: %+v", original)
	}

	keys := validAPIKeyService()
	kc := keys.Clone()
	kc.APIKey.Params[0].Name = "changed"
	if keys.APIKey.Params[0].Name != "X-API-Key" {
		t.Errorf("original api_key param changed through its clone to %q", keys.APIKey.Params[0].Name)
	}
}
