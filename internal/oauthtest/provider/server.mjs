// Test-only OAuth 2.0 authorization server and protected API for plugboard's
// interop tests, built on panva's oidc-provider 9.13.3.
//
// Usage: node server.mjs [config.json]
// Without an argument the configuration is read as JSON from the
// OAUTHTEST_CONFIG environment variable. The server listens on 127.0.0.1 and
// writes one JSON line with its endpoints to stdout once it is ready. Stdout
// carries nothing else, because console.log and console.info go to stderr. The
// server exits when stdin closes (its parent process died or closed the pipe)
// or on SIGTERM or SIGINT.
//
// Configuration (every member is optional):
//   port                 TCP port; 0 (the default) picks a free one.
//   clients              [{client_id, client_secret, token_endpoint_auth_method,
//                          redirect_uris}], where the method is
//                          client_secret_basic (the default) or client_secret_post.
//   rotateRefreshTokens  issue a new refresh token on every refresh (default false).
//   accessTokenTTL       access token lifetime in seconds (default 3600).
//   refreshTokenTTL      refresh token lifetime in seconds (default 14 days).
//   clockTolerance       seconds of leeway when checking expiry (default 0).

import http from 'node:http';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

import {
  AUTH_METHODS, USERS, loadConfig, providerConfiguration,
} from './configuration.mjs';
import { consentPage, errorPage, loginPage } from './pages.mjs';

const MAX_BODY_BYTES = 64 * 1024;

// Stdout is reserved for the ready line, and oidc-provider prints its notices
// with console.info.
console.log = console.error;
console.info = console.error;

function log(message) {
  process.stderr.write(`oauthtest: ${message}\n`);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new Error(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJSON(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function sendHTML(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

// Returns the client authentication method that a token, revocation or
// introspection request presents, and the client ID it names.
function presentedClientAuth(req, form) {
  const authorization = req.headers.authorization;
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  const post = form.client_secret !== undefined;

  let clientID = typeof form.client_id === 'string' ? form.client_id : undefined;
  if (basic) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    try {
      // RFC 6749 section 2.3.1: the ID is form-encoded before Base64.
      clientID = colon < 0 ? undefined : decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
    } catch {
      // oidc-provider rejects the malformed header itself.
    }
  }

  let method = 'none';
  if (basic && post) {
    method = 'multiple';
  } else if (basic) {
    method = 'client_secret_basic';
  } else if (post) {
    method = 'client_secret_post';
  }
  return { method, clientID };
}

// Returns the access token or client credentials token of a Bearer
// Authorization header if it is valid for the API, or an error for the
// WWW-Authenticate header.
async function findBearerToken(provider, req, resource) {
  const match = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) {
    return { missing: true };
  }
  const value = match[1];
  const token = await provider.AccessToken.find(value) ?? await provider.ClientCredentials.find(value);
  if (!token || !token.isValid) {
    return { error: 'invalid_token', description: 'the access token is unknown, revoked or expired' };
  }
  const audience = Array.isArray(token.aud) ? token.aud : [token.aud];
  if (!audience.includes(resource)) {
    return { error: 'invalid_token', description: `the access token is not for ${resource}` };
  }
  return { token };
}

function headersOf(req) {
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    (headers[name] ??= []).push(req.rawHeaders[i + 1]);
  }
  return headers;
}

function parseEchoBody(raw) {
  if (raw.length === 0) {
    return null;
  }
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Returns the HTTP request handler: interaction pages, the API and the test
// routes, then oidc-provider for everything else.
function requestHandler(config, provider, endpoints) {
  const providerCallback = provider.callback();
  const stats = {
    token_requests: { authorization_code: 0, refresh_token: 0, client_credentials: 0 },
    revocations: 0,
    introspections: 0,
    last_token_auth_method: '',
  };
  const clients = new Map(config.clients.map((client) => [client.client_id, client]));
  const tokenPaths = new Set(['/token', '/token/revocation', '/token/introspection']);

  // Counts token, revocation and introspection requests, and rejects a
  // request whose client authentication method differs from the registered
  // one with 401 invalid_client, because out of the box oidc-provider accepts
  // client_secret_basic and client_secret_post interchangeably. The body is
  // read here, so oidc-provider parses the buffer left on req.body and prints
  // a one-time warning about an upstream body parser.
  async function checkClientAuth(req, res, path) {
    const raw = await readBody(req);
    const form = querystring.parse(raw.toString('utf8'));
    const { method, clientID } = presentedClientAuth(req, form);

    if (path === '/token') {
      const grantType = String(form.grant_type ?? '');
      stats.token_requests[grantType] = (stats.token_requests[grantType] ?? 0) + 1;
      stats.last_token_auth_method = method;
    } else if (path === '/token/revocation') {
      stats.revocations += 1;
    } else {
      stats.introspections += 1;
    }

    const client = clients.get(clientID);
    if (client && AUTH_METHODS.has(method) && method !== client.token_endpoint_auth_method) {
      const headers = method === 'client_secret_basic'
        ? { 'WWW-Authenticate': `Basic realm="${endpoints.issuer}", error="invalid_client"` }
        : {};
      sendJSON(res, 401, {
        error: 'invalid_client',
        error_description: `client is registered for ${client.token_endpoint_auth_method} but used ${method}`,
      }, headers);
      return false;
    }

    req.body = raw;
    return true;
  }

  async function handleInteraction(req, res, path) {
    const [, uid, action] = path.split('/').slice(1);
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      sendHTML(res, 400, errorPage('invalid_request', 'interaction does not match the session cookie'));
      return;
    }
    const { prompt, params } = details;

    if (req.method === 'GET' && action === undefined) {
      if (prompt.name === 'login') {
        sendHTML(res, 200, loginPage(uid, params.client_id, false));
      } else {
        sendHTML(res, 200, consentPage(uid, params.client_id, prompt.details));
      }
      return;
    }
    if (req.method !== 'POST') {
      sendHTML(res, 405, errorPage('invalid_request', 'method not allowed'));
      return;
    }

    const form = querystring.parse((await readBody(req)).toString('utf8'));
    if (action === 'abort') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'the user denied the request',
      }, { mergeWithLastSubmission: false });
      return;
    }
    if (action === 'login' && prompt.name === 'login') {
      const user = USERS[form.username];
      if (!user || user.password !== form.password) {
        sendHTML(res, 401, loginPage(uid, params.client_id, true));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: form.username } }, { mergeWithLastSubmission: false });
      return;
    }
    if (action === 'confirm' && prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) {
        grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      }
      if (prompt.details.missingOIDCClaims) {
        grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      }
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      const consent = details.grantId ? {} : { grantId };
      await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
      return;
    }
    sendHTML(res, 400, errorPage('invalid_request', `cannot ${action} during the ${prompt.name} prompt`));
  }

  async function handleAPI(req, res, path) {
    const found = await findBearerToken(provider, req, endpoints.resource);
    if (found.missing) {
      // RFC 6750 section 3.1: no error code when the request has no token.
      sendJSON(res, 401, { message: 'missing Bearer access token' }, {
        'WWW-Authenticate': 'Bearer realm="oauthtest"',
      });
      return;
    }
    if (found.error) {
      sendJSON(res, 401, { error: found.error, error_description: found.description }, {
        'WWW-Authenticate': `Bearer realm="oauthtest", error="${found.error}", error_description="${found.description}"`,
      });
      return;
    }
    const { token } = found;
    const subject = token.accountId ?? null;

    if (path === '/api/devices' && req.method === 'GET') {
      if (!token.scopes.has('devices.read')) {
        sendJSON(res, 403, { error: 'insufficient_scope' }, {
          'WWW-Authenticate': 'Bearer realm="oauthtest", error="insufficient_scope", scope="devices.read"',
        });
        return;
      }
      const devices = subject ? USERS[subject]?.devices ?? [] : Object.values(USERS).flatMap((user) => user.devices);
      sendJSON(res, 200, { devices, subject, client_id: token.clientId, scope: token.scope ?? '' });
      return;
    }
    if (path === '/api/echo') {
      const raw = await readBody(req);
      const url = new URL(req.url, endpoints.issuer);
      sendJSON(res, 200, {
        method: req.method,
        path: url.pathname,
        query: url.search.slice(1),
        headers: headersOf(req),
        body: parseEchoBody(raw),
        subject,
      });
      return;
    }
    if (path === '/api/headers' && req.method === 'GET') {
      sendJSON(res, 200, { headers: headersOf(req), subject });
      return;
    }
    sendJSON(res, 404, { error: 'not_found' });
  }

  async function handleTest(req, res, path) {
    if (path === '/test/stats' && req.method === 'GET') {
      sendJSON(res, 200, stats);
      return;
    }
    if (path === '/test/introspect' && req.method === 'POST') {
      const { token: value } = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      const token = await provider.AccessToken.find(value)
        ?? await provider.ClientCredentials.find(value)
        ?? await provider.RefreshToken.find(value);
      let active = Boolean(token?.isValid);
      if (active && token.grantId) {
        active = Boolean(await provider.Grant.find(token.grantId));
      }
      sendJSON(res, 200, active ? { active, token_type: token.kind } : { active });
      return;
    }
    if (path === '/test/expire-access-token' && req.method === 'POST') {
      // Destroys one access token and nothing else of its grant, as when a
      // provider ends a token before its expiry; the refresh token stays
      // valid. Standard revocation would end the whole grant's tokens.
      const { token: value } = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      const token = await provider.AccessToken.find(value);
      if (!token) {
        sendJSON(res, 404, { error: 'unknown access token' });
        return;
      }
      await token.destroy();
      sendJSON(res, 200, { expired: true });
      return;
    }
    sendJSON(res, 404, { error: 'not_found' });
  }

  async function handleRequest(req, res) {
    const url = new URL(req.url, endpoints.issuer);
    const path = url.pathname;

    if (path.startsWith('/interaction/')) {
      return handleInteraction(req, res, path);
    }
    if (path.startsWith('/api/')) {
      return handleAPI(req, res, path);
    }
    if (path.startsWith('/test/')) {
      return handleTest(req, res, path);
    }
    if (req.method === 'POST' && tokenPaths.has(path) && !(await checkClientAuth(req, res, path))) {
      return undefined;
    }
    if (path === '/auth' && req.method === 'GET') {
      // Adding prompt=consent keeps offline_access in the request, which
      // oidc-provider drops otherwise, so a refresh token is issued.
      // NOTE: a POST to the authorization endpoint keeps the default rule.
      const scopes = (url.searchParams.get('scope') ?? '').split(' ');
      const prompts = (url.searchParams.get('prompt') ?? '').split(' ').filter(Boolean);
      if (scopes.includes('offline_access') && !prompts.includes('consent') && !prompts.includes('none')) {
        url.searchParams.set('prompt', [...prompts, 'consent'].join(' '));
        req.url = url.pathname + url.search;
      }
    }
    return providerCallback(req, res);
  }

  return async (req, res) => {
    res.on('finish', () => log(`${req.method} ${req.url.split('?')[0]} ${res.statusCode}`));
    try {
      await handleRequest(req, res);
    } catch (err) {
      log(`${req.method} ${req.url.split('?')[0]} failed: ${err.message}`);
      if (!res.headersSent) {
        const status = err.statusCode ?? 500;
        sendHTML(res, status, errorPage(err.error ?? 'server_error', err.error_description ?? err.message));
      } else {
        res.destroy();
      }
    }
  };
}

async function main() {
  const config = loadConfig();
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', resolve);
  });

  const issuer = `http://127.0.0.1:${server.address().port}`;
  const endpoints = {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    revocation_endpoint: `${issuer}/token/revocation`,
    introspection_endpoint: `${issuer}/token/introspection`,
    userinfo_endpoint: `${issuer}/me`,
    jwks_uri: `${issuer}/jwks`,
    api_base_url: `${issuer}/api`,
    resource: `${issuer}/api`,
  };
  const provider = new Provider(issuer, providerConfiguration(config, endpoints.resource));
  server.on('request', requestHandler(config, provider, endpoints));

  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify(endpoints)}\n`);
}

main().catch((err) => {
  log(`start failed: ${err.message}`);
  process.exit(1);
});
