package connections_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
)

func TestLinkNameFrom(t *testing.T) {
	tests := []struct {
		name        string
		displayName string
		want        string
	}{
		{"two words", "Acme devices", "acme_devices"},
		{"outer and inner spaces", "  Acme   devices  ", "acme_devices"},
		{"punctuation runs", "CRM -- (EU) / prod!!", "crm_eu_prod"},
		{"leading and trailing underscores", "__init__", "init"},
		{"digits kept", "Shop 24x7", "shop_24x7"},
		{"accented letters", "Café Zürich", "caf_z_rich"},
		{"no latin letter", "日本語", "connection"},
		{"leading digit", "2024 report", "c_2024_report"},
		{"empty", "", "connection"},
		{"punctuation only", "!!! ???", "connection"},
		{"60 letters cut to 50", strings.Repeat("a", 60), strings.Repeat("a", 50)},
		{"underscore at the cut trimmed", strings.Repeat("a", 49) + " bcdef", strings.Repeat("a", 49)},
		{"leading digit cut to 50", "1" + strings.Repeat("a", 59), "c_1" + strings.Repeat("a", 47)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := connections.LinkNameFrom(tt.displayName)
			if got != tt.want {
				t.Errorf("LinkNameFrom(%q) = %q, want %q", tt.displayName, got, tt.want)
			}
			if !connections.ValidLinkName(got) {
				t.Errorf("LinkNameFrom(%q) = %q, which ValidLinkName rejects", tt.displayName, got)
			}
		})
	}
}

func TestWithSuffix(t *testing.T) {
	tests := []struct {
		base string
		n    int
		want string
	}{
		{"crm", 2, "crm_2"},
		{strings.Repeat("a", 50), 2, strings.Repeat("a", 48) + "_2"},
		{strings.Repeat("a", 50), 10, strings.Repeat("a", 47) + "_10"},
		{strings.Repeat("a", 47) + "_bb", 2, strings.Repeat("a", 47) + "_2"},
	}
	for _, tt := range tests {
		got := connections.WithSuffix(tt.base, tt.n)
		if got != tt.want {
			t.Errorf("WithSuffix(%q, %d) = %q, want %q", tt.base, tt.n, got, tt.want)
		}
		if len(got) > 50 {
			t.Errorf("WithSuffix(%q, %d) is %d characters long, want at most 50", tt.base, tt.n, len(got))
		}
	}
}

func TestValidLinkName(t *testing.T) {
	tests := []struct {
		link string
		want bool
	}{
		{"crm", true},
		{"a", true},
		{"crm_eu_2", true},
		{"crm_", true},
		{strings.Repeat("a", 50), true},
		{strings.Repeat("a", 51), false},
		{"", false},
		{"Crm", false},
		{"1crm", false},
		{"_crm", false},
		{"crm-eu", false},
		{"crm eu", false},
		{"crm\n", false},
		{"crmé", false},
	}
	for _, tt := range tests {
		if got := connections.ValidLinkName(tt.link); got != tt.want {
			t.Errorf("ValidLinkName(%q) = %t, want %t", tt.link, got, tt.want)
		}
	}
}

func TestCreateConnectionDerivesLinkName(t *testing.T) {
	f := newFixture(t)

	var got []string
	for range 3 {
		conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
		got = append(got, conn.LinkName)
	}

	want := []string{"acme_devices", "acme_devices_2", "acme_devices_3"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("link name of connection %d = %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestCreateConnectionLongNameSuffix(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("Long", 15) // 60 letters

	var got []string
	for range 3 {
		conn := f.createConnection(t, f.developer, connectionInput(long))
		got = append(got, conn.LinkName)
	}

	base := strings.Repeat("long", 15)
	want := []string{base[:50], base[:48] + "_2", base[:48] + "_3"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("link name of connection %d = %q, want %q", i+1, got[i], want[i])
		}
		if len(got[i]) > 50 {
			t.Errorf("link name %q is %d characters long, want at most 50", got[i], len(got[i]))
		}
	}
}

func TestCreateConnectionDerivedAfterExplicit(t *testing.T) {
	f := newFixture(t)
	in := connectionInput("Something else")
	in.LinkName = "acme_devices"
	f.createConnection(t, f.developer, in)

	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	if conn.LinkName != "acme_devices_2" {
		t.Errorf("link name = %q, want %q", conn.LinkName, "acme_devices_2")
	}
}

func TestCreateConnectionExplicitLinkName(t *testing.T) {
	f := newFixture(t)
	in := connectionInput("Acme devices")
	in.LinkName = "crm_eu"

	conn := f.createConnection(t, f.developer, in)

	if conn.LinkName != "crm_eu" {
		t.Errorf("link name = %q, want %q", conn.LinkName, "crm_eu")
	}
	stored, err := f.manager.Connection(f.ctx, testOrgID, "crm_eu")
	if err != nil {
		t.Fatalf("Connection(crm_eu): %v", err)
	}
	if stored.ID != conn.ID {
		t.Errorf("stored connection ID = %q, want %q", stored.ID, conn.ID)
	}
}

func TestCreateConnectionInvalidLinkName(t *testing.T) {
	for _, link := range []string{"Crm", "1crm", "_crm", "crm-eu", "crm eu", strings.Repeat("a", 51)} {
		t.Run(link, func(t *testing.T) {
			f := newFixture(t)
			in := connectionInput("Acme devices")
			in.LinkName = link

			_, err := f.manager.CreateConnection(f.ctx, f.developer, in)

			f.wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_link_name")
		})
	}
}

func TestCreateConnectionLinkNameTaken(t *testing.T) {
	f := newFixture(t)
	in := connectionInput("Acme devices")
	in.LinkName = "crm"
	f.createConnection(t, f.developer, in)

	second := connectionInput("Other")
	second.LinkName = "crm"
	_, err := f.manager.CreateConnection(f.ctx, f.otherDeveloper, second)

	p := f.wantProblem(t, err, http.StatusConflict, "link_name_taken")
	if !strings.Contains(p.Detail, `"crm"`) {
		t.Errorf("detail %q does not name the link name", p.Detail)
	}
}

func TestUpdateConnectionLinkNameImmutable(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	_, err := f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName, connections.ConnectionInput{LinkName: "renamed"})
	f.wantProblem(t, err, http.StatusUnprocessableEntity, "immutable_field")

	updated, err := f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName, connections.ConnectionInput{Name: ptr("Renamed devices")})
	if err != nil {
		t.Fatalf("renaming: %v", err)
	}
	if updated.LinkName != "acme_devices" {
		t.Errorf("link name after rename = %q, want %q", updated.LinkName, "acme_devices")
	}
	if _, err := f.manager.Connection(f.ctx, testOrgID, "renamed"); err == nil {
		t.Errorf("Connection(renamed) found a connection, want none")
	}
	if _, err := f.manager.Connection(f.ctx, testOrgID, "renamed_devices"); err == nil {
		t.Errorf("Connection(renamed_devices) found a connection, want none")
	}
}
