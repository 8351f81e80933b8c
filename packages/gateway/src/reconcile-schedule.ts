import { randomUUID } from 'node:crypto';
import {
  formatUsd,
  invalidOption,
  isDrawdownError,
  type DrawdownEvents,
  type DrawdownPlugin,
  type Nanos,
  type PluginContext,
} from '@drawdown/core';
import { formatDuration } from '@drawdown/core/forecast';
import {
  BUCKET_WIDTHS,
  driftByPool,
  reconcile,
  type BucketWidth,
  type ReconcileResult,
  type ReportSource,
} from '@drawdown/core/reconcile';
import { recordReconcileDrift } from '@drawdown/metrics';

export interface ReconcileScheduleOptions {
  /** Plugin id. Default `reconcile-schedule`. */
  id?: string;
  /** Time between runs, ms (the first runs at start). */
  everyMs: number;
  /** Anthropic API key id (`apikey_…`) of the key each pool draws on, as for `reconcile`. */
  keys: Record<string, string>;
  /** The Admin key, read at each run (a rotated key counts); never logged, stored or sent in an event. */
  adminKey: () => string | undefined;
  /** The variable the Admin key comes from, named in the warning when it is unset. Default ANTHROPIC_ADMIN_KEY. */
  adminKeyEnv?: string;
  /** Default `https://api.anthropic.com`. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** How far back each run compares, ms. Default 24 hours. */
  lookbackMs?: number;
  /** Default `1h`. */
  bucket?: BucketWidth;
  reportingLagMs?: number;
  toleranceNanos?: Nanos;
  /** Which report to read; default `admin`. */
  source?: ReportSource;
  /** One run's reading of the report gives up after this long, ms. Default 60 s. */
  timeoutMs?: number;
}

/** What one tick came to: compared, skipped (another process holds the schedule, or no Admin key), or failed. */
export type ScheduledRun =
  | { ran: true; result: ReconcileResult }
  | { ran: false; reason: 'another process runs the schedule' | 'no admin key' | 'failed'; error?: unknown };

/** The lease that makes one process of a shared ledger run the schedule. */
const LEASE = 'reconcile:schedule';
const DAY_MS = 86_400_000;

function check(options: ReconcileScheduleOptions): void {
  const owner = 'reconcileSchedule';
  if (!Number.isSafeInteger(options.everyMs) || options.everyMs <= 0)
    throw invalidOption(
      owner,
      'everyMs',
      `is ${String(options.everyMs)}`,
      'Use whole milliseconds, e.g. 900000 (15 minutes).',
    );
  if (options.bucket !== undefined && !BUCKET_WIDTHS.includes(options.bucket))
    throw invalidOption(owner, 'bucket', `is ${JSON.stringify(options.bucket)}`, 'Use 1m, 1h or 1d.');
  if (options.lookbackMs !== undefined && !(Number.isSafeInteger(options.lookbackMs) && options.lookbackMs > 0))
    throw invalidOption(
      owner,
      'lookbackMs',
      `is ${String(options.lookbackMs)}`,
      'Use whole milliseconds, e.g. 86400000.',
    );
  if (typeof options.adminKey !== 'function')
    throw invalidOption(owner, 'adminKey', 'is not a function', 'Pass () => process.env.ANTHROPIC_ADMIN_KEY.');
  if (typeof options.keys !== 'object' || options.keys === null || Object.keys(options.keys).length === 0)
    throw invalidOption(
      owner,
      'keys',
      'is empty',
      'Map each pool to its Anthropic key id, e.g. {"credits": "apikey_01Rj…"}.',
    );
}

/** The alert a drifting run raises: what drifts, by how much, and in which pools. */
function driftEvent(result: ReconcileResult, pools: Record<string, Nanos>): DrawdownEvents['reconcile.drift'] {
  const drifting = result.groups.filter((g) => g.status === 'drift');
  const names = [...new Set(drifting.flatMap((g) => g.pools))];
  const groups = `${drifting.length} ${drifting.length === 1 ? 'group drifts' : 'groups drift'}`;
  // Exact amounts: a drift just past its tolerance would read as equal to it in cents.
  return {
    message:
      `reconcile: ${groups} ${formatUsd(result.totals.driftNanos, 'exact')} from Anthropic's usage report ` +
      `(tolerance ${formatUsd(result.toleranceNanos, 'exact')}); pools: ${names.join(', ')}`,
    from: result.from,
    to: result.to,
    driftNanos: result.totals.driftNanos,
    toleranceNanos: result.toleranceNanos,
    pools,
    groups: drifting.map((g) => ({
      apiKeyId: g.apiKeyId,
      model: g.model,
      bucketStart: g.bucketStart,
      pools: g.pools,
      ...(g.driftNanos !== undefined && { driftNanos: g.driftNanos }),
      ...(g.reason !== undefined && { reason: g.reason }),
    })),
    at: result.at,
  };
}

/**
 * Reconciles the ledger with Anthropic's usage report every `everyMs`, as a hub plugin: each run
 * records the drift per pool for `/metrics` (`drawdown_reconcile_drift_nanodollars`) and, when a
 * group drifts beyond the tolerance, raises one `reconcile.drift` event, which the webhook and email
 * notifiers deliver. On a shared ledger one process runs the schedule (a lease it renews each run;
 * another takes over if it stops). A failed run (a 429, a 500, no network) is logged and tried
 * again at the next run; nothing else stops.
 */
export function reconcileSchedule(options: ReconcileScheduleOptions) {
  check(options);
  const everyMs = options.everyMs;
  const adminKeyEnv = options.adminKeyEnv ?? 'ANTHROPIC_ADMIN_KEY';
  const owner = randomUUID();
  const pools = Object.keys(options.keys);
  return {
    id: options.id ?? 'reconcile-schedule',
    kind: 'other',
    setup(ctx: PluginContext) {
      const closing = new AbortController();
      let running: Promise<ScheduledRun> | undefined;

      const scrubbed = (text: string, key: string): string =>
        key.length >= 6 ? text.split(key).join('[redacted]') : text;
      const timedFetch: typeof fetch = (input, init) =>
        (options.fetch ?? fetch)(input, {
          ...init,
          signal: AbortSignal.any([closing.signal, AbortSignal.timeout(options.timeoutMs ?? 60_000)]),
        });

      async function run(): Promise<ScheduledRun> {
        const now = ctx.clock.now();
        // Renewed by each run of the holder; lapses when it stops, so another process takes over.
        if (!(await ctx.store.tryLease({ name: LEASE, owner, ttlMs: Math.ceil(everyMs * 1.5), now })))
          return { ran: false, reason: 'another process runs the schedule' };
        const adminKey = options.adminKey();
        if (adminKey === undefined || adminKey.trim() === '') {
          ctx.logger.warn(
            `scheduled reconcile skipped: ${adminKeyEnv} is not set (reading Anthropic's usage report needs an Admin key); next run in ${formatDuration(everyMs)}`,
          );
          return { ran: false, reason: 'no admin key' };
        }
        try {
          const result = await reconcile({
            store: ctx.store,
            rateCard: ctx.rateCard,
            keys: options.keys,
            adminKey,
            ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
            fetch: timedFetch,
            from: now - (options.lookbackMs ?? DAY_MS),
            to: now,
            bucket: options.bucket ?? '1h',
            now,
            ...(options.reportingLagMs !== undefined && { reportingLagMs: options.reportingLagMs }),
            ...(options.source !== undefined && { source: options.source }),
            ...(options.toleranceNanos !== undefined && { toleranceNanos: options.toleranceNanos }),
          });
          const drift = driftByPool(result, pools);
          await recordReconcileDrift(ctx.store, { at: result.at, pools: drift });
          if (result.exceedsTolerance) ctx.events.emit('reconcile.drift', driftEvent(result, drift));
          return { ran: true, result };
        } catch (error) {
          const why = isDrawdownError(error)
            ? `${error.code}: ${error.message}`
            : error instanceof Error
              ? error.message
              : String(error);
          ctx.logger.warn(
            `scheduled reconcile failed (${scrubbed(why, adminKey)}); it runs again in ${formatDuration(everyMs)}`,
          );
          return { ran: false, reason: 'failed', error };
        }
      }

      /** One run at a time: a tick that comes while a run is still reading the report is skipped. */
      const tick = (): void => {
        if (running || closing.signal.aborted) return;
        running = run().finally(() => {
          running = undefined;
        });
      };
      const first = setTimeout(tick, 0);
      const timer = setInterval(tick, everyMs);
      first.unref();
      timer.unref();
      return {
        async close() {
          closing.abort();
          clearTimeout(first);
          clearInterval(timer);
          await running;
          await ctx.store.releaseLease({ name: LEASE, owner }).catch(() => undefined);
        },
      };
    },
  } satisfies DrawdownPlugin;
}
