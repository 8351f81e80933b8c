import type { DrawdownEventName, Hub } from '@drawdown/core';

/** One line in the page's alert list. */
export interface AlertView {
  at: string;
  event: string;
  level: 'info' | 'warning' | 'critical';
  poolId?: string;
  message: string;
}

export interface AlertLog {
  list(): AlertView[];
  /** Calls `listener` after each new alert; returns the unsubscribe function. */
  onAlert(listener: (alert: AlertView) => void): () => void;
  close(): void;
}

/**
 * Events worth a person's attention. Credits events come from `@drawdown/plugin-credits` by
 * declaration merging; they are named here as strings so the dashboard does not need that plugin.
 */
const WATCHED: Record<string, AlertView['level']> = {
  'pool.low': 'warning',
  'pool.exhausted': 'critical',
  'pool.reset': 'info',
  'budget.crossed': 'warning',
  'reconcile.drift': 'warning',
  'route.switched': 'info',
  'credits.granted': 'info',
  'credits.reloaded': 'info',
  'credits.reload_failed': 'critical',
};

function describe(event: string, payload: Record<string, unknown>): string {
  if (typeof payload.message === 'string') return payload.message;
  if (event === 'route.switched')
    return `requests now go to "${String(payload.to)}"${payload.from ? ` instead of "${String(payload.from)}"` : ''}: ${String(payload.reason)}`;
  if (event === 'pool.reset') return `"${String(payload.poolId)}" can pay again`;
  return event;
}

/**
 * Keeps the last `size` alerts the hub announced since the dashboard started. Alerts that stand
 * now (a low or exhausted pool) are also visible from the pool states, so nothing is lost on restart.
 */
export function createAlertLog(hub: Hub, size = 30): AlertLog {
  const alerts: AlertView[] = [];
  const listeners = new Set<(alert: AlertView) => void>();
  const offs = Object.entries(WATCHED).map(([event, level]) =>
    hub.on(
      event as DrawdownEventName,
      ((payload: Record<string, unknown>) => {
        const alert: AlertView = {
          at: new Date(typeof payload.at === 'number' ? payload.at : hub.clock.now()).toISOString(),
          event,
          level,
          ...(typeof payload.poolId === 'string' && { poolId: payload.poolId }),
          message: describe(event, payload),
        };
        alerts.unshift(alert);
        alerts.length = Math.min(alerts.length, size);
        for (const listener of listeners) listener(alert);
      }) as never,
    ),
  );
  return {
    list: () => [...alerts],
    onAlert(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const off of offs) off();
      listeners.clear();
    },
  };
}
