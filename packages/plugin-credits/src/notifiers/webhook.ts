import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { invalidOption, type DrawdownPlugin, type PluginContext } from '@drawdown/core';
import {
  closeTimeoutOption,
  deliverInBackground,
  eventsOption,
  type AlertEventName,
  type AlertMessage,
  retrying,
  type AttemptOutcome,
} from './alert-message.js';

export interface WebhookNotifierOptions {
  /** Plugin id. Default `webhook`. */
  id?: string;
  /** Where alerts are POSTed as JSON. */
  url: string;
  /** Shared secret for the `drawdown-signature` HMAC-SHA256 header. Never sent, logged or shown. */
  secret: string;
  /** Extra attempts after a network error, 429 or 5xx. Default 3. */
  retries?: number;
  /** Waits between attempts in ms; the last repeats. Default `[500, 2000, 5000]`. */
  backoffMs?: number[];
  /** Per-attempt timeout in ms. Default 10000. */
  timeoutMs?: number;
  /**
   * How long `hub.close()` waits for alerts still being delivered, in ms. Waiting retries are made at
   * once (not after their back-off); what is still undelivered then is given up with one warning each.
   * Default 5000; 0 gives up at once.
   */
  closeTimeoutMs?: number;
  /** Which events to send. Default: pool.low, pool.exhausted, pool.reset, budget.crossed, limit.crossed, reconcile.drift and the credits.* reload events. */
  events?: AlertEventName[];
}

/** The JSON body of a webhook delivery. `id` is the same on every retry of one delivery. */
export interface WebhookBody extends AlertMessage {
  id: string;
}

export const SIGNATURE_HEADER = 'drawdown-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the value of the `drawdown-signature` header. */
export function signWebhook(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * For receivers: true when `header` signs exactly `body` with `secret` and its timestamp is within
 * `toleranceSec` of `now` (seconds), so a captured delivery cannot be replayed later.
 */
export function verifyWebhookSignature(input: {
  body: string;
  header: string | undefined;
  secret: string;
  toleranceSec?: number;
  now?: number;
}): boolean {
  const parts = Object.fromEntries((input.header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isSafeInteger(timestamp) || typeof parts.v1 !== 'string') return false;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', input.secret).update(`${timestamp}.${input.body}`).digest('hex'));
  const given = Buffer.from(parts.v1);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Sends alerts as signed JSON POSTs. Network errors, 429 and 5xx answers are retried with backoff
 * (same delivery id, fresh signature); other answers are final. Failures are logged, never thrown
 * into the request that raised the event.
 */
export function webhookNotifier(options: WebhookNotifierOptions) {
  const id = options?.id ?? 'webhook';
  const owner = `webhookNotifier("${id}")`;
  let url: URL;
  try {
    url = new URL(options.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw invalidOption(
      owner,
      'url',
      'is not an http(s) URL',
      'Pass the receiver address, like "https://example.com/hooks/drawdown".',
    );
  }
  if (typeof options.secret !== 'string' || options.secret.length < 16)
    throw invalidOption(
      owner,
      'secret',
      'is missing or shorter than 16 characters',
      'Use a long random string shared with the receiver.',
    );
  const retries = options.retries ?? 3;
  if (!Number.isSafeInteger(retries) || retries < 0)
    throw invalidOption(owner, 'retries', `is ${String(retries)}`, 'Use a whole number of zero or more.');
  const backoffMs = options.backoffMs ?? [500, 2000, 5000];
  if (
    !Array.isArray(backoffMs) ||
    backoffMs.length === 0 ||
    backoffMs.some((ms) => !Number.isSafeInteger(ms) || ms < 0)
  ) {
    throw invalidOption(owner, 'backoffMs', 'is not a list of whole milliseconds', 'Write it like [500, 2000, 5000].');
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
    throw invalidOption(owner, 'timeoutMs', `is ${String(timeoutMs)}`, 'Use a positive number of milliseconds.');
  const closeTimeoutMs = closeTimeoutOption(owner, options.closeTimeoutMs);
  const events = eventsOption(owner, options.events);
  const secret = options.secret;
  // Logs name the receiver by origin only: a path or query may carry a token.
  const where = url.origin;

  return {
    id,
    kind: 'notifier',
    setup(ctx: PluginContext) {
      const deliver = retrying({
        who: `webhook "${id}"`,
        where: `to ${where}`,
        verb: { present: 'deliver', past: 'delivered' },
        retries,
        backoffMs,
        closeTimeoutMs,
        logger: ctx.logger,
        attempts(alert) {
          // One id for every attempt, so the receiver can drop a retried duplicate.
          const body = JSON.stringify({ id: randomUUID(), ...alert } satisfies WebhookBody);
          return async (signal): Promise<AttemptOutcome> => {
            const response = await fetch(url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                [SIGNATURE_HEADER]: signWebhook(body, secret),
                'drawdown-event': alert.event,
              },
              body,
              signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]),
            });
            await response.body?.cancel();
            if (response.ok) return { sent: true };
            if (response.status !== 429 && response.status < 500) return { refused: `${where} refused` };
            throw new Error(`HTTP ${response.status}`);
          };
        },
      });

      const deliveries = deliverInBackground(ctx.events.on, events, deliver, closeTimeoutMs);
      return {
        async close() {
          await deliveries.stop();
        },
      };
    },
  } satisfies DrawdownPlugin;
}
