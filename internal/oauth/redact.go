package oauth

import (
	"net/url"
	"strings"
)

// redactedText replaces a secret that a provider echoed in an error.
const redactedText = "[redacted]"

// sentSecrets returns the secret values of a request: the client secret
// and the code, verifier or token in form. Some providers repeat a request
// value in their error description, which would carry it into errors and
// logs.
func sentSecrets(form url.Values, client Client) []string {
	var values []string
	for _, name := range []string{"code", "code_verifier", "refresh_token", "token", "client_secret"} {
		if v := form.Get(name); v != "" {
			values = append(values, v)
		}
	}
	if client.Secret != "" {
		values = append(values, client.Secret)
	}
	return values
}

// redactMembers replaces every secret value in the string members of a
// response, and in the message of an error object, before an *Error is
// built from them and its description cut to length.
func redactMembers(members map[string]any, secrets []string) {
	for name, value := range members {
		switch v := value.(type) {
		case string:
			members[name] = redactString(v, secrets)
		case map[string]any:
			if message, ok := v["message"].(string); ok {
				v["message"] = redactString(message, secrets)
			}
		}
	}
}

func redactString(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redactedText)
		}
	}
	return s
}
