import {
  DrawdownError,
  ErrorCodes,
  type LimitSignal,
  type Pool,
  type RequestLease,
  type RouteEntry,
  type SdkCredentials,
} from '@drawdown/core';
import { headerRecord, rateLimitHeaderSubset } from '@drawdown/core/internal';
import type { Dispatcher } from 'undici';
import type { GatewayContext } from './context.js';
import { messageOf } from './http.js';

/** Tells a pool what the upstream said about its limits; a pool that fails to take it in is logged, never fatal. */
export async function observe(ctx: GatewayContext, pool: Pool, signal: LimitSignal): Promise<void> {
  if (!pool.observe) return;
  try {
    await pool.observe(signal);
  } catch (error) {
    ctx.hub.logger.warn(`pool "${pool.id}" failed to take a ${signal.source} signal into account: ${messageOf(error)}`);
  }
}

/** Feeds an answer's rate-limit headers to the pool; returns them (with `request-id`) for the refusal check. */
export async function observeHeaders(
  ctx: GatewayContext,
  pool: Pool,
  headers: Dispatcher.ResponseData['headers'],
): Promise<Record<string, string>> {
  if (!pool.observe) return {};
  const subset = rateLimitHeaderSubset(headerRecord(headers));
  if (Object.keys(subset).some((name) => name !== 'request-id'))
    await observe(ctx, pool, { source: 'headers', headers: subset, at: ctx.hub.clock.now() });
  return subset;
}

/** The entry's credentials to forward; one with neither key nor token cannot be forwarded. */
export async function credentialsFor(entry: RouteEntry, lease?: RequestLease): Promise<SdkCredentials> {
  const credentials = lease ? await lease.credentials() : await entry.strategy.credentials();
  if (!credentials.apiKey && !credentials.authToken) {
    throw new DrawdownError(
      ErrorCodes.AUTH_UNAVAILABLE,
      `route entry "${entry.id}" has no credentials: its strategy "${entry.strategy.id}" gave neither an API key nor a token`,
      { data: { entryId: entry.id } },
    );
  }
  return credentials;
}
