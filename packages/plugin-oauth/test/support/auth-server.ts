import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** A real OpenID provider (oidc-provider) on loopback, with a user who signs in automatically. */
export interface TestAuthServer {
  issuer: string;
  /** A public native client: PKCE, loopback redirects on any port, refresh tokens. */
  publicClientId: string;
  /** A confidential client authenticating with client_secret_basic. */
  confidentialClientId: string;
  confidentialClientSecret: string;
  /** POST requests the token endpoint received since the last reset. */
  tokenRequests(): number;
  resetTokenRequests(): void;
  /** What the test user answers at the consent step. */
  decision: 'approve' | 'deny';
  /** Lifetime of refresh tokens issued from now on, in seconds. */
  refreshTokenTtlSeconds: number;
  provider: Provider;
  close(): Promise<void>;
}

export const TEST_ACCOUNT = { id: 'alice', email: 'alice@example.com' };

export async function startAuthServer(): Promise<TestAuthServer> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let tokenHits = 0;

  const harness = {
    decision: 'approve' as 'approve' | 'deny',
    refreshTokenTtlSeconds: 14 * 24 * 3600,
  };

  const configuration: Configuration = {
    clients: [
      {
        client_id: 'drawdown-public',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: 'drawdown-confidential',
        client_secret: 'confidential-client-secret-value',
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: {
      keys: [
        {
          ...(privateKey.export({ format: 'jwk' }) as Record<string, string>),
          kid: 'test-key',
          use: 'sig',
          alg: 'RS256',
        },
      ],
    },
    cookies: { keys: ['drawdown-test-cookie-key'] },
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'email'],
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub, email: TEST_ACCOUNT.email }) };
    },
    async issueRefreshToken(_ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 24 * 3600,
      RefreshToken: () => harness.refreshTokenTtlSeconds,
    },
  };
  const provider = new Provider(issuer, configuration);
  // The provider reports expected client errors (invalid_grant...) as events; nothing to print.
  provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider server_error: ${String(error)}\n`));
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (harness.decision === 'deny') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'the user declined access' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: TEST_ACCOUNT.id } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: details.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  http.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method === 'POST' && path === '/token') tokenHits += 1;
    if (path.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    void callback(req, res);
  });

  return {
    issuer,
    publicClientId: 'drawdown-public',
    confidentialClientId: 'drawdown-confidential',
    confidentialClientSecret: 'confidential-client-secret-value',
    tokenRequests: () => tokenHits,
    resetTokenRequests: () => {
      tokenHits = 0;
    },
    get decision() {
      return harness.decision;
    },
    set decision(value) {
      harness.decision = value;
    },
    get refreshTokenTtlSeconds() {
      return harness.refreshTokenTtlSeconds;
    },
    set refreshTokenTtlSeconds(value) {
      harness.refreshTokenTtlSeconds = value;
    },
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
