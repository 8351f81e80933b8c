import { invalidOption, type DrawdownEventName, type DrawdownEvents } from '@drawdown/core';

/** Events notifiers forward by default: what a person watching a wallet wants to hear about. */
export const DEFAULT_ALERT_EVENTS = [
  'pool.low',
  'pool.exhausted',
  'pool.reset',
  'budget.crossed',
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
