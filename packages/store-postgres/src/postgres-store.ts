import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  DrawdownError,
  ErrorCodes,
  type AccountSnapshot,
  type ChargeRecord,
  type EntryMeta,
  type GrantRecord,
  type GrantResult,
  type HoldRecord,
  type LedgerChange,
  type LedgerEntry,
  type LedgerStore,
  type ReleaseResult,
  type ReportRow,
  type ReserveResult,
  type SettleResult,
  type OptionProblem,
  type SpendHour,
} from '@drawdown/core';
import { throwFirstProblem } from '@drawdown/core/internal';
import { SPEND_HOUR_MS, sortReportRows, sqlReport, windowStart } from '@drawdown/core/store';
import { storeError } from './errors.js';
import { createGroupCommit, type ItemOutcome } from './group-commit.js';
import { createListener } from './listener.js';
import { migrate } from './migrate.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db`. Ignored when `pool` is given. Default: `DRAWDOWN_POSTGRES_URL`. */
  connectionString?: string;
  /** Your own pool; the store never ends it. */
  pool?: pg.Pool;
  /** Schema that holds the ledger (created if missing). Default `drawdown`. */
  schema?: string;
  /** LISTEN for changes made by other hosts so `watch()` reports them as `remote`. Default true. */
  listen?: boolean;
  /**
   * Group commit: up to this many concurrent reserve/settle/release calls share one transaction
   * (one round trip, one commit). Default 64; 1 gives every call its own transaction.
   */
  maxBatch?: number;
  /**
   * `false` (default): a transaction of only holds and releases commits with `synchronous_commit =
   * off` — visible to every host at once, answered without waiting for the disk flush, as the
   * SQLite store answers its holds; settles, grants and state still wait for theirs (and flush
   * every commit before them). The price: if the PostgreSQL server itself crashes, holds from its
   * last ~0.6 s (3 × `wal_writer_delay`) can be lost while their requests still run, so those
   * requests can overrun a budget by up to their own cost. `true`: every reserve and release waits
   * for its flush too, one disk flush more on each request's way to the API.
   */
  durableHolds?: boolean;
}

/** Batches in flight at once: enough to overlap one batch's commit with the next one's work. */
const BATCHES_IN_FLIGHT = 4;

/** One mutation queued for group commit, in the shape `apply_batch` reads. */
type BatchItem =
  | {
      op: 'reserve';
      account: string;
      key: string;
      amount: number;
      ttlMs: number;
      now: number;
      limits: unknown;
      scopes: string[];
      day: string;
      meta: EntryMeta;
      limitAccounts?: unknown;
    }
  | {
      op: 'settle';
      account: string;
      key: string;
      cost: number;
      now: number;
      meta: EntryMeta;
      scopes: string[] | null;
      day: string | null;
    }
  | { op: 'release'; account: string; key: string };

/** A statement error the server raised (SQLSTATE), other than lost connections (08), shutdowns (57) or exhausted resources (53). */
const refusedByServer = (error: unknown): boolean => {
  const code = (error as DrawdownError).data?.pgCode;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57|53)/.test(code);
};

const DOING: Record<BatchItem['op'], string> = {
  reserve: 'reserving funds',
  settle: 'settling a charge',
  release: 'releasing a hold',
};

const OWNER = 'postgresStore';

interface GrantRow {
  account: string;
  grant_id: string;
  kind: GrantRecord['kind'];
  priority: number;
  amount: number | string;
  remaining: number | string;
  created_at: number | string;
  expires_at: number | string | null;
  source: string | null;
}

const grantRecord = (r: GrantRow): GrantRecord => ({
  account: r.account,
  grantId: r.grant_id,
  kind: r.kind,
  priority: r.priority,
  amount: Number(r.amount),
  remaining: Number(r.remaining),
  createdAt: Number(r.created_at),
  ...(r.expires_at !== null && { expiresAt: Number(r.expires_at) }),
  ...(r.source !== null && { source: r.source }),
});

const holdRecord = (r: Record<string, unknown>): HoldRecord => ({
  account: r.account as string,
  key: r.key as string,
  amount: Number(r.amount),
  state: r.state as HoldRecord['state'],
  createdAt: Number(r.createdAt ?? r.created_at),
  expiresAt: Number(r.expiresAt ?? r.expires_at),
});

/**
 * Every problem of the options (empty when they are fine): `postgresStore` throws the first, a
 * configuration's `store` section reports them all. Never echoes a connection string: it may
 * carry a password.
 */
export function postgresStoreOptionProblems(options: unknown): OptionProblem[] {
  if (options === null || typeof options !== 'object')
    return [{ field: 'options', problem: 'must be an object', fix: 'Pass { connectionString } or { pool }.' }];
  const { schema, listen, maxBatch, durableHolds, pool, connectionString } = options as Record<string, unknown>;
  const problems: OptionProblem[] = [];
  const problem = (field: string, value: unknown, fix: string): void =>
    void problems.push({ field, problem: `is ${JSON.stringify(value)}`, fix });
  if (schema !== undefined && (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)))
    problem('schema', schema, 'Use lower-case letters, digits and "_" (at most 63), like "drawdown".');
  if (listen !== undefined && typeof listen !== 'boolean') problem('listen', listen, 'Use true or false.');
  // Bounded so one batch holds its account locks for a few milliseconds at most.
  if (
    maxBatch !== undefined &&
    !(Number.isSafeInteger(maxBatch) && (maxBatch as number) >= 1 && (maxBatch as number) <= 1000)
  )
    problem('maxBatch', maxBatch, 'Use a whole number from 1 to 1000, like 64.');
  if (durableHolds !== undefined && typeof durableHolds !== 'boolean')
    problem('durableHolds', durableHolds, 'Use true or false.');
  if (pool !== undefined) {
    // Duck-typed: an application may carry its own copy of pg.
    const given = pool as Partial<pg.Pool> | null;
    if (typeof given?.query !== 'function' || typeof given.connect !== 'function' || typeof given.on !== 'function')
      problems.push({
        field: 'pool',
        problem: 'is not a pg.Pool',
        fix: 'Pass new pg.Pool({ connectionString }) or use connectionString.',
      });
    return problems;
  }
  const url = connectionString ?? process.env.DRAWDOWN_POSTGRES_URL;
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url))
    problems.push({
      field: 'connectionString',
      problem: 'is missing or not a postgres:// URL',
      fix: 'Pass connectionString: "postgres://user@host:5432/db", set DRAWDOWN_POSTGRES_URL, or pass pool.',
    });
  return problems;
}

function validate(options: PostgresStoreOptions): {
  schema: string;
  listen: boolean;
  maxBatch: number;
  durableHolds: boolean;
  connectionString?: string;
} {
  throwFirstProblem(OWNER, postgresStoreOptionProblems(options));
  return {
    schema: options.schema ?? 'drawdown',
    listen: options.listen ?? true,
    maxBatch: options.maxBatch ?? 64,
    durableHolds: options.durableHolds ?? false,
    ...(options.pool === undefined && {
      // Checked above: a postgres:// URL.
      connectionString: (options.connectionString ?? process.env.DRAWDOWN_POSTGRES_URL) as string,
    }),
  };
}

/**
 * The shared ledger for pools used from many machines. Runs migrations (refusing a schema from a
 * newer drawdown), then serves the store contract with PL/pgSQL functions that lock the account
 * row first, so check-and-reserve is atomic across every host. Concurrent reserve/settle/release
 * calls share one transaction (group commit, `maxBatch`), each still answered after it. Changes are
 * announced with NOTIFY in the same transaction and delivered to `watch()` on every host.
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<LedgerStore> {
  const { schema, listen, maxBatch, durableHolds, connectionString } = validate(options);
  const ownsPool = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString, max: 16, allowExitOnIdle: true });
  const writer = randomUUID();
  const listeners = new Set<(change: LedgerChange) => void>();
  const S = `"${schema}"`;
  let closed = false;

  const deliver = (change: LedgerChange): void => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        // A watcher's failure must not undo or block a stored change.
      }
    }
  };
  // A pool's idle clients can fail (server restart); without a handler that would crash the process.
  const onPoolError = (): void => {};
  pool.on('error', onPoolError);
  const listener = listen ? createListener({ pool, schema, writer, deliver, onError: () => {} }) : undefined;

  try {
    await migrate(pool, schema);
    await listener?.start();
  } catch (error) {
    await listener?.stop();
    pool.off('error', onPoolError);
    if (ownsPool) await pool.end().catch(() => {});
    throw storeError(error, schema, 'opening the ledger');
  }

  async function query<R extends pg.QueryResultRow>(doing: string, text: string, values: unknown[] = []): Promise<R[]> {
    if (closed)
      throw new DrawdownError(ErrorCodes.STORE_UNAVAILABLE, `the PostgreSQL store for schema "${schema}" was closed`, {
        data: { store: 'postgres', schema },
      });
    return run<R>(doing, text, values);
  }

  /** `query` without the closed check: batches accepted before `close()` still run while it waits for them. */
  async function run<R extends pg.QueryResultRow>(doing: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await pool.query<R>(text, values)).rows;
    } catch (error) {
      throw storeError(error, schema, doing);
    }
  }

  /** Calls one ledger function; its change was committed (and NOTIFY sent) when this returns. */
  async function call<T>(
    doing: string,
    fn: string,
    values: unknown[],
    change?: (result: T) => Omit<LedgerChange, 'origin'> | undefined,
  ): Promise<T> {
    const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await query<{ r: T }>(doing, `SELECT ${S}.${fn}(${placeholders}) AS r`, values);
    const result = rows[0]!.r;
    const announced = change?.(result);
    if (announced) deliver({ ...announced, origin: 'local' });
    return result;
  }

  const chargeRecord = (c: ChargeRecord): ChargeRecord => c;

  const batches = createGroupCommit<BatchItem, Record<string, unknown>>({
    maxBatch,
    maxInFlight: BATCHES_IN_FLIGHT,
    lockKey: (item) => item.account,
    apply: async (items) => {
      try {
        return (await applyBatch(items)).map((ok) => ({ ok }));
      } catch (error) {
        // The server refused the batch (one item raised), so none of it committed. Every operation
        // is idempotent by key: apply each alone, so only the item at fault fails. Connection and
        // resource failures reject every caller of the batch as they are.
        if (items.length === 1 || !refusedByServer(error)) throw error;
        const outcomes: Array<ItemOutcome<Record<string, unknown>>> = [];
        for (const item of items)
          outcomes.push(
            await applyBatch([item]).then(
              ([ok]) => ({ ok: ok! }),
              (e: unknown) => ({ error: e }),
            ),
          );
        return outcomes;
      }
    },
  });

  async function applyBatch(items: BatchItem[]): Promise<Array<Record<string, unknown>>> {
    // set_config(..., true) lasts until the end of this statement's own transaction, whose commit reads it.
    const unflushed = !durableHolds && items.every((item) => item.op !== 'settle');
    const rows = await run<{ r: Array<Record<string, unknown>> }>(
      items.length === 1 ? DOING[items[0]!.op] : `applying ${items.length} ledger changes together`,
      unflushed
        ? `SELECT set_config('synchronous_commit', 'off', true), ${S}.apply_batch($1, $2) AS r`
        : `SELECT ${S}.apply_batch($1, $2) AS r`,
      [writer, JSON.stringify(items)],
    );
    return rows[0]!.r;
  }

  /** Queues one mutation for group commit; its change was committed (and NOTIFY sent) when this returns. */
  async function mutate<T>(item: BatchItem, change: (result: T) => boolean): Promise<T> {
    if (closed)
      throw new DrawdownError(ErrorCodes.STORE_UNAVAILABLE, `the PostgreSQL store for schema "${schema}" was closed`, {
        data: { store: 'postgres', schema },
      });
    const result = (await batches.submit(item)) as T;
    if (change(result)) deliver({ account: item.account, kind: item.op, key: item.key, origin: 'local' });
    return result;
  }

  return {
    kind: 'postgres',

    async reserve(input): Promise<ReserveResult> {
      const r = await mutate<Record<string, unknown>>(
        {
          op: 'reserve',
          account: input.account,
          key: input.key,
          amount: input.amount,
          ttlMs: input.ttlMs,
          now: input.now,
          limits: input.limits,
          scopes: input.scopes,
          day: input.day,
          meta: input.meta ?? {},
          ...(input.limitAccounts && input.limitAccounts.length > 0 && { limitAccounts: input.limitAccounts }),
        },
        (r) => r.ok === true && r.replayed === false,
      );
      if (r.ok === true)
        return { ok: true, hold: holdRecord(r.hold as Record<string, unknown>), replayed: r.replayed as boolean };
      return {
        ok: false,
        account: r.account as string,
        limit: r.limit as string,
        available: Number(r.available),
        requested: Number(r.requested),
        ...(r.resetsAt !== null && r.resetsAt !== undefined && { resetsAt: Number(r.resetsAt) }),
      };
    },

    async settle(input): Promise<SettleResult> {
      return mutate<SettleResult>(
        {
          op: 'settle',
          account: input.account,
          key: input.key,
          cost: input.cost,
          now: input.now,
          meta: input.meta ?? {},
          scopes: input.scopes ?? null,
          day: input.day ?? null,
        },
        (r) => r.status === 'settled',
      );
    },

    async release(input): Promise<ReleaseResult> {
      return mutate<ReleaseResult>(
        { op: 'release', account: input.account, key: input.key },
        (r) => r.status === 'released',
      );
    },

    async snapshot(input): Promise<AccountSnapshot> {
      const scopes = ['lifetime', ...(input.scopes ?? []).filter((s) => s !== 'lifetime')];
      const [row] = await query<{
        settled: Record<string, number>;
        held: string;
        active: number;
        grants: GrantRow[];
        overdraft: string | null;
      }>(
        'reading a snapshot',
        `SELECT ${S}.totals($1, $2) AS settled,
                (SELECT coalesce(sum(amount), 0) FROM ${S}.holds WHERE account = $1 AND state = 'held' AND expires_at > $3) AS held,
                (SELECT count(*)::int FROM ${S}.holds WHERE account = $1 AND state = 'held' AND expires_at > $3) AS active,
                (SELECT coalesce(jsonb_agg(to_jsonb(g)), '[]') FROM ${S}.live_grants($1, $3) g) AS grants,
                (SELECT overdraft FROM ${S}.accounts WHERE account = $1) AS overdraft`,
        [input.account, scopes, input.now],
      );
      const grants = row!.grants.map(grantRecord);
      return {
        account: input.account,
        settled: row!.settled as AccountSnapshot['settled'],
        held: Number(row!.held),
        activeHolds: row!.active,
        grants,
        granted: grants.reduce((s, g) => s + g.remaining, 0),
        overdraft: Number(row!.overdraft ?? 0),
      };
    },

    async addGrant(input): Promise<GrantResult> {
      const r = await call<{ status: GrantResult['status']; grant: GrantRow }>(
        'adding a grant',
        'add_grant',
        [
          writer,
          input.account,
          input.grantId,
          input.amount,
          input.kind,
          input.priority ?? 0,
          input.expiresAt ?? null,
          input.now,
          input.source ?? null,
        ],
        (r) => (r.status === 'added' ? { account: input.account, kind: 'grant', key: input.grantId } : undefined),
      );
      return { status: r.status, grant: grantRecord(r.grant) };
    },

    async report(q): Promise<ReportRow[]> {
      const rows = await query<Record<string, unknown>>(
        'building a report',
        `SELECT ${sqlReport.select(q.groupBy)}
         FROM ${S}.charges
         WHERE day >= $1 AND day <= $2 AND ($3::text[] IS NULL OR account = ANY($3))
         ${sqlReport.groupBy(q.groupBy)}
         HAVING count(*) > 0`,
        [q.fromDay, q.toDay, q.accounts ?? null],
      );
      const out = rows.map((r) => sqlReport.row(r, q.groupBy));
      // The shared report order, not the database's collation.
      return sortReportRows(out, q.groupBy);
    },

    async entries(q): Promise<LedgerEntry[]> {
      const wanted = (kind: LedgerEntry['kind']): boolean => !q.kinds || q.kinds.includes(kind);
      const account = q.account ?? null;
      const out: LedgerEntry[] = [];
      if (wanted('hold')) {
        const rows = await query<Record<string, unknown>>(
          'listing holds',
          `SELECT * FROM ${S}.holds WHERE $1::text IS NULL OR account = $1 ORDER BY account, created_at, key`,
          [account],
        );
        for (const r of rows) out.push({ kind: 'hold', record: holdRecord(r) });
      }
      if (wanted('charge')) {
        const rows = await query<{ charge: ChargeRecord; meta: EntryMeta }>(
          'listing charges',
          `SELECT ${S}.charge_json(c) AS charge, c.meta FROM ${S}.charges c WHERE $1::text IS NULL OR account = $1 ORDER BY account, settled_at, key`,
          [account],
        );
        for (const r of rows) out.push({ kind: 'charge', record: chargeRecord(r.charge), meta: r.meta });
      }
      if (wanted('grant')) {
        const rows = await query<GrantRow>(
          'listing grants',
          `SELECT * FROM ${S}.grants WHERE $1::text IS NULL OR account = $1 ORDER BY account, created_at, grant_id`,
          [account],
        );
        for (const r of rows) out.push({ kind: 'grant', record: grantRecord(r) });
      }
      return out;
    },

    async spendByHour({ account, since }): Promise<SpendHour[]> {
      const rows = await query<Record<string, number | string>>(
        'reading spend by hour',
        `SELECT hour, charges, cost, first_at, first_cost, last_at, cost_ms FROM ${S}.spend_hours
         WHERE account = $1 AND hour > $2 AND first_at > $3 ORDER BY hour`,
        [account, since - SPEND_HOUR_MS, since],
      );
      return rows.map((r) => ({
        start: Number(r.hour),
        charges: Number(r.charges),
        cost: Number(r.cost),
        firstAt: Number(r.first_at),
        firstCost: Number(r.first_cost),
        lastAt: Number(r.last_at),
        costMs: Number(r.cost_ms),
      }));
    },

    async getState<T>(key: string) {
      const rows = await query<{ value: T }>('reading shared state', `SELECT value FROM ${S}.state WHERE key = $1`, [
        key,
      ]);
      return rows[0]?.value;
    },

    async setState(key, value) {
      await call('saving shared state', 'set_state', [writer, key, JSON.stringify(value)], () => ({
        kind: 'state',
        key,
      }));
    },

    async tryLease({ name, owner, ttlMs, now }) {
      const rows = await query(
        'taking a lease',
        `INSERT INTO ${S}.leases (name, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE ${S}.leases.owner = $2 OR ${S}.leases.expires_at <= $4
         RETURNING name`,
        [name, owner, now + ttlMs, now],
      );
      return rows.length > 0;
    },

    async releaseLease({ name, owner }) {
      await query('releasing a lease', `DELETE FROM ${S}.leases WHERE name = $1 AND owner = $2`, [name, owner]);
    },

    async countInWindow({ counters, windowMs, now }) {
      const start = windowStart(now, windowMs);
      const rows = await query<{ r: { ok: boolean; counts: number[]; refused?: number } }>(
        'counting a rate limit',
        `SELECT ${S}.count_in_window($1, $2) AS r`,
        [JSON.stringify(counters), start],
      );
      return { ...rows[0]!.r, windowEnd: start + windowMs };
    },

    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      if (closed) return;
      closed = true;
      await batches.settled(); // calls already accepted are answered before the pool ends
      listeners.clear();
      await listener?.stop();
      pool.off('error', onPoolError);
      if (ownsPool) await pool.end();
    },
  };
}
