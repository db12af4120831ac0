package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// snippetBody is one snippet as GET /v1/connections/{link}/code returns it.
type snippetBody struct {
	Lang  string `json:"lang"`
	Label string `json:"label"`
	Code  string `json:"code"`
}

// sampleConnection creates an api_key service on up with a sample path and
// a connected connection to it, and returns the connection's link name.
func sampleConnection(t *testing.T, s *stack, up *upstream) string {
	t.Helper()
	def := apiKeyService("acme_keys", up.server.URL+"/base", "X-API-Key", "header")
	def["sample_path"] = "/devices?limit=5"
	s.createService(def)
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme keys", "service": "acme_keys"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"X-API-Key": testAPIKey})
	return conn.LinkName
}

func TestSampleCodeAllLanguages(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := sampleConnection(t, s, up)

	resp := s.admin("GET", "/v1/connections/"+link+"/code", nil)
	wantStatus(t, resp, http.StatusOK)
	items := decode[struct {
		Items []snippetBody `json:"items"`
	}](t, resp).Items

	var langs []string
	for _, item := range items {
		langs = append(langs, item.Lang)
		if item.Label == "" {
			t.Errorf("%s: label is empty", item.Lang)
		}
	}
	if want := []string{"deluge", "json", "curl", "go", "python", "javascript"}; !slices.Equal(langs, want) {
		t.Fatalf("langs = %v, want %v", langs, want)
	}

	apiURL := up.server.URL + "/base/devices?limit=5"
	proxyURL := s.url + "/v1/connections/" + link + "/proxy/devices?limit=5"
	wants := map[string]string{
		"deluge": `url: "` + apiURL + `"`, "json": `"url": "` + apiURL + `"`,
		"curl": "'" + proxyURL + "'", "go": `"` + proxyURL + `"`, "python": `"` + proxyURL + `"`, "javascript": `"` + proxyURL + `"`,
	}
	for _, item := range items {
		if !strings.Contains(item.Code, wants[item.Lang]) {
			t.Errorf("%s code does not contain %s:\n%s", item.Lang, wants[item.Lang], item.Code)
		}
	}
}

func TestSampleCodeOneLanguage(t *testing.T) {
	s := newStack(t)
	link := sampleConnection(t, s, newUpstream(t))

	got := decode[snippetBody](t, s.admin("GET", "/v1/connections/"+link+"/code?lang=deluge", nil))
	if got.Lang != "deluge" || got.Label != "Deluge" {
		t.Errorf("lang, label = %q, %q, want deluge, Deluge", got.Lang, got.Label)
	}
	if !strings.HasPrefix(got.Code, `// Key service acme_keys through the connection "`+link+`"`) {
		t.Errorf("deluge code does not start with the summary comment:\n%s", got.Code)
	}
}

func TestSampleCodeUnknownLanguage(t *testing.T) {
	s := newStack(t)
	link := sampleConnection(t, s, newUpstream(t))

	for _, lang := range []string{"cobol", "", "Deluge"} {
		resp := s.admin("GET", "/v1/connections/"+link+"/code?lang="+lang, nil)
		p := wantProblem(t, resp, http.StatusBadRequest, "unknown_lang")
		if !strings.Contains(p.Detail, `"`+lang+`"`) {
			t.Errorf("lang %q: detail %q does not name the value", lang, p.Detail)
		}
		if !strings.Contains(p.Detail, "deluge, json, curl, go, python, javascript") {
			t.Errorf("lang %q: detail %q does not list the accepted languages", lang, p.Detail)
		}
		members := decode[struct {
			Lang     string   `json:"lang"`
			Accepted []string `json:"accepted"`
		}](t, resp)
		if members.Lang != lang || len(members.Accepted) != 6 {
			t.Errorf("lang %q: members lang = %q, accepted = %v", lang, members.Lang, members.Accepted)
		}
	}
}

func TestSampleCodeViewerMayRead(t *testing.T) {
	s := newStack(t)
	link := sampleConnection(t, s, newUpstream(t))
	viewer := s.addUser("vera", "viewer")

	resp := s.do("GET", "/v1/connections/"+link+"/code?lang=curl", viewer, nil)
	wantStatus(t, resp, http.StatusOK)
	if code := decode[snippetBody](t, resp).Code; !strings.Contains(code, "$PLUGBOARD_TOKEN") {
		t.Errorf("curl code does not read PLUGBOARD_TOKEN:\n%s", code)
	}
}

func TestSampleCodeUnknownConnection(t *testing.T) {
	s := newStack(t)
	wantProblem(t, s.admin("GET", "/v1/connections/nope/code", nil), http.StatusNotFound, "connection_not_found")
}

// TestSampleCodeJSONInvokes sends the json snippet to POST /v1/invoke as
// it is and checks that the upstream received the call with the key.
func TestSampleCodeJSONInvokes(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := sampleConnection(t, s, up)

	code := decode[snippetBody](t, s.admin("GET", "/v1/connections/"+link+"/code?lang=json", nil)).Code
	wantStatus(t, s.admin("POST", "/v1/invoke", code), http.StatusOK)

	req := up.only(t)
	if req.Method != "GET" || req.Path != "/base/devices" || req.RawQuery != "limit=5" {
		t.Errorf("upstream got %s %s?%s, want GET /base/devices?limit=5", req.Method, req.Path, req.RawQuery)
	}
	if got := req.Header.Get("X-API-Key"); got != testAPIKey {
		t.Errorf("X-API-Key = %q, want the connection's key", got)
	}
}

func TestServiceRejectsBadSamplePath(t *testing.T) {
	s := newStack(t)
	def := apiKeyService("acme_keys", "https://api.acme.example", "X-API-Key", "header")
	def["sample_path"] = "https://evil.example/x"
	p := wantProblem(t, s.admin("POST", "/v1/services", def), http.StatusUnprocessableEntity, "invalid_service")
	if len(p.Errors) != 1 || p.Errors[0].Field != "sample_path" {
		t.Errorf("errors = %+v, want one for sample_path", p.Errors)
	}
}
