import { randomUUID } from 'node:crypto';
import {
  DrawdownError,
  ErrorCodes,
  type AccountSnapshot,
  type ChargeRecord,
  type EntryMeta,
  type GrantRecord,
  type HoldRecord,
  type LedgerChange,
  type LedgerEntry,
  type LedgerStore,
  type Limit,
  type ReportRow,
  type ReserveResult,
  type ReleaseResult,
  type GrantResult,
  type SettleResult,
  type SpendHour,
  type WindowCountResult,
} from '@drawdown/core';
import {
  drawFromGrants,
  firstRefusedCounter,
  grantFundsAvailable,
  liveGrants,
  limitHoldKey,
  newGrant,
  SPEND_HOUR_MS,
  sortReportRows,
  sqlReport,
  windowStart,
} from '@drawdown/core/store';
import type { Database, SqlValue } from './driver.js';
import { storeError } from './errors.js';
import { sqlStatements } from './statements.js';
import { createWatcher } from './watcher.js';
import type { WalSync } from './wal-sync.js';
import { createWriteQueue, type WriteOutcome } from './write-queue.js';

export interface LedgerOptions {
  file: string;
  readonly: boolean;
  watchIntervalMs: number;
  /** Most writes committed in one transaction (group commit); 1 commits each write at its call. Default 256. */
  maxBatch?: number;
  /** Flushes the commits made so far to disk (durability 'full'); absent: a commit is the answer. */
  walSync?: WalSync;
}

export const DEFAULT_MAX_BATCH = 256;

interface HoldRow {
  account: string;
  key: string;
  amount: number;
  state: HoldRecord['state'];
  created_at: number;
  expires_at: number;
  scopes: string;
  day: string;
  meta: string;
  limit_accounts: string | null;
}

interface ChargeRow {
  account: string;
  key: string;
  cost: number;
  held: number;
  settled_at: number;
  day: string;
  overdraft: number;
  meta: string;
}

interface SpendHourRow {
  hour: number;
  charges: number;
  cost: number;
  first_at: number;
  first_cost: number;
  last_at: number;
  cost_ms: number;
}

interface GrantRow {
  account: string;
  grant_id: string;
  kind: GrantRecord['kind'];
  priority: number;
  amount: number;
  remaining: number;
  created_at: number;
  expires_at: number | null;
  source: string | null;
}

/** Writers prune the change log to about this many recent rows; watchers poll far more often. */
const CHANGE_LOG_KEEP = 10_000;
const PRUNE_EVERY = 1_000;

const holdRecord = (r: HoldRow): HoldRecord => ({
  account: r.account,
  key: r.key,
  amount: r.amount,
  state: r.state,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

const grantRecord = (r: GrantRow): GrantRecord => ({
  account: r.account,
  grantId: r.grant_id,
  kind: r.kind,
  priority: r.priority,
  amount: r.amount,
  remaining: r.remaining,
  createdAt: r.created_at,
  ...(r.expires_at !== null && { expiresAt: r.expires_at }),
  ...(r.source !== null && { source: r.source }),
});

const withLifetime = (scopes: readonly string[]): string[] => ['lifetime', ...scopes.filter((s) => s !== 'lifetime')];

/**
 * The ledger on an open, migrated `node:sqlite` connection. Every mutation runs in a
 * `BEGIN IMMEDIATE` transaction (shared by the writes of one turn, see createWriteQueue): it takes
 * the file's write lock before reading, so check-and-reserve is atomic across every process that
 * opens the same file.
 */
export function sqliteLedger(db: Database, options: LedgerOptions): LedgerStore {
  const { file } = options;
  const writer = randomUUID();
  const q = sqlStatements(db);
  const listeners = new Set<(change: LedgerChange) => void>();
  let closed = false;
  let logged = 0;
  const begin = db.prepare('BEGIN DEFERRED');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  // Reads of several tables see one snapshot. A read from a watcher called during a flush is
  // already inside the write transaction, which is the snapshot it needs.
  const inTransaction = {
    deferred<T>(fn: () => T): T {
      if (db.isTransaction) return fn();
      begin.run();
      try {
        const result = fn();
        commit.run();
        return result;
      } catch (error) {
        if (db.isTransaction) rollback.run();
        throw error;
      }
    },
  };

  const deliver = (change: LedgerChange): void => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        // A watcher's failure must not undo or block a stored change.
      }
    }
  };
  const watcher = createWatcher(db, q, { writer, intervalMs: options.watchIntervalMs, deliver });

  const ensureOpen = (): void => {
    if (closed)
      throw new DrawdownError(ErrorCodes.STORE_UNAVAILABLE, `the SQLite store for ${file} was closed`, {
        data: { store: 'sqlite', file },
      });
  };
  const ensureWritable = (doing: string): void => {
    ensureOpen();
    if (options.readonly) {
      throw new DrawdownError(
        ErrorCodes.STORE_UNAVAILABLE,
        `the drawdown ledger at ${file} was opened read-only, so ${doing} was refused. Open it without readonly to record spending.`,
        {
          data: { store: 'sqlite', file },
        },
      );
    }
  };

  const logChange = (change: Omit<LedgerChange, 'origin'>): void => {
    const seq = Number(
      q.logChange.run(writer, change.account ?? null, change.kind, change.key ?? null).lastInsertRowid,
    );
    if (++logged % PRUNE_EVERY === 0) q.pruneChanges.run(seq - CHANGE_LOG_KEEP);
  };

  const writes = createWriteQueue(db, {
    file,
    maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
    deliver: (change) => deliver({ ...change, origin: 'local' }),
    ...(options.walSync && { sync: options.walSync.sync }),
  });

  /**
   * Queues `fn` as one write. Writes called in the same turn commit together (group commit), in
   * call order; each change is announced after the commit, and each caller answered after it (a
   * `durable` write once the commit is on disk). Holds, releases and rate-limit counts are not
   * durable: a hold only matters while the process that made it lives, and after a power cut a
   * lost release only keeps funds held until the hold's TTL, never spends them.
   */
  function write<T>(doing: string, fn: () => WriteOutcome<T>, durable = true): Promise<T> {
    ensureWritable(doing);
    return writes.submit(
      doing,
      () => {
        const out = fn();
        if (out.change) logChange(out.change);
        return out;
      },
      durable,
    );
  }

  function read<T>(doing: string, fn: () => T): T {
    ensureOpen();
    // A read sees every write called before it, as when each write committed at its call.
    writes.flush();
    try {
      return fn();
    } catch (error) {
      throw storeError(error, file, doing);
    }
  }

  const activeHolds = (account: string, now: number): { sum: number; count: number } =>
    q.activeHolds.get(account, now) as unknown as { sum: number; count: number };
  const grantsOf = (account: string, now: number): GrantRecord[] =>
    liveGrants((q.grantsWithFunds.all(account, now) as unknown as GrantRow[]).map(grantRecord), now);
  const accountRow = (account: string): { overdraft: number; has_grants: number } =>
    (q.account.get(account) as unknown as { overdraft: number; has_grants: number } | undefined) ?? {
      overdraft: 0,
      has_grants: 0,
    };
  const totalOf = (account: string, scope: string): number => (q.rollup.get(account, scope) as number | undefined) ?? 0;
  const totals = (account: string, scopes: string[]): Record<string, number> =>
    Object.fromEntries(scopes.map((s) => [s, totalOf(account, s)]));
  const chargeRecord = (row: ChargeRow): ChargeRecord => ({
    account: row.account,
    key: row.key,
    cost: row.cost,
    held: row.held,
    settledAt: row.settled_at,
    day: row.day,
    allocations: (
      q.allocations.all(row.account, row.key) as unknown as Array<{ grant_id: string; amount: number }>
    ).map((a) => ({ grantId: a.grant_id, amount: a.amount })),
    overdraft: row.overdraft,
  });

  return {
    kind: 'sqlite',

    async reserve(input): Promise<ReserveResult> {
      return write<ReserveResult>(
        'reserving funds',
        () => {
          const existing = q.hold.get(input.account, input.key) as unknown as HoldRow | undefined;
          if (existing) return { result: { ok: true, hold: holdRecord(existing), replayed: true } };
          const charge = q.charge.get(input.account, input.key) as unknown as ChargeRow | undefined;
          if (charge) {
            const hold: HoldRecord = {
              account: charge.account,
              key: charge.key,
              amount: charge.held,
              state: 'settled',
              createdAt: charge.settled_at,
              expiresAt: charge.settled_at,
            };
            return { result: { ok: true, hold, replayed: true } };
          }
          // The reservation's own limits first, then each limit account's: the first refusal wins.
          const checks: Array<{ id: string; limits: Limit[] }> = [
            { id: input.account, limits: input.limits },
            ...(input.limitAccounts ?? []).map((l) => ({ id: l.account, limits: l.limits })),
          ];
          for (const check of checks) {
            if (check.limits.length === 0) continue;
            const held = activeHolds(check.id, input.now).sum;
            for (const limit of check.limits) {
              const available =
                limit.kind === 'cap'
                  ? limit.cap - totalOf(check.id, limit.scope) - held
                  : grantFundsAvailable(grantsOf(check.id, input.now), accountRow(check.id).overdraft, held);
              if (input.amount > available) {
                const refused: ReserveResult = {
                  ok: false,
                  account: check.id,
                  limit: limit.name,
                  available,
                  requested: input.amount,
                  ...(limit.kind === 'cap' && limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
                };
                return { result: refused };
              }
            }
          }
          const hold: HoldRecord = {
            account: input.account,
            key: input.key,
            amount: input.amount,
            state: 'held',
            createdAt: input.now,
            expiresAt: input.now + input.ttlMs,
          };
          const limited = input.limitAccounts ?? [];
          const scopes = JSON.stringify(input.scopes);
          q.insertHold.run(
            hold.account,
            hold.key,
            hold.amount,
            hold.createdAt,
            hold.expiresAt,
            scopes,
            input.day,
            JSON.stringify(input.meta ?? {}),
            limited.length > 0 ? JSON.stringify(limited.map((l) => l.account)) : null,
          );
          const mirrorKey = limitHoldKey(input.account, input.key);
          for (const l of limited)
            q.insertHold.run(
              l.account,
              mirrorKey,
              hold.amount,
              hold.createdAt,
              hold.expiresAt,
              scopes,
              input.day,
              '{}',
              null,
            );
          return {
            result: { ok: true, hold, replayed: false },
            change: { account: input.account, kind: 'reserve', key: input.key },
          };
        },
        false,
      );
    },

    async settle(input): Promise<SettleResult> {
      return write<SettleResult>('settling a charge', () => {
        const hold = q.hold.get(input.account, input.key) as unknown as HoldRow | undefined;
        const scopes = withLifetime(hold ? (JSON.parse(hold.scopes) as string[]) : (input.scopes ?? []));
        const limited = hold?.limit_accounts ? (JSON.parse(hold.limit_accounts) as string[]) : [];
        const limitTotals = (): Pick<SettleResult, 'limitTotals'> =>
          limited.length > 0 ? { limitTotals: Object.fromEntries(limited.map((l) => [l, totals(l, scopes)])) } : {};
        const previous = q.charge.get(input.account, input.key) as unknown as ChargeRow | undefined;
        if (previous)
          return {
            result: {
              status: 'duplicate',
              charge: chargeRecord(previous),
              totals: totals(input.account, scopes),
              ...limitTotals(),
            },
          };

        const hasGrants = Boolean(accountRow(input.account).has_grants);
        const { allocations, overdraft } = drawFromGrants(
          hasGrants ? grantsOf(input.account, input.now) : [],
          input.cost,
          hasGrants,
        );
        for (const { grantId, amount } of allocations) q.drawGrant.run(amount, input.account, grantId);
        if (overdraft > 0) q.addOverdraft.run(input.account, overdraft);

        const meta: EntryMeta = { ...(hold ? (JSON.parse(hold.meta) as EntryMeta) : {}), ...input.meta };
        const charge: ChargeRecord = {
          account: input.account,
          key: input.key,
          cost: input.cost,
          held: hold?.amount ?? 0,
          settledAt: input.now,
          day: hold?.day ?? input.day ?? '',
          allocations,
          overdraft,
        };
        q.insertCharge.run(
          charge.account,
          charge.key,
          charge.cost,
          charge.held,
          charge.settledAt,
          charge.day,
          overdraft,
          meta.model ?? null,
          meta.route ?? null,
          meta.inputTokens ?? 0,
          meta.outputTokens ?? 0,
          meta.cacheReadTokens ?? 0,
          meta.cacheWriteTokens ?? 0,
          JSON.stringify(meta),
        );
        allocations.forEach(
          (a, seq) => void q.insertAllocation.run(input.account, input.key, seq, a.grantId, a.amount),
        );
        const after: Record<string, number> = {};
        for (const scope of scopes) after[scope] = q.addToRollup.get(input.account, scope, input.cost) as number;
        if (hold) q.setHoldState.run('settled', input.account, input.key);
        // Limit accounts count the cost in the same scopes; they record no charge of their own.
        const mirrorKey = limitHoldKey(input.account, input.key);
        for (const l of limited) {
          for (const scope of scopes) q.addToRollup.get(l, scope, input.cost);
          q.setHoldState.run('settled', l, mirrorKey);
        }
        return {
          result: { status: 'settled', charge, totals: after, ...limitTotals() },
          change: { account: input.account, kind: 'settle', key: input.key },
        };
      });
    },

    async release(input) {
      return write<ReleaseResult>(
        'releasing a hold',
        () => {
          if (q.charge.get(input.account, input.key)) return { result: { status: 'already_settled', amount: 0 } };
          const hold = q.hold.get(input.account, input.key) as unknown as HoldRow | undefined;
          if (!hold) return { result: { status: 'not_found', amount: 0 } };
          if (hold.state === 'released') return { result: { status: 'already_released', amount: 0 } };
          q.setHoldState.run('released', input.account, input.key);
          if (hold.limit_accounts) {
            const mirrorKey = limitHoldKey(input.account, input.key);
            for (const l of JSON.parse(hold.limit_accounts) as string[]) q.releaseHeld.run(l, mirrorKey);
          }
          return {
            result: { status: 'released', amount: hold.amount },
            change: { account: input.account, kind: 'release', key: input.key },
          };
        },
        false,
      );
    },

    async snapshot(input): Promise<AccountSnapshot> {
      return read('reading a snapshot', () =>
        inTransaction.deferred((): AccountSnapshot => {
          const { sum, count } = activeHolds(input.account, input.now);
          const grants = grantsOf(input.account, input.now);
          const scopes = withLifetime(input.scopes ?? []);
          const settled = totals(input.account, scopes) as AccountSnapshot['settled'];
          return {
            account: input.account,
            settled,
            held: sum,
            activeHolds: count,
            grants,
            granted: grants.reduce((s, g) => s + g.remaining, 0),
            overdraft: accountRow(input.account).overdraft,
          };
        }),
      );
    },

    async addGrant(input) {
      return write<GrantResult>('adding a grant', () => {
        const existing = q.grant.get(input.account, input.grantId) as unknown as GrantRow | undefined;
        if (existing) return { result: { status: 'duplicate', grant: grantRecord(existing) } };
        const { grant, repaid } = newGrant(input, accountRow(input.account).overdraft);
        q.markHasGrants.run(input.account, repaid);
        q.insertGrant.run(
          grant.account,
          grant.grantId,
          grant.kind,
          grant.priority,
          grant.amount,
          grant.remaining,
          grant.createdAt,
          input.expiresAt ?? null,
          input.source ?? null,
        );
        return {
          result: { status: 'added', grant },
          change: { account: input.account, kind: 'grant', key: input.grantId },
        };
      });
    },

    async report(query): Promise<ReportRow[]> {
      return read('building a report', () => {
        const sql = `
          SELECT ${sqlReport.select(query.groupBy)}
          FROM charges
          WHERE day >= ? AND day <= ? ${query.accounts ? 'AND account IN (SELECT value FROM json_each(?))' : ''}
          ${sqlReport.groupBy(query.groupBy)}
          HAVING count(*) > 0`;
        const params: SqlValue[] = [
          query.fromDay,
          query.toDay,
          ...(query.accounts ? [JSON.stringify(query.accounts)] : []),
        ];
        const rows = (db.prepare(sql).all(...params) as Array<Record<string, unknown>>).map((r) =>
          sqlReport.row(r, query.groupBy),
        );
        // The shared report order, not the database's collation.
        return sortReportRows(rows, query.groupBy);
      });
    },

    async entries(query): Promise<LedgerEntry[]> {
      return read('listing ledger entries', () =>
        inTransaction.deferred((): LedgerEntry[] => {
          const wanted = (kind: LedgerEntry['kind']): boolean => !query.kinds || query.kinds.includes(kind);
          const account = query.account ?? null;
          const out: LedgerEntry[] = [];
          if (wanted('hold'))
            for (const r of q.allHolds.all(account, account) as unknown as HoldRow[])
              out.push({ kind: 'hold', record: holdRecord(r) });
          if (wanted('charge')) {
            for (const r of q.allCharges.all(account, account) as unknown as ChargeRow[])
              out.push({ kind: 'charge', record: chargeRecord(r), meta: JSON.parse(r.meta) as EntryMeta });
          }
          if (wanted('grant'))
            for (const r of q.allGrants.all(account, account) as unknown as GrantRow[])
              out.push({ kind: 'grant', record: grantRecord(r) });
          return out;
        }),
      );
    },

    async spendByHour({ account, since }): Promise<SpendHour[]> {
      return read('reading spend by hour', () =>
        (q.spendHours.all(account, since - SPEND_HOUR_MS, since) as unknown as SpendHourRow[]).map((r) => ({
          start: r.hour,
          charges: r.charges,
          cost: r.cost,
          firstAt: r.first_at,
          firstCost: r.first_cost,
          lastAt: r.last_at,
          costMs: r.cost_ms,
        })),
      );
    },

    async getState<T>(key: string) {
      return read('reading shared state', () => {
        const value = q.getState.get(key) as string | undefined;
        return value === undefined ? undefined : (JSON.parse(value) as T);
      });
    },

    async setState(key, value) {
      await write('saving shared state', () => {
        q.setState.run(key, JSON.stringify(value));
        return { result: undefined, change: { kind: 'state', key } };
      });
    },

    async tryLease({ name, owner, ttlMs, now }) {
      return write('taking a lease', () => ({
        result: q.takeLease.run(name, owner, now + ttlMs, owner, now).changes > 0,
      }));
    },

    async releaseLease({ name, owner }) {
      await write('releasing a lease', () => {
        q.dropLease.run(name, owner);
        return { result: undefined };
      });
    },

    async countInWindow({ counters, windowMs, now }) {
      const start = windowStart(now, windowMs);
      const windowEnd = start + windowMs;
      // One write transaction (BEGIN IMMEDIATE): every process on the file checks and adds in turn.
      return write<WindowCountResult>(
        'counting a rate limit',
        () => {
          const current = counters.map((c) => (q.windowCount.get(c.name, start) as number | undefined) ?? 0);
          const refused = firstRefusedCounter(counters, current);
          if (refused >= 0) return { result: { ok: false, counts: current, refused, windowEnd } };
          const counts = counters.map((c, i) => {
            // A give-back for a window that has already been replaced has nothing left to change.
            if (q.newerWindow.get(c.name, start) !== undefined) return current[i]!;
            q.addToWindow.run(c.name, start, c.amount);
            q.pruneWindows.run(c.name, start);
            return current[i]! + c.amount;
          });
          return { result: { ok: true, counts, windowEnd } };
          // Not money: after a power cut a lost count only lets a few more requests into that minute.
        },
        false,
      );
    },

    watch(listener) {
      listeners.add(listener);
      if (!closed) watcher.start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) watcher.stop();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      writes.flush(); // writes already called are recorded (or rejected), never dropped
      watcher.stop();
      listeners.clear();
      await options.walSync?.close(); // and those recorded are on disk before the connection goes
      db.close();
    },
  };
}
