package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	services := []Service{
		{Key: "github", Name: "GitHub", Description: "Repositories and issues"},
		{Key: "google", Name: "Google", Description: "Drive, Gmail and Calendar"},
		{Key: "zoho_crm", Name: "Zoho CRM", Description: "Leads and contacts"},
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"", []string{"github", "google", "zoho_crm"}},
		{"   ", []string{"github", "google", "zoho_crm"}},
		{"GIT", []string{"github"}},
		{"go", []string{"google"}},
		{"gmail", []string{"google"}},
		{"zoho_", []string{"zoho_crm"}},
		{"crm leads", []string{"zoho_crm"}},
		{"crm drive", []string{}},
		{"and", []string{"github", "google", "zoho_crm"}},
		{"nothing", []string{}},
	}
	for _, tt := range tests {
		got := Search(services, tt.q)
		if got == nil {
			t.Errorf("Search(%q) = nil, want a non-nil list", tt.q)
		}
		keys := []string{}
		for _, s := range got {
			keys = append(keys, s.Key)
		}
		if !slices.Equal(keys, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.q, keys, tt.want)
		}
	}
}

func TestSearchDefaultCatalog(t *testing.T) {
	got := Search(Default(), "microsoft")
	if len(got) == 0 || !slices.ContainsFunc(got, func(s Service) bool { return s.Key == "microsoft" }) {
		t.Errorf("Search(Default(), %q) = %d services, want microsoft among them", "microsoft", len(got))
	}
	for _, s := range got {
		if !strings.Contains(strings.ToLower(s.Key+" "+s.Name+" "+s.Description), "microsoft") {
			t.Errorf("Search(Default(), %q) returned %q, which does not mention it", "microsoft", s.Key)
		}
	}
}
