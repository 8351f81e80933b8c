import type { LimitSignal, Pool } from '../contracts/pool.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RequestLease } from '../request-flow.js';
import { rateLimitHeaderSubset, type HeaderSource } from './rate-limit-headers.js';
import { refusalKind, type RefusalKind } from './refusals.js';

/**
 * The attempt policy: how one Messages request is tried along the route. The metered client
 * (`createMeteredClient`) and the gateway both call it, so what they do on a rate limit, a refusal
 * or a 401 cannot drift apart. undici's retry handler is the model: one policy, many dispatchers.
 *
 * The contract, step by step:
 * 1. **Admit.** `begin(exclude)` routes the request and holds its estimate; the policy calls it once,
 *    and once more for a failover, with the entries that refused so far. Its errors (no entry can
 *    pay) reach the caller unchanged.
 * 2. **Attempt.** `attempt(lease)` sends the request with the lease's credentials and reports the
 *    upstream's answer: `{ ok: true }` for a success, `{ ok: false }` with the status, headers and
 *    error body for an error status. A throw (no credentials, the network, a broken body) fails the
 *    lease and is rethrown: nothing was billed.
 * 3. **Observe.** The rate-limit headers of a success reach the entry's pool as a `headers` signal;
 *    an error answer reaches it once, as an `error` signal carrying its status, type, message and
 *    headers. A pool that throws while observing is logged, never fatal.
 * 4. **401.** The entry's strategy is asked `onUnauthorized()` once per request; when it answers true
 *    (it refreshed its credentials), `refreshed(lease)` runs (drop cached clients) and the same lease
 *    is attempted again, on the same hold.
 * 5. **Failover.** A refusal meaning the entry's pool cannot pay now — a plan-limit 429, a 402, a
 *    400 "credit balance is too low" — fails the lease with `retrying: true` and admits the request
 *    again without that entry: at most once per request, only when `failover` is on and `signal` has
 *    not aborted (the client is still there). When no other entry can take it, the refusal stands.
 * 6. **Outcome.** `answered`: the caller owns the lease and must settle it from the answer's usage
 *    (or fail it). `refused`: the lease is already failed; the caller passes the refusal on.
 *
 * Overrun bound: the policy never holds less than `begin` estimated; what an answer costs beyond its
 * hold is charged at settle, so one request's overrun is at most its own true cost minus its hold.
 */
export interface AttemptPolicyOptions<T, E> {
  hub: { clock: Clock; logger: Logger };
  begin(exclude: string[]): Promise<RequestLease>;
  attempt(lease: RequestLease): Promise<AttemptReply<T, E>>;
  /** Try the next route entry when the entry's pool cannot pay (the caller turns it off for a pinned entry). */
  failover: boolean;
  /** Aborted when the client has gone: no failover and no second 401 attempt for nobody. */
  signal?: AbortSignal;
  /** The lease's strategy refreshed its credentials after a 401: forget anything built from the old ones. */
  refreshed?(lease: RequestLease): void;
}

/** What the upstream answered to one attempt. */
export type AttemptReply<T, E> =
  | {
      ok: true;
      value: T;
      /** Response headers, when the caller has not already shown them to the pool. */
      headers?: Record<string, string>;
    }
  | {
      ok: false;
      status: number;
      /** Lower-cased response headers (the rate-limit ones are what matter). */
      headers: Record<string, string>;
      /** The API's error type (`rate_limit_error`, `billing_error`...). */
      errorType?: string;
      message?: string;
      /** What `lease.fail()` records, and what a caller that throws throws. */
      error: unknown;
      /** The caller's own view of the answer (the gateway: the body to forward). */
      value: E;
    };

export type AttemptOutcome<T, E> =
  | { kind: 'answered'; lease: RequestLease; value: T; refusedBy: string[] }
  | {
      kind: 'refused';
      reply: Extract<AttemptReply<T, E>, { ok: false }>;
      /** Why the pool could not pay, when that was the reason (the answer then carries `x-should-retry: false`). */
      refusal?: RefusalKind;
      refusedBy: string[];
    };

/** Hands a signal to a pool that takes signals; a pool that throws is logged, never fatal. */
export async function observeLimits(hub: { logger: Logger }, pool: Pool, signal: LimitSignal): Promise<void> {
  if (!pool.observe) return;
  try {
    await pool.observe(signal);
  } catch (error) {
    hub.logger.warn(
      `pool "${pool.id}" failed to take a ${signal.source} signal into account: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Shows a pool an answer's rate-limit headers, when there are any besides the request id. */
export async function observeHeaders(
  hub: { clock: Clock; logger: Logger },
  pool: Pool,
  headers: HeaderSource,
): Promise<Record<string, string>> {
  if (!pool.observe) return {};
  const subset = rateLimitHeaderSubset(headers);
  if (Object.keys(subset).some((name) => name !== 'request-id'))
    await observeLimits(hub, pool, { source: 'headers', headers: subset, at: hub.clock.now() });
  return subset;
}

/** Runs the attempt policy described above for one request. */
export async function attemptAlongRoute<T, E>(options: AttemptPolicyOptions<T, E>): Promise<AttemptOutcome<T, E>> {
  const { hub } = options;
  const refusedBy: string[] = [];
  let retriedAuth = false;
  let lease = await options.begin(refusedBy);
  for (;;) {
    let reply: AttemptReply<T, E>;
    try {
      reply = await options.attempt(lease);
    } catch (error) {
      await lease.fail(error);
      throw error;
    }
    if (reply.ok) {
      if (reply.headers !== undefined) await observeHeaders(hub, lease.pool, reply.headers);
      return { kind: 'answered', lease, value: reply.value, refusedBy };
    }
    // An error's headers reach the pool inside its `error` signal, once.
    const subset = rateLimitHeaderSubset(reply.headers);
    await observeLimits(hub, lease.pool, {
      source: 'error',
      status: reply.status,
      ...(reply.errorType !== undefined && { errorType: reply.errorType }),
      ...(reply.message !== undefined && { message: reply.message }),
      headers: subset,
      at: hub.clock.now(),
    });
    const gone = options.signal?.aborted === true;
    if (reply.status === 401 && !retriedAuth && !gone && (await lease.entry.strategy.onUnauthorized?.())) {
      retriedAuth = true;
      options.refreshed?.(lease);
      continue;
    }
    const refusal = refusalKind(reply.status, subset, reply.message);
    const mayFailover = options.failover && refusal !== undefined && refusedBy.length === 0 && !gone;
    await lease.fail(reply.error, { retrying: mayFailover });
    if (mayFailover) {
      refusedBy.push(lease.entry.id);
      try {
        lease = await options.begin(refusedBy);
        continue;
      } catch (routeError) {
        hub.logger.debug(
          `no other route entry can take the refused request: ${routeError instanceof Error ? routeError.message : String(routeError)}`,
        );
      }
    }
    return { kind: 'refused', reply, ...(refusal !== undefined && { refusal }), refusedBy };
  }
}
