// Configuration of the test authorization server: the JSON options, the
// users of the login form, and the oidc-provider settings built from them.

import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';

import { errors } from 'oidc-provider';

import { errorPage } from './pages.mjs';

// Users accepted by the login form, with the devices the API lists for them.
export const USERS = {
  alice: { password: 'wonderland', devices: [{ id: 'pump-7', name: 'Pump 7' }, { id: 'valve-2', name: 'Valve 2' }] },
  bob: { password: 'builder', devices: [{ id: 'boiler-1', name: 'Boiler 1' }] },
};

export const API_SCOPES = ['devices.read', 'devices.write'];
export const AUTH_METHODS = new Set(['client_secret_basic', 'client_secret_post']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

// Reads the JSON configuration from the file named by the first argument, or
// else from OAUTHTEST_CONFIG, and fills in the defaults.
export function loadConfig() {
  const path = process.argv[2];
  const text = path ? readFileSync(path, 'utf8') : (process.env.OAUTHTEST_CONFIG || '{}');
  const raw = JSON.parse(text);

  const config = {
    port: raw.port ?? 0,
    clients: raw.clients ?? [],
    rotateRefreshTokens: raw.rotateRefreshTokens === true,
    accessTokenTTL: raw.accessTokenTTL || 3600,
    refreshTokenTTL: raw.refreshTokenTTL || 14 * 24 * 60 * 60,
    clockTolerance: raw.clockTolerance ?? 0,
  };

  for (const client of config.clients) {
    if (!client.client_id || !client.client_secret) {
      throw new Error('every client needs client_id and client_secret');
    }
    client.token_endpoint_auth_method ||= 'client_secret_basic';
    if (!AUTH_METHODS.has(client.token_endpoint_auth_method)) {
      throw new Error(`client ${JSON.stringify(client.client_id)}: token_endpoint_auth_method must be client_secret_basic or client_secret_post`);
    }
    client.redirect_uris ??= [];
  }

  return config;
}

// Returns "native" when every redirect URI is an http loopback URI, so that
// oidc-provider matches them on any port (RFC 8252 section 7.3), and "web"
// otherwise.
function applicationType(redirectURIs) {
  const loopback = (uri) => {
    const parsed = URL.parse(uri);
    return parsed?.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
  };
  return redirectURIs.length > 0 && redirectURIs.every(loopback) ? 'native' : 'web';
}

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'oauthtest-1', alg: 'ES256', use: 'sig' };
}

// Returns the oidc-provider configuration for config, with the API as the
// only resource server, identified by resource.
export function providerConfiguration(config, resource) {
  const resourceServer = {
    scope: API_SCOPES.join(' '),
    audience: resource,
    accessTokenTTL: config.accessTokenTTL,
    accessTokenFormat: 'opaque',
  };

  return {
    clients: config.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      redirect_uris: client.redirect_uris,
      application_type: applicationType(client.redirect_uris),
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
    })),
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    responseTypes: ['code'],
    jwks: { keys: [signingKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    clockTolerance: config.clockTolerance,
    pkce: { required: () => true },
    rotateRefreshToken: config.rotateRefreshTokens,
    // oidc-provider's default rule, spelled out: a refresh token whenever the
    // authorization code carries offline_access. The code only carries it when
    // the request had prompt=consent (OpenID Connect Core section 11), so
    // handleRequest adds that prompt to such requests.
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && code.scopes.has('offline_access'),
    findAccount: async (ctx, sub) => (USERS[sub] ? { accountId: sub, claims: async () => ({ sub }) } : undefined),
    interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      resourceIndicators: {
        enabled: true,
        // An authorization or client credentials request without a resource
        // parameter is for the API. The token endpoint reuses the resource of
        // the grant, so access tokens are for the API even when the client
        // never sends a resource indicator.
        defaultResource: async (ctx, client, oneOf) => {
          if (oneOf) {
            return Array.isArray(oneOf) && oneOf.length === 1 ? oneOf[0] : oneOf;
          }
          return resource;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== resource) {
            throw new errors.InvalidTarget(`unknown resource indicator ${indicator}; use ${resource}`);
          }
          return resourceServer;
        },
      },
    },
    ttl: {
      AccessToken: config.accessTokenTTL,
      ClientCredentials: config.accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: config.refreshTokenTTL,
      Grant: config.refreshTokenTTL,
      Interaction: 600,
      Session: 24 * 60 * 60,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
  };
}
