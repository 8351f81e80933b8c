import type { DrawdownPlugin, PluginContext } from '@drawdown/core';
import {
  createOAuthClient,
  type LoginOptions,
  type LoginResult,
  type LogoutResult,
  type OAuthClient,
} from './client.js';
import type { OAuthClientOptions } from './options.js';

export type OAuthOptions = OAuthClientOptions;

/**
 * The managed OAuth strategy (kind `oauth`): a bearer token from an authorization server the
 * integrator is entitled to use, refreshed before it expires. `login` / `logout` work before the
 * plugin is registered, so a CLI can sign in without a hub.
 *
 * ```ts
 * const gateway = oauth({ issuer: 'https://auth.example.com', clientId: 'my-app' });
 * await gateway.login();
 * const hub = await createHub({ plugins: [gateway, ...] });
 * ```
 */
export function oauth(options: OAuthOptions) {
  const client: OAuthClient = createOAuthClient(options);
  const plugin = {
    id: client.id,
    kind: 'auth',
    setup(ctx: PluginContext) {
      client.attach({ events: ctx.events, logger: ctx.logger, clock: ctx.clock });
      return { strategy: client.strategy };
    },
  } satisfies DrawdownPlugin;
  return {
    ...plugin,
    client,
    login: (loginOptions?: LoginOptions): Promise<LoginResult> => client.login(loginOptions),
    logout: (): Promise<LogoutResult> => client.logout(),
  };
}
