package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestSamplePathAccepted(t *testing.T) {
	for _, p := range []string{
		"",
		"/",
		"/crm/v2/Leads",
		"/users/@me",
		"/search?q=a%20b&limit=5",
		"/files/group%2Fproject",
		"/o'brien",
	} {
		s := validService()
		s.SamplePath = p
		if err := s.Validate(); err != nil {
			t.Errorf("sample_path %q: Validate() = %v", p, err)
		}
	}
}

func TestSamplePathRejected(t *testing.T) {
	tests := []struct {
		path, message string
	}{
		{"crm/v2/Leads", "start it with a single /"},
		{"//evil.example/x", "start it with a single /"},
		{"https://api.acme.example/x", "start it with a single /"},
		{"/a b", "percent-encode it"},
		{"/a\nb", "percent-encode it"},
		{`/a"b`, "percent-encode it"},
		{`/a\b`, "percent-encode it"},
		{"/a${b}", "percent-encode it"},
		{"/</script>", "percent-encode it"},
		{"/caf\u00e9", "percent-encode it"},
		{"/a#frag", "fragment"},
		{"/a%zz", "percent-encoding"},
		{"/a/../b", `".." segment`},
		{"/a/./b", `"." segment`},
	}
	for _, tt := range tests {
		s := validService()
		s.SamplePath = tt.path
		err := s.Validate()
		if got := fieldsOf(err); !slices.Equal(got, []string{"sample_path"}) {
			t.Errorf("sample_path %q: fields = %v, want [sample_path]", tt.path, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("sample_path %q: error %q does not contain %q", tt.path, err, tt.message)
		}
	}
}

func TestSamplePathFromBase(t *testing.T) {
	base := validService()
	base.SamplePath = "/devices"
	custom := Service{Key: "acme_more", Name: "Acme more"}
	custom.ApplyBase(base)
	if custom.SamplePath != "/devices" {
		t.Errorf("SamplePath = %q, want /devices from the base service", custom.SamplePath)
	}
}

func TestSamplePathNormalized(t *testing.T) {
	s := validService()
	s.SamplePath = "  /devices \n"
	s.Normalize()
	if s.SamplePath != "/devices" {
		t.Errorf("SamplePath = %q, want /devices", s.SamplePath)
	}
}
