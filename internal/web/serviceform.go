package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/problem"
)

// Blank rows that the service form offers below the filled ones. Without
// JavaScript, the "Add a row" buttons post the form back with one more.
const (
	blankParamRows = 1
	blankScopeRows = 2
)

// serviceFormView is the data of the custom service form.
type serviceFormView struct {
	Form *form
	// Key is the service being edited, or empty on the new-service form.
	Key      string
	BasedOn  string
	Defaults []catalog.Service
	Params   []paramRow
	Scopes   []scopeFormRow
	// Errors lists the problems that belong to no one field.
	Errors []string
}

// paramRow is one API key parameter row of the form.
type paramRow struct {
	Index     int
	Number    int // Index + 1, for labels
	Name, In  string
	NameError string
	InError   string
}

// scopeFormRow is one scope row of the service form.
type scopeFormRow struct {
	Index       int
	Number      int // Index + 1, for labels
	Name        string
	Description string
	NameError   string
}

// authTypes are the auth types the form offers, in order.
var authTypes = []catalog.AuthType{
	catalog.AuthOAuth2, catalog.AuthOAuth2ClientCredentials, catalog.AuthAPIKey, catalog.AuthBasic, catalog.AuthNone,
}

func (s *Server) newServicePage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "create services")
	}
	f := newForm(url.Values{"auth_type": {string(catalog.AuthOAuth2)}, "token_auth_method": {catalog.ClientSecretBasic}})
	return s.renderServiceForm(w, r, sess, http.StatusOK, f, "")
}

func (s *Server) editServicePage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "change services")
	}
	svc, err := s.conns.Service(r.Context(), sess.Actor.OrgID, r.PathValue("key"))
	if err != nil {
		return err
	}
	if svc.Kind != catalog.KindCustom {
		return forbidden(fmt.Sprintf("%s is a default service from the catalog, which cannot be changed. Create a custom service based on it instead.", svc.Name))
	}
	return s.renderServiceForm(w, r, sess, http.StatusOK, newForm(serviceValues(svc)), svc.Key)
}

// renderServiceForm renders the form with its rows and the errors on f.
// general are errors of fields that the form does not show.
func (s *Server) renderServiceForm(w http.ResponseWriter, r *http.Request, sess *session, status int, f *form, key string, general ...string) error {
	v := serviceFormView{Form: f, Key: key, BasedOn: f.Get("based_on"), Errors: general}
	if key == "" {
		v.Defaults = catalog.Default()
	}

	params, scopes := paramRows(f), scopeRows(f)
	extraParams, extraScopes := blankParamRows, blankScopeRows
	switch f.Get("action") {
	case "add_param":
		extraParams++
	case "add_scope":
		extraScopes++
	}

	for range extraParams {
		params = append(params, paramRow{In: "header"})
	}
	for range extraScopes {
		scopes = append(scopes, scopeFormRow{})
	}

	for i := range params {
		params[i].Index, params[i].Number = i, i+1
		params[i].NameError = f.Error("param_name." + strconv.Itoa(i))
		params[i].InError = f.Error("param_in." + strconv.Itoa(i))
	}
	for i := range scopes {
		scopes[i].Index, scopes[i].Number = i, i+1
		scopes[i].NameError = f.Error("scope_name." + strconv.Itoa(i))
	}
	v.Params, v.Scopes = params, scopes
	s.render(w, r, status, "serviceform", sess, v)
	return nil
}

// paramRows returns the filled API key parameter rows of f.
func paramRows(f *form) []paramRow {
	names, places := f.Values["param_name"], f.Values["param_in"]
	var rows []paramRow
	for i, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		rows = append(rows, paramRow{Name: name, In: valueAt(places, i)})
	}
	return rows
}

// scopeRows returns the filled scope rows of f.
func scopeRows(f *form) []scopeFormRow {
	names, descriptions := f.Values["scope_name"], f.Values["scope_description"]
	var rows []scopeFormRow
	for i, name := range names {
		name = strings.TrimSpace(name)
		desc := strings.TrimSpace(valueAt(descriptions, i))
		if name == "" && desc == "" {
			continue
		}
		rows = append(rows, scopeFormRow{Name: name, Description: desc})
	}
	return rows
}

// serviceValues returns the form values that show svc.
func serviceValues(svc catalog.Service) url.Values {
	v := url.Values{}
	set := func(name, value string) {
		if value != "" {
			v.Set(name, value)
		}
	}

	set("key", svc.Key)
	set("name", svc.Name)
	set("description", svc.Description)
	set("based_on", svc.BasedOn)
	set("auth_type", string(svc.AuthType))

	if o := svc.OAuth2; o != nil {
		set("authorization_url", o.AuthorizationURL)
		set("token_url", o.TokenURL)
		set("revocation_url", o.RevocationURL)
		set("token_auth_method", o.TokenAuthMethod)
		set("scope_separator", o.ScopeSeparator)
		set("token_path", o.TokenPath)
		if o.PKCE != nil {
			v.Set("pkce", map[bool]string{true: "on", false: "off"}[*o.PKCE])
		}
		var lines []string
		for name, value := range o.AuthorizationParams {
			lines = append(lines, name+"="+value)
		}
		slices.Sort(lines)
		set("authorization_params", strings.Join(lines, "\n"))
	}

	if svc.APIKey != nil {
		for _, p := range svc.APIKey.Params {
			v.Add("param_name", p.Name)
			v.Add("param_in", p.In)
		}
	}
	for _, sc := range svc.Scopes {
		v.Add("scope_name", sc.Name)
		v.Add("scope_description", sc.Description)
	}
	if svc.FreeScopes {
		v.Set("free_scopes", "on")
	}

	set("api_base_url", svc.APIBaseURL)
	set("allowed_hosts", strings.Join(svc.AllowedHosts, "\n"))
	set("docs_url", svc.DocsURL)
	return v
}

// serviceFromForm builds a service definition from the form. Errors of the
// form's own syntax, such as an authorization parameter without "=", are
// set on f.
func serviceFromForm(f *form) catalog.Service {
	svc := catalog.Service{
		Key:         strings.TrimSpace(f.Get("key")),
		Name:        strings.TrimSpace(f.Get("name")),
		Description: strings.TrimSpace(f.Get("description")),
		BasedOn:     f.Get("based_on"),
		AuthType:    catalog.AuthType(f.Get("auth_type")),
		FreeScopes:  f.Has("free_scopes", "on"),
		APIBaseURL:  strings.TrimSpace(f.Get("api_base_url")),
		DocsURL:     strings.TrimSpace(f.Get("docs_url")),
	}
	svc.AllowedHosts = formLines(f.Get("allowed_hosts"))
	for _, row := range scopeRows(f) {
		svc.Scopes = append(svc.Scopes, catalog.Scope{Name: row.Name, Description: row.Description})
	}

	oauthFields := []string{"authorization_url", "token_url", "revocation_url", "token_auth_method", "scope_separator", "token_path", "authorization_params", "pkce"}
	anyOAuth := slices.ContainsFunc(oauthFields, func(name string) bool { return strings.TrimSpace(f.Get(name)) != "" })
	isOAuth := svc.AuthType == catalog.AuthOAuth2 || svc.AuthType == catalog.AuthOAuth2ClientCredentials
	if isOAuth && (svc.BasedOn == "" || anyOAuth) || svc.AuthType == "" && svc.BasedOn != "" && anyOAuth {
		svc.OAuth2 = oauth2FromForm(f)
	}

	params := paramRows(f)
	isKey := svc.AuthType == catalog.AuthAPIKey
	if isKey && (svc.BasedOn == "" || len(params) > 0) || svc.AuthType == "" && svc.BasedOn != "" && len(params) > 0 {
		svc.APIKey = &catalog.APIKeySettings{Params: []catalog.APIKeyParam{}}
		for _, row := range params {
			svc.APIKey.Params = append(svc.APIKey.Params, catalog.APIKeyParam{Name: row.Name, In: row.In})
		}
	}
	return svc
}

func oauth2FromForm(f *form) *catalog.OAuth2Settings {
	o := &catalog.OAuth2Settings{
		AuthorizationURL: strings.TrimSpace(f.Get("authorization_url")),
		TokenURL:         strings.TrimSpace(f.Get("token_url")),
		RevocationURL:    strings.TrimSpace(f.Get("revocation_url")),
		TokenAuthMethod:  f.Get("token_auth_method"),
		ScopeSeparator:   f.Get("scope_separator"),
		TokenPath:        strings.TrimSpace(f.Get("token_path")),
	}
	switch f.Get("pkce") {
	case "on":
		o.PKCE = new(true)
	case "off":
		o.PKCE = new(false)
	}
	for i, line := range strings.Split(f.Get("authorization_params"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			f.Fail("authorization_params", fmt.Sprintf("Line %d, %q, has no \"=\": write one parameter per line as name=value, such as prompt=consent.", i+1, line))
			continue
		}
		if o.AuthorizationParams == nil {
			o.AuthorizationParams = map[string]string{}
		}
		o.AuthorizationParams[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return o
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "create services")
	}
	f := newForm(r.PostForm)
	if f.Get("action") != "" {
		return s.renderServiceForm(w, r, sess, http.StatusOK, f, "")
	}
	svc := serviceFromForm(f)
	if f.Failed() {
		return s.renderServiceForm(w, r, sess, http.StatusUnprocessableEntity, f, "")
	}
	created, err := s.conns.CreateService(r.Context(), sess.Actor, svc)
	if err != nil {
		general, failErr := s.failServiceForm(r, f, err)
		if failErr != nil {
			return failErr
		}
		return s.renderServiceForm(w, r, sess, formStatus(err), f, "", general...)
	}
	s.logger.Info("custom service created", "org_id", sess.Actor.OrgID, "service", created.Key, "user_id", sess.Actor.UserID)
	return redirect(w, r, "/services/"+url.PathEscape(created.Key), "service_created")
}

func (s *Server) updateService(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "change services")
	}

	f := newForm(r.PostForm)
	f.Values.Set("key", key)
	if f.Get("action") != "" {
		return s.renderServiceForm(w, r, sess, http.StatusOK, f, key)
	}
	next := serviceFromForm(f)
	if f.Failed() {
		return s.renderServiceForm(w, r, sess, http.StatusUnprocessableEntity, f, key)
	}

	_, err := s.conns.UpdateService(r.Context(), sess.Actor, key, func(svc *catalog.Service) error {
		// The form does not show regions and the credential settings of
		// the catalog format, so they stay as they are.
		next.Regions, next.DefaultRegion = svc.Regions, svc.DefaultRegion
		next.APIBaseURLExtra, next.CredentialPlacement = svc.APIBaseURLExtra, svc.CredentialPlacement
		next.DefaultTokenLifetime, next.BasedOn = svc.DefaultTokenLifetime, svc.BasedOn
		*svc = next
		return nil
	})
	if err != nil {
		general, failErr := s.failServiceForm(r, f, err)
		if failErr != nil {
			return failErr
		}
		return s.renderServiceForm(w, r, sess, formStatus(err), f, key, general...)
	}
	s.logger.Info("custom service updated", "org_id", sess.Actor.OrgID, "service", key, "user_id", sess.Actor.UserID)
	return redirect(w, r, "/services/"+url.PathEscape(key), "service_saved")
}

// failServiceForm puts the errors of a rejected service next to their
// fields: the catalog's field errors one by one, and other problems by code.
// It returns the errors of fields that the form does not show.
func (s *Server) failServiceForm(r *http.Request, f *form, err error) ([]string, error) {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 {
		return nil, err
	}
	fieldErrors, _ := p.Extra["errors"].([]map[string]string)
	if len(fieldErrors) > 0 {
		s.logRejected(r, p)
	}
	if len(fieldErrors) == 0 {
		return nil, s.failForm(r, f, err, func(p *problem.Error) string {
			switch {
			case p.Code == "service_exists":
				return "key"
			case strings.HasPrefix(p.Detail, "based_on"):
				return "based_on"
			}
			return ""
		})
	}
	var general []string
	for _, fe := range fieldErrors {
		field, label := serviceField(fe["field"])
		msg := sentence(strings.TrimSpace(label + " " + fe["message"]))
		if field == "" {
			general = append(general, msg)
			continue
		}
		if f.Error(field) == "" {
			f.Fail(field, msg)
		}
	}
	return general, nil
}

var (
	paramFieldPattern = regexp.MustCompile(`^api_key\.params\[(\d+)\]\.(name|in)$`)
	scopeFieldPattern = regexp.MustCompile(`^scopes\[(\d+)\]\.name$`)
	hostFieldPattern  = regexp.MustCompile(`^allowed_hosts\[(\d+)\]$`)
)

// serviceFieldLabels are the form's labels of the catalog's fields, which
// start the messages shown next to them.
var serviceFieldLabels = map[string]string{
	"key": "Key", "name": "Name", "description": "Description", "auth_type": "Auth type",
	"api_base_url": "API base URL", "docs_url": "Documentation URL",
	"oauth2.authorization_url": "Authorization URL", "oauth2.token_url": "Token URL",
	"oauth2.revocation_url": "Revocation URL", "oauth2.token_auth_method": "Client authentication",
	"oauth2.token_path": "Token path", "oauth2.scope_separator": "Scope separator",
	"oauth2": "OAuth 2.0 settings", "api_key": "API key settings", "api_key.params": "The parameter list",
}

// serviceField returns the form field and label of a catalog field path,
// or an empty field for one the form does not show.
func serviceField(path string) (field, label string) {
	if m := paramFieldPattern.FindStringSubmatch(path); m != nil {
		if m[2] == "name" {
			return "param_name." + m[1], "Parameter name"
		}
		return "param_in." + m[1], "Location"
	}
	if m := scopeFieldPattern.FindStringSubmatch(path); m != nil {
		return "scope_name." + m[1], "Scope name"
	}
	if m := hostFieldPattern.FindStringSubmatch(path); m != nil {
		n, _ := strconv.Atoi(m[1])
		return "allowed_hosts", fmt.Sprintf("Line %d:", n+1)
	}
	if strings.HasPrefix(path, "oauth2.authorization_params") {
		return "authorization_params", "Parameter " + strings.TrimPrefix(strings.TrimPrefix(path, "oauth2.authorization_params"), ".")
	}
	label, known := serviceFieldLabels[path]
	switch path {
	case "oauth2":
		return "auth_type", label
	case "api_key", "api_key.params":
		return "params", label
	}
	if !known {
		return "", path
	}
	return strings.TrimPrefix(path, "oauth2."), label
}
