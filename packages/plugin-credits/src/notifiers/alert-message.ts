import { invalidOption, type DrawdownEventName, type DrawdownEvents, type Logger } from '@drawdown/core';

/** Events notifiers forward by default: what a person watching a wallet wants to hear about. */
export const DEFAULT_ALERT_EVENTS = [
  'pool.low',
  'pool.exhausted',
  'pool.reset',
  'budget.crossed',
  'limit.crossed',
  'reconcile.drift',
  'credits.reloaded',
  'credits.reload_failed',
  'credits.auto_reload_disabled',
] as const satisfies readonly DrawdownEventName[];

/** Events a notifier may forward. `listener.failed` (it carries raw errors) and per-request events are left out. */
export type AlertEventName = Exclude<DrawdownEventName, 'listener.failed' | 'ledger.changed'>;

/** What every notifier sends: one line to read, the event and its JSON-safe payload. */
export interface AlertMessage {
  event: AlertEventName;
  poolId?: string;
  /** One line, e.g. "credits: 80% of the $100.00 monthly spend limit used". */
  message: string;
  at: number;
  payload: unknown;
}

export function toAlert(event: AlertEventName, payload: unknown): AlertMessage {
  const p = (payload ?? {}) as { poolId?: unknown; message?: unknown; reason?: unknown; at?: unknown };
  const message = typeof p.message === 'string' ? p.message : typeof p.reason === 'string' ? p.reason : event;
  return {
    event,
    ...(typeof p.poolId === 'string' && { poolId: p.poolId }),
    message,
    at: typeof p.at === 'number' ? p.at : Date.now(),
    payload,
  };
}

/** Checks a notifier's `events` option. */
export function eventsOption(owner: string, events: readonly string[] | undefined): AlertEventName[] {
  const list = events ?? DEFAULT_ALERT_EVENTS;
  if (!Array.isArray(list) || list.length === 0)
    throw invalidOption(
      owner,
      'events',
      'is not a list of event names',
      `Write it like ["pool.low", "credits.reload_failed"].`,
    );
  list.forEach((name, i) => {
    if (
      typeof name !== 'string' ||
      !/^[a-z]+\.[a-z_]+$/.test(name) ||
      name === 'listener.failed' ||
      name === 'ledger.changed'
    ) {
      throw invalidOption(
        owner,
        `events[${i}]`,
        `is ${JSON.stringify(name)}`,
        'Use event names like "pool.low" or "credits.reloaded".',
      );
    }
  });
  return [...list] as AlertEventName[];
}

/** Subscribes `deliver` to each event; returns the unsubscribe. Events are typed by name, payloads forwarded as is. */
export function subscribe(
  on: <E extends DrawdownEventName>(event: E, listener: (payload: DrawdownEvents[E]) => void) => () => void,
  events: AlertEventName[],
  deliver: (alert: AlertMessage) => void,
): () => void {
  const offs = events.map((event) => on(event, (payload) => deliver(toAlert(event, payload))));
  return () => {
    for (const off of offs) off();
  };
}

/** Default grace period `close()` gives deliveries still waiting to be retried. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** Once closing, a delivery that fails again waits at most this long (not its back-off) before the next attempt. */
const CLOSING_RETRY_GAP_MS = 100;

/** Checks a notifier's `closeTimeoutMs` option. */
export function closeTimeoutOption(owner: string, value: number | undefined): number {
  const ms = value ?? DEFAULT_CLOSE_TIMEOUT_MS;
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw invalidOption(
      owner,
      'closeTimeoutMs',
      `is ${String(ms)}`,
      'Use whole milliseconds of zero or more, like 5000 (0: close does not wait).',
    );
  return ms;
}

/** What a delivery sees of the hub closing. */
export interface DeliveryControl {
  /** Aborted when close()'s grace period runs out: the delivery gives up and says so. */
  readonly signal: AbortSignal;
  /** Waits before the next attempt: the back-off while running; once closing, at once (or a short gap). */
  backoff(ms: number): Promise<void>;
}

/** Resolves or rejects with `work`, or rejects with the abort reason as soon as `signal` aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** What one attempt came to: sent; a refusal not worth retrying; or nothing more to do (already reported). */
export type AttemptOutcome = { sent: true } | { refused: string } | { stop: true };

/** How a notifier makes one attempt and names itself in its log lines. */
export interface RetryPolicy {
  /** The notifier as logs name it: `webhook "ops"`, `email "billing"`. */
  who: string;
  /** Where it sends, as logs may show it: `to https://hooks.example`, `via smtp.example:587`. */
  where: string;
  /** The verb and participle of its lines: `deliver` / `delivered`, `send` / `sent`. */
  verb: { present: string; past: string };
  retries: number;
  backoffMs: readonly number[];
  closeTimeoutMs: number;
  logger: Logger;
  /** Hides secrets in a problem text before it is logged. */
  redact?: (problem: string) => string;
  /** The attempts at one alert (what they share, such as a delivery id, is made once); a throw is worth retrying. */
  attempts(alert: AlertMessage): (signal: AbortSignal) => Promise<AttemptOutcome>;
}

/**
 * The one retry loop of every notifier: up to `retries` more attempts with back-off, a refusal
 * given up at once, and a delivery cut short by close's grace period reported with what it tried.
 */
export function retrying(policy: RetryPolicy): (alert: AlertMessage, control: DeliveryControl) => Promise<void> {
  const { who, where, verb, retries, backoffMs, closeTimeoutMs, logger } = policy;
  const redact = policy.redact ?? ((problem: string) => problem);
  return async (alert, control) => {
    const attemptOnce = policy.attempts(alert);
    let problem = 'no answer yet';
    for (let attempt = 0; ; attempt++) {
      if (control.signal.aborted) {
        logger.warn(
          `${who} gave up on ${alert.event} ${where} at close: not ${verb.past} within closeTimeoutMs ${closeTimeoutMs} (${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}, last: ${redact(problem)})`,
        );
        return;
      }
      try {
        const outcome = await attemptOnce(control.signal);
        if ('sent' in outcome || 'stop' in outcome) return;
        logger.warn(`${who}: ${outcome.refused} ${alert.event}; not retried`);
        return;
      } catch (error) {
        // Cut short by close's grace period: the check at the top of the loop reports it.
        if (control.signal.aborted) {
          problem = attempt === 0 ? 'no answer' : `${problem}, then no answer`;
          continue;
        }
        problem = error instanceof Error ? error.message : String(error);
      }
      if (attempt >= retries) {
        logger.warn(
          `${who} could not ${verb.present} ${alert.event} ${where} after ${attempt + 1} attempts (${redact(problem)})`,
        );
        return;
      }
      await control.backoff(backoffMs[Math.min(attempt, backoffMs.length - 1)]!);
    }
  };
}

/**
 * Delivers each alert in the background (a slow receiver never holds up a request) and keeps the
 * deliveries in flight. Back-off timers are unref'd so they never keep a process alive; that is why
 * `stop()` cannot just wait for them: it unsubscribes, retries what is waiting right away and keeps
 * the process alive for up to `closeTimeoutMs` while deliveries finish, then aborts the rest (each
 * delivery logs its own give-up line).
 */
export function deliverInBackground(
  on: Parameters<typeof subscribe>[0],
  events: AlertEventName[],
  deliver: (alert: AlertMessage, control: DeliveryControl) => Promise<void>,
  closeTimeoutMs: number,
): { stop(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  const waiting = new Set<() => void>();
  const grace = new AbortController();
  let closing = false;
  const control: DeliveryControl = {
    signal: grace.signal,
    backoff(ms) {
      if (closing) return sleep(Math.min(ms, CLOSING_RETRY_GAP_MS));
      return new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms).unref();
        waiting.add(wake);
      });
    },
  };
  const unsubscribe = subscribe(on, events, (alert) => {
    const delivery = deliver(alert, control).finally(() => pending.delete(delivery));
    pending.add(delivery);
  });
  return {
    async stop() {
      unsubscribe();
      closing = true;
      for (const wake of [...waiting]) wake();
      if (pending.size === 0) return;
      // A referenced timer: it is what keeps the process alive while the deliveries finish.
      const timer = setTimeout(() => grace.abort(new Error('closeTimeoutMs passed')), closeTimeoutMs);
      try {
        await Promise.all(pending);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
