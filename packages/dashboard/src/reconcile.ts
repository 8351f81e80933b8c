import { isDrawdownError, type Hub } from '@drawdown/core';
import { CATEGORY_LABELS, reconcile, reconcileJson } from '@drawdown/core/reconcile';
import type { ReconcileSettings } from '@drawdown/mcp-server';

/** What the page's reconcile panel shows: how to turn it on, or the last check's result (or failure). */
export type ReconcileCard =
  | {
      enabled: false;
      /** One line saying what to add or set. */
      howTo: string;
    }
  | {
      enabled: true;
      /** When the next check is due (ISO 8601). */
      nextAt: string;
      /** The last check, as `drawdown reconcile --json` prints it. */
      result?: ReturnType<typeof reconcileJson>;
      /** Why the last check failed (a 429, a 500, no network); the result before it stays shown. */
      error?: { code: string; message: string; at: string };
      /** What the page calls each token category. */
      labels: Record<string, string>;
    };

export interface ReconcileSource {
  /** The card to show: the last result, after waiting for the first check. */
  read(): Promise<ReconcileCard>;
}

/** How far back the panel compares, and in which buckets: the last day, hour by hour. */
const LOOKBACK_MS = 86_400_000;
/** Checks at most this often: each one reads Anthropic's report, which has its own rate limits. */
export const DEFAULT_RECONCILE_EVERY_MS = 10 * 60_000;

const HOW_TO_CONFIGURE =
  'Add a "reconcile" section to the configuration ({"keys": {"<pool>": "apikey_…"}}) and set ' +
  'ANTHROPIC_ADMIN_KEY to compare the ledger with Anthropic’s usage report here.';

/**
 * The panel's data: `reconcile` from `@drawdown/core/reconcile` over the last day, run when the page
 * first asks and again once `everyMs` has passed, never two at a time. `changed` is called when a
 * check finishes, so open pages get the result.
 */
export function reconcileSource(
  hub: Hub,
  settings: ReconcileSettings | undefined,
  options: { everyMs?: number; changed?: () => void } = {},
): ReconcileSource {
  const everyMs = options.everyMs ?? DEFAULT_RECONCILE_EVERY_MS;
  let result: ReturnType<typeof reconcileJson> | undefined;
  let error: { code: string; message: string; at: string } | undefined;
  let lastAt: number | undefined;
  let running: Promise<void> | undefined;

  const check = async (adminKey: string): Promise<void> => {
    const now = hub.clock.now();
    lastAt = now;
    try {
      result = reconcileJson(
        await reconcile({
          store: hub.store,
          rateCard: hub.rateCard,
          keys: settings!.keys,
          adminKey,
          ...(settings!.baseUrl !== undefined && { baseUrl: settings!.baseUrl }),
          ...(settings!.toleranceNanos !== undefined && { toleranceNanos: settings!.toleranceNanos }),
          ...(settings!.reportingLagMs !== undefined && { reportingLagMs: settings!.reportingLagMs }),
          ...(settings!.source !== undefined && { source: settings!.source }),
          from: now - LOOKBACK_MS,
          to: now,
          bucket: '1h',
          now,
        }),
      );
      error = undefined;
    } catch (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      error = {
        code: isDrawdownError(failure) ? failure.code : 'DRAWDOWN_RECONCILE_UNREADABLE',
        message: adminKey.length >= 6 ? message.split(adminKey).join('[redacted]') : message,
        at: new Date(now).toISOString(),
      };
      hub.logger.warn(`dashboard: reconcile failed: ${error.message}`);
    }
  };

  return {
    async read() {
      if (!settings) return { enabled: false, howTo: HOW_TO_CONFIGURE };
      const adminKey = settings.adminKey();
      if (adminKey === undefined || adminKey.trim() === '')
        return {
          enabled: false,
          howTo: `Set ${settings.adminKeyEnv} (an Admin key of the organization) where the dashboard runs to compare the ledger with Anthropic’s usage report here.`,
        };
      const due = lastAt === undefined || hub.clock.now() - lastAt >= everyMs;
      if (due && !running) {
        running = check(adminKey).finally(() => {
          running = undefined;
          options.changed?.();
        });
      }
      // The first check is awaited so the page opens with a result; later ones refresh in the background.
      if (result === undefined && error === undefined) await running;
      return {
        enabled: true,
        nextAt: new Date((lastAt ?? hub.clock.now()) + everyMs).toISOString(),
        ...(result && { result }),
        ...(error && { error }),
        labels: CATEGORY_LABELS,
      };
    },
  };
}
