import { DrawdownError, ErrorCodes } from '../errors.js';
import {
  firstRefusedCounter,
  windowStart,
  limitHoldKey,
  type AccountSnapshot,
  type ChargeRecord,
  type EntryMeta,
  type GrantRecord,
  type HoldRecord,
  type LedgerChange,
  type Limit,
  type LedgerEntry,
  type LedgerStore,
  type ReportRow,
  type ReserveResult,
  SPEND_HOUR_MS,
  type SpendHour,
} from '../contracts/store.js';
import { drawFromGrants, grantFundsAvailable, liveGrants, newGrant } from './grant-drawing.js';
import { groupReportRows } from './report-rows.js';

type StoredHold = HoldRecord & {
  scopes: string[];
  day: string;
  meta: EntryMeta;
  /** The limit accounts held with this hold (see `ReserveInput.limitAccounts`). */
  limitAccounts?: string[];
};

interface Account {
  holds: Map<string, StoredHold>;
  /** Holds still counting; expired ones are dropped on the next scan, so scans stay short. */
  active: Map<string, StoredHold>;
  charges: Map<string, { record: ChargeRecord; meta: EntryMeta }>;
  grants: Map<string, GrantRecord>;
  totals: Map<string, number>;
  /** Spend per hour start (see `LedgerStore.spendByHour`). */
  hours: Map<number, SpendHour>;
  overdraft: number;
}

/** Counts a charge of a positive cost in its hour: the rule the SQL stores' triggers apply too. */
function countInHour(hours: Map<number, SpendHour>, settledAt: number, cost: number): void {
  if (cost <= 0) return;
  const start = settledAt - (settledAt % SPEND_HOUR_MS);
  const hour = hours.get(start);
  if (!hour) {
    hours.set(start, {
      start,
      charges: 1,
      cost,
      firstAt: settledAt,
      firstCost: cost,
      lastAt: settledAt,
      costMs: cost * (settledAt - start),
    });
    return;
  }
  hour.charges += 1;
  hour.cost += cost;
  if (settledAt < hour.firstAt) {
    hour.firstAt = settledAt;
    hour.firstCost = cost;
  }
  hour.lastAt = Math.max(hour.lastAt, settledAt);
  hour.costMs += cost * (settledAt - start);
}

/**
 * The in-process store: for tests, benchmarks and single-run tools. Every mutation is a
 * synchronous section, so check-and-reserve is atomic within the process. Nothing survives the
 * process; use `@drawdown/store-sqlite` for anything durable.
 */
export function memoryStore(): LedgerStore {
  const accounts = new Map<string, Account>();
  const state = new Map<string, string>();
  const leases = new Map<string, { owner: string; expiresAt: number }>();
  /** Each rate-limit counter's newest window; older windows are forgotten. */
  const windows = new Map<string, { start: number; count: number }>();
  const listeners = new Set<(change: LedgerChange) => void>();
  let closed = false;

  const account = (id: string): Account => {
    let a = accounts.get(id);
    if (!a)
      accounts.set(
        id,
        (a = {
          holds: new Map(),
          active: new Map(),
          charges: new Map(),
          grants: new Map(),
          totals: new Map(),
          hours: new Map(),
          overdraft: 0,
        }),
      );
    return a;
  };
  const open = (): void => {
    if (closed)
      throw new DrawdownError(ErrorCodes.STORE_UNAVAILABLE, 'the memory store was closed', {
        data: { store: 'memory' },
      });
  };
  const notify = (change: Omit<LedgerChange, 'origin'>): void => {
    for (const listener of listeners) {
      try {
        listener({ ...change, origin: 'local' });
      } catch {
        // A watcher's failure must not undo or block a stored change.
      }
    }
  };
  const activeHolds = (a: Account, now: number): { sum: number; count: number } => {
    let sum = 0;
    let count = 0;
    for (const hold of a.active.values()) {
      if (hold.state !== 'held' || hold.expiresAt <= now) {
        // Finished holds leave the scan list; expired ones merely stop counting (a test clock may move back).
        if (hold.state !== 'held') a.active.delete(hold.key);
        continue;
      }
      sum += hold.amount;
      count++;
    }
    return { sum, count };
  };
  const grantsOf = (a: Account, now: number): GrantRecord[] => liveGrants(a.grants.values(), now);

  const publicHold = (h: HoldRecord): HoldRecord => ({
    account: h.account,
    key: h.key,
    amount: h.amount,
    state: h.state,
    createdAt: h.createdAt,
    expiresAt: h.expiresAt,
  });

  return {
    kind: 'memory',

    async reserve(input): Promise<ReserveResult> {
      open();
      const a = account(input.account);
      const existing = a.holds.get(input.key);
      if (existing) return { ok: true, hold: publicHold(existing), replayed: true };
      const settled = a.charges.get(input.key);
      if (settled) {
        const r = settled.record;
        return {
          ok: true,
          replayed: true,
          hold: {
            account: r.account,
            key: r.key,
            amount: r.held,
            state: 'settled',
            createdAt: r.settledAt,
            expiresAt: r.settledAt,
          },
        };
      }
      // The reservation's own limits first, then each limit account's: the first refusal wins.
      const checks: Array<{ id: string; limits: Limit[] }> = [
        { id: input.account, limits: input.limits },
        ...(input.limitAccounts ?? []).map((l) => ({ id: l.account, limits: l.limits })),
      ];
      for (const check of checks) {
        const c = account(check.id);
        const held = activeHolds(c, input.now).sum;
        for (const limit of check.limits) {
          const available =
            limit.kind === 'cap'
              ? limit.cap - (c.totals.get(limit.scope) ?? 0) - held
              : grantFundsAvailable(grantsOf(c, input.now), c.overdraft, held);
          if (input.amount > available) {
            return {
              ok: false,
              account: check.id,
              limit: limit.name,
              available,
              requested: input.amount,
              ...(limit.kind === 'cap' && limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
            };
          }
        }
      }
      const hold = {
        account: input.account,
        key: input.key,
        amount: input.amount,
        state: 'held' as const,
        createdAt: input.now,
        expiresAt: input.now + input.ttlMs,
        scopes: input.scopes,
        day: input.day,
        meta: input.meta ?? {},
        ...(input.limitAccounts &&
          input.limitAccounts.length > 0 && { limitAccounts: input.limitAccounts.map((l) => l.account) }),
      };
      a.holds.set(input.key, hold);
      a.active.set(input.key, hold);
      for (const limited of input.limitAccounts ?? []) {
        const key = limitHoldKey(input.account, input.key);
        const mirror: StoredHold = { ...hold, account: limited.account, key, meta: {} };
        delete mirror.limitAccounts;
        account(limited.account).holds.set(key, mirror);
        account(limited.account).active.set(key, mirror);
      }
      notify({ account: input.account, kind: 'reserve', key: input.key });
      return { ok: true, hold: publicHold(hold), replayed: false };
    },

    async settle(input) {
      open();
      const a = account(input.account);
      const scopesOf = (scopes: string[]): string[] => ['lifetime', ...scopes.filter((s) => s !== 'lifetime')];
      const totalsOf = (id: string, scopes: string[]): Record<string, number> => {
        const t = account(id).totals;
        return Object.fromEntries(scopes.map((s) => [s, t.get(s) ?? 0]));
      };
      const limitTotalsOf = (hold: StoredHold | undefined, scopes: string[]) =>
        hold?.limitAccounts && {
          limitTotals: Object.fromEntries(hold.limitAccounts.map((id) => [id, totalsOf(id, scopes)])),
        };
      const previous = a.charges.get(input.key);
      if (previous) {
        const hold = a.holds.get(input.key);
        const scopes = scopesOf(hold?.scopes ?? input.scopes ?? []);
        return {
          status: 'duplicate',
          charge: previous.record,
          totals: totalsOf(input.account, scopes),
          ...limitTotalsOf(hold, scopes),
        };
      }
      const hold = a.holds.get(input.key);
      const scopes = scopesOf(hold?.scopes ?? input.scopes ?? []);
      const day = hold?.day ?? input.day ?? '';
      const { allocations, overdraft } = drawFromGrants(grantsOf(a, input.now), input.cost, a.grants.size > 0);
      for (const { grantId, amount } of allocations) a.grants.get(grantId)!.remaining -= amount;
      a.overdraft += overdraft;
      const charge: ChargeRecord = {
        account: input.account,
        key: input.key,
        cost: input.cost,
        held: hold?.amount ?? 0,
        settledAt: input.now,
        day,
        allocations,
        overdraft,
      };
      for (const scope of scopes) a.totals.set(scope, (a.totals.get(scope) ?? 0) + input.cost);
      a.charges.set(input.key, { record: charge, meta: { ...hold?.meta, ...input.meta } });
      countInHour(a.hours, input.now, input.cost);
      if (hold) {
        hold.state = 'settled';
        a.active.delete(input.key);
      }
      // Limit accounts count the cost in the same scopes; they record no charge of their own.
      for (const id of hold?.limitAccounts ?? []) {
        const l = account(id);
        for (const scope of scopes) l.totals.set(scope, (l.totals.get(scope) ?? 0) + input.cost);
        const key = limitHoldKey(input.account, input.key);
        const mirror = l.holds.get(key);
        if (mirror) mirror.state = 'settled';
        l.active.delete(key);
      }
      notify({ account: input.account, kind: 'settle', key: input.key });
      return { status: 'settled', charge, totals: totalsOf(input.account, scopes), ...limitTotalsOf(hold, scopes) };
    },

    async release(input) {
      open();
      const a = account(input.account);
      if (a.charges.has(input.key)) return { status: 'already_settled', amount: 0 };
      const hold = a.holds.get(input.key);
      if (!hold) return { status: 'not_found', amount: 0 };
      if (hold.state === 'released') return { status: 'already_released', amount: 0 };
      hold.state = 'released';
      a.active.delete(input.key);
      for (const id of hold.limitAccounts ?? []) {
        const l = account(id);
        const key = limitHoldKey(input.account, input.key);
        const mirror = l.holds.get(key);
        if (mirror?.state === 'held') mirror.state = 'released';
        l.active.delete(key);
      }
      notify({ account: input.account, kind: 'release', key: input.key });
      return { status: 'released', amount: hold.amount };
    },

    async snapshot(input): Promise<AccountSnapshot> {
      open();
      const a = account(input.account);
      const { sum, count } = activeHolds(a, input.now);
      const grants = grantsOf(a, input.now).map((g) => ({ ...g }));
      const scopes = ['lifetime', ...(input.scopes ?? [])];
      return {
        account: input.account,
        settled: {
          ...Object.fromEntries(scopes.map((s) => [s, a.totals.get(s) ?? 0])),
          lifetime: a.totals.get('lifetime') ?? 0,
        },
        held: sum,
        activeHolds: count,
        grants,
        granted: grants.reduce((s, g) => s + g.remaining, 0),
        overdraft: a.overdraft,
      };
    },

    async addGrant(input) {
      open();
      const a = account(input.account);
      const existing = a.grants.get(input.grantId);
      if (existing) return { status: 'duplicate', grant: { ...existing } };
      const { grant, repaid } = newGrant(input, a.overdraft);
      a.overdraft -= repaid;
      a.grants.set(input.grantId, grant);
      notify({ account: input.account, kind: 'grant', key: input.grantId });
      return { status: 'added', grant: { ...grant } };
    },

    async report(query): Promise<ReportRow[]> {
      open();
      const charges = [...accounts.entries()]
        .filter(([id]) => !query.accounts || query.accounts.includes(id))
        .flatMap(([, a]) => [...a.charges.values()]);
      return groupReportRows(
        charges.filter(({ record }) => record.day >= query.fromDay && record.day <= query.toDay),
        query.groupBy,
      );
    },

    async entries(query): Promise<LedgerEntry[]> {
      open();
      const out: LedgerEntry[] = [];
      for (const [id, a] of accounts) {
        if (query.account !== undefined && query.account !== id) continue;
        for (const h of a.holds.values()) out.push({ kind: 'hold', record: publicHold(h) });
        for (const c of a.charges.values()) out.push({ kind: 'charge', record: c.record, meta: c.meta });
        for (const g of a.grants.values()) out.push({ kind: 'grant', record: { ...g } });
      }
      return query.kinds ? out.filter((e) => query.kinds!.includes(e.kind)) : out;
    },

    async spendByHour(query) {
      open();
      const hours = accounts.get(query.account)?.hours;
      if (!hours) return [];
      return [...hours.values()]
        .filter((h) => h.start > query.since - SPEND_HOUR_MS && h.firstAt > query.since)
        .sort((a, b) => a.start - b.start)
        .map((h) => ({ ...h }));
    },

    async getState<T>(key: string) {
      open();
      const value = state.get(key);
      return value === undefined ? undefined : (JSON.parse(value) as T);
    },

    async setState(key, value) {
      open();
      state.set(key, JSON.stringify(value));
      notify({ kind: 'state', key });
    },

    async tryLease({ name, owner, ttlMs, now }) {
      open();
      const lease = leases.get(name);
      if (lease && lease.owner !== owner && lease.expiresAt > now) return false;
      leases.set(name, { owner, expiresAt: now + ttlMs });
      return true;
    },

    async releaseLease({ name, owner }) {
      if (leases.get(name)?.owner === owner) leases.delete(name);
    },

    async countInWindow({ counters, windowMs, now }) {
      open();
      const start = windowStart(now, windowMs);
      const current = counters.map((c) => {
        const w = windows.get(c.name);
        return w?.start === start ? w.count : 0;
      });
      const refused = firstRefusedCounter(counters, current);
      if (refused >= 0) return { ok: false, counts: current, refused, windowEnd: start + windowMs };
      const counts = counters.map((c, i) => {
        const w = windows.get(c.name);
        // A give-back for a window that has already been replaced has nothing left to change.
        if (w && w.start > start) return current[i]!;
        const count = current[i]! + c.amount;
        windows.set(c.name, { start, count });
        return count;
      });
      return { ok: true, counts, windowEnd: start + windowMs };
    },

    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
