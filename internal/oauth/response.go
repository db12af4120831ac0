package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/plugboard/plugboard/internal/catalog"
)

// maxExpiresIn caps expires_in at 2^31-1 seconds, about 68 years, as
// golang.org/x/oauth2 does, so the expiry cannot overflow time.Duration.
const maxExpiresIn = math.MaxInt32

// isKnownMember reports whether the response member is interpreted here
// rather than kept in Token.Extra.
func isKnownMember(name string) bool {
	switch name {
	case "access_token", "token_type", "refresh_token", "expires_in", "expires_in_sec", "scope",
		"error", "error_description", "error_uri", "ok":
		return true
	}
	return false
}

// parseMembers decodes an endpoint response body into its members. A body is
// JSON when its content type is JSON or when it starts with '{', because some
// providers label JSON as text/plain. Otherwise a form-encoded, text/plain or
// unlabeled body is parsed as a form, as GitHub sends without an Accept header.
// JSON numbers become json.Number and form values strings.
func parseMembers(contentType string, body []byte) (map[string]any, error) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = ""
	}
	body = bytes.TrimSpace(body)

	switch {
	case mediaType == "application/json", strings.HasSuffix(mediaType, "+json"),
		bytes.HasPrefix(body, []byte("{")):
		return parseJSONMembers(body)
	case mediaType == "application/x-www-form-urlencoded", mediaType == "text/plain", mediaType == "":
		return parseFormMembers(body)
	default:
		return nil, fmt.Errorf("unsupported content type %q: expected JSON or form-encoded; check the endpoint URL", mediaType)
	}
}

func parseJSONMembers(body []byte) (map[string]any, error) {
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	var members map[string]any
	if err := decoder.Decode(&members); err != nil {
		return nil, fmt.Errorf("invalid JSON body: %w", err)
	}
	if _, err := decoder.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON body: data after the top-level object")
	}
	if members == nil {
		return nil, errors.New("invalid JSON body: expected an object, got null")
	}
	return members, nil
}

func parseFormMembers(body []byte) (map[string]any, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("invalid form-encoded body: %w", err)
	}
	members := make(map[string]any, len(values))
	for name := range values {
		members[name] = values.Get(name)
	}
	return members, nil
}

// errorFromMembers returns the error a response reports, or nil. An error
// member that is a non-empty string is the RFC 6749 form. An object with
// "code" and "message" is accepted too (Facebook's Graph API). Slack reports
// failure with "ok": false next to a string error member. Every secret in
// secrets is redacted from the code, the description and the URI, because
// some providers repeat request values there.
func errorFromMembers(members map[string]any, status int, secrets []string) *Error {
	oauthErr := &Error{StatusCode: status}
	switch value := members["error"].(type) {
	case string:
		if value == "" {
			return okFalseError(members, status)
		}
		oauthErr.Code = redactString(value, secrets)
	case map[string]any:
		code, _ := value["code"].(string)
		description, _ := value["message"].(string)
		oauthErr.Code = redactString(code, secrets)
		oauthErr.Description = truncateDescription(redactString(description, secrets))
		return oauthErr
	case nil:
		return okFalseError(members, status)
	default:
		// An error member of another JSON type still marks a failure.
	}

	description, _ := members["error_description"].(string)
	uri, _ := members["error_uri"].(string)
	oauthErr.Description = truncateDescription(redactString(description, secrets))
	oauthErr.URI = redactString(uri, secrets)
	return oauthErr
}

// okFalseError returns an *Error without a code for a Slack-style response
// with "ok": false and no error member, or nil.
func okFalseError(members map[string]any, status int) *Error {
	if ok, isBool := members["ok"].(bool); isBool && !ok {
		return &Error{Description: `response has "ok": false`, StatusCode: status}
	}
	return nil
}

// tokenFromMembers normalizes a successful token response. The token
// members come from the object at settings.TokenPath, or from the top level
// when it is empty. expires_in is counted from now.
func tokenFromMembers(members map[string]any, settings *catalog.OAuth2Settings, now time.Time) (*Token, error) {
	tokenMembers := members
	var path []string
	if settings.TokenPath != "" {
		path = strings.Split(settings.TokenPath, ".")
		var err error
		if tokenMembers, err = objectAtPath(members, path); err != nil {
			return nil, err
		}
	}

	token, err := tokenFromObject(tokenMembers, settings.Separator(), now)
	if err != nil {
		return nil, err
	}
	token.Extra = extraMembers(members, path)
	return token, nil
}

// objectAtPath returns the nested object that path names, one member name
// per element. The error names the path but never contains a value.
func objectAtPath(members map[string]any, path []string) (map[string]any, error) {
	current := members
	for i, name := range path {
		prefix := strings.Join(path[:i+1], ".")
		switch value := current[name].(type) {
		case map[string]any:
			current = value
		case nil:
			return nil, fmt.Errorf("token response has no %s object: check oauth2.token_path of the service", prefix)
		default:
			return nil, fmt.Errorf("invalid %s in token response: expected an object for oauth2.token_path, got %s",
				prefix, jsonKind(value))
		}
	}
	return current, nil
}

// extraMembers returns the members that are not interpreted here, or nil when
// there are none. path is the token path, and the object on it is kept without
// its interpreted members, so Extra never contains the nested tokens. An
// object left empty is dropped.
func extraMembers(members map[string]any, path []string) map[string]any {
	var extra map[string]any
	for name, value := range members {
		if isKnownMember(name) {
			continue
		}
		if len(path) > 0 && name == path[0] {
			// objectAtPath has checked that every object on the path exists.
			rest := extraMembers(value.(map[string]any), path[1:])
			if rest == nil {
				continue
			}
			value = rest
		}
		if extra == nil {
			extra = make(map[string]any)
		}
		extra[name] = value
	}
	return extra
}

// tokenFromObject reads the token members of one JSON object or form body,
// without Extra.
func tokenFromObject(members map[string]any, separator string, now time.Time) (*Token, error) {
	token := &Token{}
	var err error

	if token.AccessToken, err = stringMember(members, "access_token"); err != nil {
		return nil, err
	}
	if token.AccessToken == "" {
		return nil, errMissingAccessToken
	}
	if err := checkHeaderSafe("access_token", token.AccessToken); err != nil {
		return nil, err
	}
	if token.RefreshToken, err = stringMember(members, "refresh_token"); err != nil {
		return nil, err
	}
	if containsUnsafeChar(token.RefreshToken) {
		return nil, errors.New("invalid refresh_token in token response: contains whitespace or a control character")
	}
	tokenType, err := stringMember(members, "token_type")
	if err != nil {
		return nil, err
	}
	token.TokenType = canonicalTokenType(tokenType)
	if err := checkHeaderSafe("token_type", token.TokenType); err != nil {
		return nil, err
	}

	lifetime, err := lifetimeFromMembers(members)
	if err != nil {
		return nil, err
	}
	if lifetime > 0 {
		token.Expiry = now.Add(lifetime)
	}

	if token.Scopes, token.ScopeReturned, err = parseScope(members["scope"], separator); err != nil {
		return nil, err
	}
	return token, nil
}

// lifetimeFromMembers returns the access token's lifetime, or zero when none
// is known. Zoho sends expires_in_sec in seconds, and its older responses
// also send expires_in in milliseconds, so a present and valid expires_in_sec
// wins over expires_in. An invalid expires_in_sec is ignored when expires_in
// is present.
func lifetimeFromMembers(members map[string]any) (time.Duration, error) {
	seconds, secondsErr := parseLifetime("expires_in_sec", members["expires_in_sec"])
	switch {
	case secondsErr == nil && !isAbsent(members["expires_in_sec"]):
		return seconds, nil
	case secondsErr != nil && isAbsent(members["expires_in"]):
		return 0, secondsErr
	}
	return parseLifetime("expires_in", members["expires_in"])
}

// isAbsent reports whether a lifetime member is missing, null or a string of
// only whitespace, which parseLifetime reads as no lifetime.
func isAbsent(value any) bool {
	text, isString := value.(string)
	return value == nil || isString && strings.TrimSpace(text) == ""
}

// stringMember returns the string member name, or "" when it is absent or
// null. The error names the member but never contains its value.
func stringMember(members map[string]any, name string) (string, error) {
	switch value := members[name].(type) {
	case nil:
		return "", nil
	case string:
		return value, nil
	default:
		return "", fmt.Errorf("invalid %s in token response: expected a string, got %s", name, jsonKind(value))
	}
}

// checkHeaderSafe returns an error naming the token response member name
// when its value cannot be sent in an "Authorization: <type> <token>" header.
// The error never contains the value.
func checkHeaderSafe(name, value string) error {
	if containsUnsafeChar(value) {
		return fmt.Errorf("invalid %s in token response: contains whitespace or a control character, "+
			"which cannot be sent in an HTTP header", name)
	}
	return nil
}

// containsUnsafeChar reports whether s contains a control character (C0, DEL
// or C1) or whitespace, ASCII or Unicode. A header value cannot carry CR, LF
// or NUL. RFC 6749 appendix A.12 allows a space in an access token, but the
// Bearer syntax of RFC 6750 section 2.1 does not. A refresh token is held to
// the same rule, because such a value means the response is broken.
func containsUnsafeChar(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r)
	})
}

// canonicalTokenType returns the registered spelling of a token type compared
// without case (RFC 6749 section 5.1 makes the type case-insensitive), or the
// type unchanged when it is not one of them.
func canonicalTokenType(tokenType string) string {
	tokenType = strings.TrimSpace(tokenType)
	for _, canonical := range []string{"Bearer", "DPoP", "MAC"} {
		if strings.EqualFold(tokenType, canonical) {
			return canonical
		}
	}
	return tokenType
}

// parseLifetime returns the lifetime from the member name, expires_in or
// expires_in_sec: a JSON number, a numeric string (PayPal, form-encoded
// bodies) or absent. Zero means
// no expiry is known. Fractions of a second are kept. A string may have
// surrounding whitespace.
//
// The number must be a non-negative decimal: digits with an optional fraction
// of one or more digits. A sign, an exponent, underscores, hexadecimal, Inf
// and NaN are rejected, although strconv.ParseFloat accepts all of them: it
// reads "1_000" as 1000 and "+Inf" as infinity.
func parseLifetime(name string, value any) (time.Duration, error) {
	var text string
	switch value := value.(type) {
	case nil:
		return 0, nil
	case json.Number:
		text = value.String()
	case string:
		text = strings.TrimSpace(value)
	default:
		return 0, fmt.Errorf("invalid %s in token response: expected a number, got %s", name, jsonKind(value))
	}
	if text == "" {
		return 0, nil
	}

	if digits, negative := strings.CutPrefix(text, "-"); negative && isDecimal(digits) {
		return 0, fmt.Errorf("invalid %s %q in token response: negative", name, truncateDescription(text))
	}
	if !isDecimal(text) {
		return 0, fmt.Errorf("invalid %s %q in token response: expected a non-negative decimal number of seconds",
			name, truncateDescription(text))
	}
	// A decimal beyond float64's range parses as +Inf with ErrRange and is
	// capped below like any other long lifetime.
	seconds, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("parsing %s %q in token response: %w", name, truncateDescription(text), err)
	}
	seconds = min(seconds, maxExpiresIn)
	return time.Duration(seconds * float64(time.Second)), nil
}

// isDecimal reports whether s is one or more ASCII digits, optionally
// followed by '.' and one or more ASCII digits.
func isDecimal(s string) bool {
	whole, fraction, hasPoint := strings.Cut(s, ".")
	return isDigits(whole) && (!hasPoint || isDigits(fraction))
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// parseScope returns the granted scopes from a scope member, and whether the
// member was present. A string is split by separator. When the separator is
// whitespace, commas split too, because GitHub takes space-separated scopes
// but returns them comma-separated. A JSON array of strings is accepted as is.
func parseScope(value any, separator string) ([]string, bool, error) {
	switch value := value.(type) {
	case nil:
		return nil, false, nil
	case string:
		return splitScope(value, separator), true, nil
	case []any:
		scopes := make([]string, 0, len(value))
		for _, item := range value {
			scope, ok := item.(string)
			if !ok {
				return nil, false, fmt.Errorf("invalid scope in token response: array item is %s, expected a string", jsonKind(item))
			}
			if scope = strings.TrimSpace(scope); scope != "" {
				scopes = append(scopes, scope)
			}
		}
		return scopes, true, nil
	default:
		return nil, false, fmt.Errorf("invalid scope in token response: expected a string or an array, got %s", jsonKind(value))
	}
}

func splitScope(scope, separator string) []string {
	var parts []string
	if strings.TrimSpace(separator) == "" {
		parts = strings.FieldsFunc(scope, func(r rune) bool {
			return unicode.IsSpace(r) || r == ','
		})
	} else {
		parts = strings.Split(scope, separator)
	}

	scopes := make([]string, 0, len(parts))
	for _, part := range parts {
		if part = strings.TrimSpace(part); part != "" {
			scopes = append(scopes, part)
		}
	}
	return scopes
}

// jsonKind names the JSON type of a decoded value for error messages.
func jsonKind(value any) string {
	switch value.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", value)
	}
}
