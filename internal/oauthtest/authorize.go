package oauthtest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// ErrLoginRejected is returned by Authorize when the login form rejects the
// username or password.
var ErrLoginRejected = errors.New("login rejected")

// maxAuthorizeSteps bounds the requests of one Authorize call. A full run
// takes seven: authorization request, login page, login post, resume,
// consent page, consent post, resume.
const maxAuthorizeSteps = 20

// maxPageBytes bounds the interaction and error pages read by Authorize.
const maxPageBytes = 1 << 20

var (
	formPattern             = regexp.MustCompile(`<form id="(login|consent)" method="post" action="([^"]*)">`)
	errorPattern            = regexp.MustCompile(`<p id="error">([^<]*)</p>`)
	errorDescriptionPattern = regexp.MustCompile(`<p id="error_description">([^<]*)</p>`)
)

// Authorize plays the user's browser for an authorization request: it
// fetches authorizationURL with a new cookie jar, signs in with username and
// password, approves the consent form, and returns the redirect to the
// client's redirect URI without following it. That URL carries either the
// code and state or an OAuth error. Authorize returns ErrLoginRejected when
// the credentials are wrong, and an error naming the provider's error when it
// renders an error page, such as for an unregistered redirect URI.
func (p *Provider) Authorize(ctx context.Context, authorizationURL, username, password string) (*url.URL, error) {
	issuer, err := url.Parse(p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("parsing issuer: %w", err)
	}
	next, err := url.Parse(authorizationURL)
	if err != nil {
		return nil, fmt.Errorf("parsing authorization URL: %w", err)
	}
	if !sameOrigin(next, issuer) {
		return nil, fmt.Errorf("authorization URL %s is not on the provider %s", next.Redacted(), p.Issuer)
	}

	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("creating cookie jar: %w", err)
	}
	client := &http.Client{
		Jar:           jar,
		Timeout:       p.httpClient.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var form url.Values
	loginSent := false
	for range maxAuthorizeSteps {
		resp, page, err := sendStep(ctx, client, next, form)
		if err != nil {
			return nil, err
		}

		if isRedirect(resp.StatusCode) {
			location, err := resp.Location()
			if err != nil {
				return nil, fmt.Errorf("reading redirect from %s: %w", next.Path, err)
			}
			if !sameOrigin(location, issuer) {
				return location, nil
			}
			next, form = location, nil
			continue
		}

		match := formPattern.FindStringSubmatch(page)
		if match == nil {
			return nil, fmt.Errorf("authorization step %s returned %s: %s", next.Path, resp.Status, pageError(page))
		}
		action, err := next.Parse(html.UnescapeString(match[2]))
		if err != nil {
			return nil, fmt.Errorf("parsing %s form action: %w", match[1], err)
		}
		switch match[1] {
		case "login":
			if loginSent {
				return nil, fmt.Errorf("signing in as %q: %w", username, ErrLoginRejected)
			}
			loginSent = true
			form = url.Values{"username": {username}, "password": {password}}
		case "consent":
			form = url.Values{}
		}
		next = action
	}
	return nil, fmt.Errorf("authorization not finished after %d requests", maxAuthorizeSteps)
}

// sendStep sends a GET request to target, or a form POST when form is not
// nil, and returns the response with its body read.
func sendStep(ctx context.Context, client *http.Client, target *url.URL, form url.Values) (*http.Response, string, error) {
	method := http.MethodGet
	var body io.Reader
	if form != nil {
		method = http.MethodPost
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return nil, "", fmt.Errorf("creating request for %s: %w", target.Path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}

	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("requesting %s: %w", target.Path, err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", target.Path, err)
	}
	return resp, string(page), nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host
}

// pageError returns the OAuth error and description of the provider's error
// page, or the start of any other page.
func pageError(page string) string {
	code := errorPattern.FindStringSubmatch(page)
	if code == nil {
		const maxLength = 200
		if len(page) > maxLength {
			page = page[:maxLength] + "..."
		}
		return fmt.Sprintf("unexpected page %q", page)
	}
	text := html.UnescapeString(code[1])
	if description := errorDescriptionPattern.FindStringSubmatch(page); description != nil && description[1] != "" {
		text += " (" + html.UnescapeString(description[1]) + ")"
	}
	return text
}
