package web

import (
	"regexp"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
)

// The domain packages write a problem's detail for API clients, so it
// names API routes and JSON fields. uiMessage rewrites it for a page.

// apiRouteInBrackets matches an API route in brackets after advice that
// is complete without it, such as " (POST /v1/connections/<link name>/connect)".
var apiRouteInBrackets = regexp.MustCompile(` \((GET|POST|PUT|PATCH|DELETE) /v1/[^)]*\)`)

// apiClause matches a clause of a detail that sends the reader to an API
// route, such as "; list connections with GET /v1/connections".
var apiClause = regexp.MustCompile(`;[^;]*\b(GET|POST|PUT|PATCH|DELETE) (https?://\S+)?/v1/[^;]*`)

// apiPhrases are the API's words in details and their words on a page.
var apiPhrases = strings.NewReplacer(
	`name one in "application"`, "choose one above",
	"use_login_user_credentials", "“Use credentials of login user”",
	"by connecting the connection", "by connecting again",
)

// apiFields are the API's field names in details and their labels on a
// page. A detail about the url field starts with "url", which becomes
// "URL" only there, so a URL quoted in the detail stays as it is.
var apiFields = map[string]string{
	"allowed_hosts": "allowed hosts",
	"based_on":      "“Based on”",
	"client_id":     "client ID",
	"link_name":     "link name",
	"max_attempts":  "attempts",
}

var apiFieldPattern = regexp.MustCompile(`\b(allowed_hosts|based_on|client_id|link_name|max_attempts)\b`)

// uiHints are the sentences added to a detail, by problem code. Each
// gives the next step in the UI where the detail named an API route.
var uiHints = map[string]string{
	"connection_not_found":     "It may have been deleted. The Connections page lists the connections you can see.",
	"service_not_found":        "The Services page lists the services you can use.",
	"webhook_not_found":        "The Webhooks page lists the webhooks.",
	"delivery_not_found":       "The webhook's page lists its deliveries.",
	"user_not_found":           "The Members page lists the members.",
	"token_not_found":          "The API tokens page lists the tokens.",
	"connection_needs_reauth":  "Connect again to fix it.",
	"connection_not_connected": "Connect it on the connection's page.",
	"authorization_required":   "Connect your own account on the connection's page.",
}

// uiMessage returns a problem's detail as a sentence for a page, with
// the API routes and field names replaced by what to do in the UI.
func uiMessage(p *problem.Error) string {
	detail := apiRouteInBrackets.ReplaceAllString(p.Detail, "")
	detail = apiClause.ReplaceAllString(detail, "")
	detail = apiPhrases.Replace(detail)
	detail = apiFieldPattern.ReplaceAllStringFunc(detail, func(field string) string { return apiFields[field] })
	if rest, ok := strings.CutPrefix(detail, "url "); ok {
		detail = "URL " + rest
	}
	message := sentence(detail)
	if hint, ok := uiHints[p.Code]; ok {
		message += " " + hint
	}
	return message
}
