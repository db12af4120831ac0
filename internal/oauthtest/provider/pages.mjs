// HTML pages of the test authorization server: login, consent and errors.
// Plain forms with fixed ids, so that a browser and oauthtest.Authorize can
// both fill them in.

function escapeHTML(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHTML(title)}</title></head>
<body>
<h1>${escapeHTML(title)}</h1>
${body}
</body>
</html>
`;
}

export function errorPage(error, description) {
  return page('Error', `<p id="error">${escapeHTML(error)}</p>
<p id="error_description">${escapeHTML(description)}</p>`);
}

export function loginPage(uid, clientID, failed) {
  const message = failed ? '<p id="error">invalid username or password</p>\n' : '';
  return page(`Sign in to ${clientID}`, `${message}<form id="login" method="post" action="/interaction/${escapeHTML(uid)}/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button id="sign-in" type="submit">Sign in</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHTML(uid)}/abort">
<button id="cancel" type="submit">Cancel</button>
</form>`);
}

export function consentPage(uid, clientID, details) {
  const items = [];
  for (const scope of details.missingOIDCScope ?? []) {
    items.push(`<li>${escapeHTML(scope)}</li>`);
  }
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    for (const scope of scopes) {
      items.push(`<li>${escapeHTML(scope)} on ${escapeHTML(indicator)}</li>`);
    }
  }
  return page(`Authorize ${clientID}`, `<ul id="scopes">
${items.join('\n')}
</ul>
<form id="consent" method="post" action="/interaction/${escapeHTML(uid)}/confirm">
<button id="approve" type="submit">Approve</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHTML(uid)}/abort">
<button id="deny" type="submit">Deny</button>
</form>`);
}
