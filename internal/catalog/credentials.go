package catalog

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// AccessTokenPlaceholder marks where a Placement's Format puts the access
// token.
const AccessTokenPlaceholder = "{access_token}"

// Placement is how a request carries an access token: the header to set and
// the value's format, which contains AccessTokenPlaceholder exactly once, such
// as Zoho's {"header": "Authorization", "format": "Zoho-oauthtoken {access_token}"}.
type Placement struct {
	Header string `json:"header"`
	Format string `json:"format"`
}

// CredentialHeader returns the header name and value that carry accessToken to
// the service's API: the service's CredentialPlacement, or
// "Authorization: Bearer <token>" when it has none.
func (s *Service) CredentialHeader(accessToken string) (name, value string) {
	if s.CredentialPlacement == nil {
		return "Authorization", "Bearer " + accessToken
	}
	p := s.CredentialPlacement
	return p.Header, strings.Replace(p.Format, AccessTokenPlaceholder, accessToken, 1)
}

// Duration is a time.Duration written in JSON as a Go duration string, such
// as "2h" or "90m".
type Duration time.Duration

// MarshalJSON writes the duration as a string, such as "2h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string, such as "2h" or "90m". JSON null
// leaves the duration unchanged, as encoding/json does for built-in types.
func (d *Duration) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return fmt.Errorf("duration %s is not a string: write it as a string with a unit, such as \"2h\" or \"90m\"", data)
	}
	parsed, err := time.ParseDuration(text)
	if err != nil {
		return fmt.Errorf("duration %s is invalid: write a number with a unit, such as \"2h\" or \"90m\"", quoteShort(text))
	}
	*d = Duration(parsed)
	return nil
}

// maxDefaultTokenLifetime bounds default_token_lifetime, so that a typo such
// as "2000h" does not keep an expired token in use for months.
const maxDefaultTokenLifetime = 7 * 24 * time.Hour

var extraNamePattern = regexp.MustCompile(`^[a-z_]+$`)

// checkCredentialSettings checks how the service's credential is used:
// api_base_url_extra, credential_placement and default_token_lifetime.
func (v *validator) checkCredentialSettings(s *Service) {
	if s.APIBaseURLExtra != "" && !extraNamePattern.MatchString(s.APIBaseURLExtra) {
		v.add("api_base_url_extra", "%s is invalid: name a token response member in lower-case letters and underscores, such as api_domain or instance_url", quoteShort(s.APIBaseURLExtra))
	}

	if p := s.CredentialPlacement; p != nil {
		switch {
		case p.Header == "":
			v.add("credential_placement.header", "is missing: name the header that carries the access token, such as Authorization")
		case !isHeaderName(p.Header):
			v.add("credential_placement.header", "%s is not a valid HTTP header name: use letters, digits and punctuation such as - or _, with no spaces or colons", quoteShort(p.Header))
		}
		switch n := strings.Count(p.Format, AccessTokenPlaceholder); {
		case n != 1:
			v.add("credential_placement.format", "%s contains %s %d times: include it exactly once, such as \"Bearer {access_token}\"", quoteShort(p.Format), AccessTokenPlaceholder, n)
		case strings.ContainsFunc(p.Format, isControl):
			v.add("credential_placement.format", "%s contains a control character: remove it, because a header value cannot contain one", quoteShort(p.Format))
		}
	}

	switch d := time.Duration(s.DefaultTokenLifetime); {
	case d < 0:
		v.add("default_token_lifetime", "%s is negative: set a positive duration, such as \"2h\", or leave it out", d)
	case d > maxDefaultTokenLifetime:
		v.add("default_token_lifetime", "%s is longer than %s: set a shorter duration, such as \"2h\"", d, maxDefaultTokenLifetime)
	}
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f
}
