package oauth

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Token is a normalized token response (RFC 6749 section 5.1).
//
// Token redacts the access token, the refresh token and Extra when printed
// with fmt or logged with slog. Those forms show the type, the expiry, the
// scopes, whether each token is present and the number of extra members.
// Encoding a Token as JSON is not redacted.
type Token struct {
	AccessToken string

	// TokenType is the canonical spelling of the type ("Bearer", "DPoP" or
	// "MAC") whatever case the provider used. Other types, such as Slack's
	// "bot", are kept as sent, and an absent type is empty.
	TokenType string

	// RefreshToken is empty when the response carried none.
	RefreshToken string

	// Expiry is when the access token expires. The zero time means the
	// response had no expires_in, or an expires_in of 0, so no expiry is known.
	Expiry time.Time

	// Scopes are the granted scopes, meaningful only when ScopeReturned is
	// true. RFC 6749 section 5.1 lets a provider omit scope when it granted
	// exactly the requested scopes.
	Scopes        []string
	ScopeReturned bool

	// Extra contains the response members this package does not interpret,
	// such as api_domain, instance_url or id_token. JSON numbers are kept as
	// json.Number and form values as strings.
	Extra map[string]any
}

// String returns the redacted form of the token.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("{AccessToken:")
	b.WriteString(redactedIfSet(t.AccessToken))
	fmt.Fprintf(&b, " TokenType:%s", t.TokenType)
	fmt.Fprintf(&b, " RefreshToken:%s", redactedIfSet(t.RefreshToken))
	fmt.Fprintf(&b, " Expiry:%s", t.expiryText())
	fmt.Fprintf(&b, " Scopes:%v", t.Scopes)
	fmt.Fprintf(&b, " ScopeReturned:%t", t.ScopeReturned)
	fmt.Fprintf(&b, " Extra:%d members}", len(t.Extra))
	return b.String()
}

// GoString returns the redacted form of the token for %#v.
func (t Token) GoString() string {
	return "oauth.Token" + t.String()
}

// Format prints the redacted form for every verb, so no verb such as %s, %x
// or %d can print a token.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, t.GoString())
		return
	}
	fmt.Fprint(f, t.String())
}

// LogValue returns the type, the expiry, the scopes and whether a refresh
// token is present.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("token_type", t.TokenType),
		slog.String("expiry", t.expiryText()),
		slog.Bool("has_refresh_token", t.RefreshToken != ""),
	}
	if t.ScopeReturned {
		attrs = append(attrs, slog.Any("scopes", t.Scopes))
	}
	return slog.GroupValue(attrs...)
}

// OAuth2 converts the token to an *oauth2.Token, with Extra as its extra
// members, for code built on golang.org/x/oauth2.
func (t Token) OAuth2() *oauth2.Token {
	token := &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}
	extra := make(map[string]any, len(t.Extra)+1)
	for key, value := range t.Extra {
		extra[key] = value
	}
	if t.ScopeReturned {
		extra["scope"] = strings.Join(t.Scopes, " ")
	}
	return token.WithExtra(extra)
}

func (t Token) expiryText() string {
	if t.Expiry.IsZero() {
		return "none"
	}
	return t.Expiry.UTC().Format(time.RFC3339)
}

func redactedIfSet(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}
