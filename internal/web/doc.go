// Package web serves plugboard's browser UI: server-rendered HTML pages on
// the same origin as the API, for members who sign in with a password.
//
// Every page works without JavaScript. The one script, assets/app.js, only
// adds copy buttons, the live link-name preview, tab switching and list
// filtering. Assets are embedded in the binary and no page loads anything
// from another origin; the Content-Security-Policy header enforces that.
//
// Handlers are thin: they read the form, call the same domain packages as
// the API (connections, members, webhooks, audit), which enforce roles and
// rules, and render a template.
//
// Layout of the package, so that a new page is one template and one
// handler file:
//   - server.go: Options, Server, the route table and the error adapter.
//   - render.go: template loading and the page data every template gets
//     (the signed-in member, the CSRF token, the active navigation item).
//   - forms.go: form values with per-field errors, kept across a failed
//     submission so nothing the user typed is lost.
//   - session.go, csrf.go, ratelimit.go, headers.go: sign-in sessions
//     stored in the database, CSRF tokens, login rate limits and the
//     security headers of every response.
//   - templates/layout.html: the header with navigation, sign-out and the
//     page frame. templates/NAME.html defines the "title" and "content" of
//     one page, and NAME.go holds its handlers. The pages are login, home
//     (the connections lists), connection (one connection's page and its
//     actions) and error. newconnection.go serves chooseservice and
//     newconnection, the two steps of the wizard. functions.go serves
//     functions, the functions list, and function, one function's editor
//     and runs.
//   - templates/fields.html: shared form controls ("input", "textarea",
//     "checkbox") that put each field's error right under it, and
//     "confirm", the confirmation before a delete or revoke.
//   - messages.go: a domain error's detail rewritten for a page, without
//     the API routes it names.
//   - manage.go: the routes and helpers of the services, applications,
//     webhooks, members, API tokens and audit pages.
//
// A handler that changes something responds to a POST with a 303 redirect
// to a page, adding notice=KEY for a fixed message from notices in
// render.go. A refused change renders the page again with the form's
// values and the refusal next to its field or button.
//
// To add a page: write templates/NAME.html, add its handlers in NAME.go,
// register them in Server.routes or Server.managementRoutes and, for a
// navigation item, add it to navItems in render.go.
package web
