import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub, LedgerStore, Nanos } from '@drawdown/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a request was refused before it reached the upstream: the `reason` label of `drawdown_refusals_total`. */
export type RefusalReason =
  | 'invalid_key'
  | 'key_expired'
  | 'model_not_allowed'
  | 'rate_limit_requests'
  | 'rate_limit_tokens'
  | 'route_exhausted'
  | 'key_budget'
  | 'level_budget'
  | 'unknown_model'
  | 'invalid_request';

/** Where the last reconcile's drift lives in the store's shared state, so every process and host reports it. */
export const RECONCILE_DRIFT_STATE_KEY = 'metrics.reconcileDrift';

/** What a reconcile found: per pool, the ledger's spend minus the provider's reported spend, nanodollars. */
export interface ReconcileDrift {
  /** When the reconcile ran (epoch ms). */
  at: number;
  pools: Record<string, Nanos>;
}

/**
 * Records a reconcile's drift in the store: every `/metrics` on the store then reports it as
 * `drawdown_reconcile_drift_nanodollars{pool}` (and the time as
 * `drawdown_reconcile_last_run_timestamp_seconds`). Called by whatever reconciles the ledger.
 */
export async function recordReconcileDrift(store: LedgerStore, drift: ReconcileDrift): Promise<void> {
  for (const [pool, nanos] of Object.entries(drift.pools)) {
    if (!Number.isSafeInteger(nanos))
      throw new TypeError(`reconcile drift of pool "${pool}" must be a whole number of nanodollars, got ${nanos}`);
  }
  await store.setState(RECONCILE_DRIFT_STATE_KEY, drift);
}

export interface MetricsOptions {
  hub: Hub;
  /** Which server answers: the `server` label of the latency histogram (`gateway`, `dashboard`, `mcp`). */
  server: string;
}

/**
 * Prometheus metrics (text format) for one of drawdown's HTTP servers. Spend and holds are read
 * from the ledger at each scrape, per pool, so every process on a shared store reports the same
 * totals, equal to the ledger to the nanodollar; refusals, request latency and upstream statuses
 * count what this process saw. Each call makes its own registry, so several servers in one process
 * never collide.
 */
export function drawdownMetrics(options: MetricsOptions) {
  const { hub, server } = options;
  const registry = new Registry();
  const registers = [registry];
  const poolIds = (): string[] => hub.pools().map((p) => p.id);
  const snapshots = async () => {
    const now = hub.clock.now();
    return Promise.all(
      poolIds().map(async (pool) => ({ pool, snap: await hub.store.snapshot({ account: pool, now }) })),
    );
  };
  // A counter only goes up: each scrape adds what the ledger gained since the last one.
  const counted = new Map<string, number>();

  new Counter({
    name: 'drawdown_spend_nanodollars_total',
    help: 'Settled spend per pool at rate-card prices, in nanodollars (1e-9 USD), from the ledger.',
    labelNames: ['pool'],
    registers,
    async collect() {
      for (const { pool, snap } of await snapshots()) {
        const before = counted.get(pool) ?? 0;
        this.inc({ pool }, Math.max(0, snap.settled.lifetime - before));
        counted.set(pool, Math.max(before, snap.settled.lifetime));
      }
    },
  });
  new Gauge({
    name: 'drawdown_held_nanodollars',
    help: 'Amount held by requests in flight per pool, in nanodollars, from the ledger.',
    labelNames: ['pool'],
    registers,
    async collect() {
      for (const { pool, snap } of await snapshots()) this.set({ pool }, snap.held);
    },
  });
  new Gauge({
    name: 'drawdown_holds',
    help: 'Holds of requests in flight per pool, from the ledger.',
    labelNames: ['pool'],
    registers,
    async collect() {
      for (const { pool, snap } of await snapshots()) this.set({ pool }, snap.activeHolds);
    },
  });
  const refusals = new Counter({
    name: 'drawdown_refusals_total',
    help: 'Requests refused before they reached the upstream, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const duration = new Histogram({
    name: 'drawdown_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer finishing, by server, route and status.',
    labelNames: ['server', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const upstream = new Counter({
    name: 'drawdown_upstream_responses_total',
    help: 'Answers from the upstream API, by HTTP status.',
    labelNames: ['status'],
    registers,
  });
  const readDrift = async (): Promise<ReconcileDrift | undefined> =>
    hub.store.getState<ReconcileDrift>(RECONCILE_DRIFT_STATE_KEY);
  new Gauge({
    name: 'drawdown_reconcile_drift_nanodollars',
    help: "Ledger spend minus the provider's reported spend at the last reconcile, per pool, in nanodollars.",
    labelNames: ['pool'],
    registers,
    async collect() {
      this.reset();
      const drift = await readDrift();
      for (const [pool, nanos] of Object.entries(drift?.pools ?? {})) this.set({ pool }, nanos);
    },
  });
  new Gauge({
    name: 'drawdown_reconcile_last_run_timestamp_seconds',
    help: 'When the last reconcile ran (Unix time); absent before the first.',
    registers,
    async collect() {
      this.reset();
      const drift = await readDrift();
      if (drift) this.set(drift.at / 1000);
    },
  });

  return {
    registry,
    refused(reason: RefusalReason): void {
      refusals.inc({ reason });
    },
    upstreamStatus(status: number): void {
      upstream.inc({ status: String(status) });
    },
    /** Times one exchange under `route` (a fixed name, never the raw path), until its answer finishes or breaks off. */
    time(res: ServerResponse, route: string): void {
      const end = duration.startTimer({ server, route });
      res.once('close', () => end({ status: String(res.statusCode) }));
    },
    /** The metrics in the Prometheus text format, for servers that answer with web `Response`s. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    /** Answers a scrape (`GET /metrics`) in the Prometheus text format. */
    async serve(_req: IncomingMessage, res: ServerResponse): Promise<void> {
      const body = await registry.metrics();
      res.writeHead(200, {
        'content-type': registry.contentType,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      res.end(body);
    },
  };
}

export type DrawdownMetrics = ReturnType<typeof drawdownMetrics>;
