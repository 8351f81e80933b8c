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

/**
 * Delivers each alert in the background (a slow receiver never holds up a request) and keeps the
 * deliveries in flight, so `stop()` unsubscribes and then waits for them to finish.
 */
export function deliverInBackground(
  on: Parameters<typeof subscribe>[0],
  events: AlertEventName[],
  deliver: (alert: AlertMessage) => Promise<void>,
): { stop(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  const unsubscribe = subscribe(on, events, (alert) => {
    const delivery = deliver(alert).finally(() => pending.delete(delivery));
    pending.add(delivery);
  });
  return {
    async stop() {
      unsubscribe();
      await Promise.all(pending);
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
