import {
  calendarWindow,
  type AccountSnapshot,
  type ChargeRecord,
  type EntryMeta,
  type GrantKind,
  type GrantRecord,
  type GrantResult,
  type HoldRecord,
  type LedgerEntry,
  type LedgerStore,
  type Limit,
  type LimitAccount,
  type ReleaseResult,
  type ReportDimension,
  type ReportRow,
  type ReserveResult,
  type SettleResult,
} from '@drawdown/core';
import { compareGrants, limitHoldKey } from '@drawdown/core/store';
import { describe, expect, it } from 'vitest';

/**
 * The money specification as a model: a plain in-test ledger that says what every store must
 * answer. `describeStoreModel` drives a store and this model with the same random command
 * sequences and compares every result, every account's snapshot and every account's ledger after
 * each step, and the reports at the end. The memory, SQLite and PostgreSQL stores each run it, so
 * the three implementations of the money rules cannot drift apart unnoticed.
 */
export interface StoreModelOptions {
  /** A fresh, empty store; every sequence runs on it, each on accounts of its own. */
  create(): Promise<LedgerStore>;
  /** Called at the end with the store `create` returned. */
  dispose?(store: LedgerStore): Promise<void>;
  /** How many random sequences to run. Default 20 (`DRAWDOWN_MODEL_SEQUENCES` overrides). */
  sequences?: number;
  /** Commands per sequence. Default 40. */
  steps?: number;
  /** First seed; sequence i uses seed + i. Default 1 (`DRAWDOWN_MODEL_SEED` overrides, to replay a failure). */
  seed?: number;
  /** Per-test timeout in ms. Default 120 000 (a loaded machine and a real database). */
  timeoutMs?: number;
}

/** mulberry32: a small, fast, seedable PRNG, so a failing sequence can be replayed from its seed. */
function prng(seed: number): {
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
} {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

const MILLI = 1_000_000; // nanodollars in a tenth of a cent: amounts are small multiples of it
const T0 = Date.parse('2026-11-23T20:00:00Z'); // four hours before midnight UTC: sequences cross days
const MODELS = ['claude-sonnet-5-5', 'claude-haiku-5', undefined] as const;
const ROUTES = ['r1', 'r2', undefined] as const;

const dayWindow = (at: number) => calendarWindow('day', at, 'UTC');
const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** The limits each account of a sequence is checked against: a cap, a wallet, both, and none. */
function limitsFor(account: string, now: number): Limit[] {
  const role = account.slice(account.indexOf('/') + 1);
  const today = dayWindow(now);
  const lifetimeCap: Limit = { kind: 'cap', name: 'lifetime budget', scope: 'lifetime', cap: 400 * MILLI };
  const dailyCap: Limit = { kind: 'cap', name: 'daily limit', scope: today.key, cap: 150 * MILLI, resetsAt: today.end };
  const balance: Limit = { kind: 'balance', name: 'credit balance' };
  switch (role) {
    case 'budget':
      return [lifetimeCap, dailyCap];
    case 'wallet':
      return [balance];
    case 'capped-wallet':
      return [dailyCap, balance];
    default:
      return [];
  }
}
const ROLES = ['budget', 'wallet', 'capped-wallet', 'open'] as const;

/** Budget levels held with some reservations (see `ReserveInput.limitAccounts`): a team under an organisation. */
function limitAccountsFor(seed: number, pick: number, now: number): LimitAccount[] {
  const today = dayWindow(now);
  const team: LimitAccount = {
    account: `s${seed}/team`,
    limits: [
      { kind: 'cap', name: 'team budget', scope: 'lifetime', cap: 300 * MILLI },
      { kind: 'cap', name: 'team daily budget', scope: today.key, cap: 120 * MILLI, resetsAt: today.end },
    ],
  };
  const org: LimitAccount = {
    account: `s${seed}/org`,
    limits: [{ kind: 'cap', name: 'organisation budget', scope: 'lifetime', cap: 500 * MILLI }],
  };
  const unlimited: LimitAccount = { account: `s${seed}/key`, limits: [] };
  return [[], [team, org], [org], [unlimited, team, org]][pick]!;
}
const LIMIT_ACCOUNTS = ['team', 'org', 'key'] as const;

type ModelHold = HoldRecord & { scopes: string[]; day: string; meta: EntryMeta; limitAccounts?: string[] };
interface ModelAccount {
  holds: Map<string, ModelHold>;
  charges: Map<string, { record: ChargeRecord; meta: EntryMeta }>;
  grants: Map<string, GrantRecord>;
  totals: Map<string, number>;
  overdraft: number;
}

/** The reference ledger: the money rules written once, as plainly as possible. */
function referenceLedger() {
  const accounts = new Map<string, ModelAccount>();
  const account = (id: string): ModelAccount => {
    let a = accounts.get(id);
    if (!a)
      accounts.set(
        id,
        (a = { holds: new Map(), charges: new Map(), grants: new Map(), totals: new Map(), overdraft: 0 }),
      );
    return a;
  };
  const withLifetime = (scopes: readonly string[]): string[] => ['lifetime', ...scopes.filter((s) => s !== 'lifetime')];
  const held = (a: ModelAccount, now: number): { sum: number; count: number } => {
    const active = [...a.holds.values()].filter((h) => h.state === 'held' && h.expiresAt > now);
    return { sum: active.reduce((s, h) => s + h.amount, 0), count: active.length };
  };
  const live = (a: ModelAccount, now: number): GrantRecord[] =>
    [...a.grants.values()]
      .filter((g) => g.remaining > 0 && (g.expiresAt === undefined || g.expiresAt > now))
      .sort(compareGrants);
  const total = (a: ModelAccount, scope: string): number => a.totals.get(scope) ?? 0;
  const holdRecord = (h: ModelHold): HoldRecord => ({
    account: h.account,
    key: h.key,
    amount: h.amount,
    state: h.state,
    createdAt: h.createdAt,
    expiresAt: h.expiresAt,
  });

  return {
    /** What the reservation could still admit under `limit` (the number a refusal reports). */
    available(id: string, limit: Limit, now: number): number {
      const a = account(id);
      const h = held(a, now).sum;
      return limit.kind === 'cap'
        ? limit.cap - total(a, limit.scope) - h
        : live(a, now).reduce((s, g) => s + g.remaining, 0) - a.overdraft - h;
    },
    reserve(input: {
      account: string;
      key: string;
      amount: number;
      ttlMs: number;
      now: number;
      limits: Limit[];
      scopes: string[];
      day: string;
      meta: EntryMeta;
      limitAccounts?: LimitAccount[];
    }): ReserveResult {
      const a = account(input.account);
      const existing = a.holds.get(input.key);
      if (existing) return { ok: true, hold: holdRecord(existing), replayed: true };
      const charge = a.charges.get(input.key)?.record;
      if (charge)
        return {
          ok: true,
          replayed: true,
          hold: {
            account: charge.account,
            key: charge.key,
            amount: charge.held,
            state: 'settled',
            createdAt: charge.settledAt,
            expiresAt: charge.settledAt,
          },
        };
      // The reservation's own limits first, then each limit account's, in order: the first refusal wins.
      const checks = [{ account: input.account, limits: input.limits }, ...(input.limitAccounts ?? [])];
      for (const check of checks) {
        for (const limit of check.limits) {
          const available = this.available(check.account, limit, input.now);
          if (input.amount > available) {
            return {
              ok: false,
              account: check.account,
              limit: limit.name,
              available,
              requested: input.amount,
              ...(limit.kind === 'cap' && limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
            };
          }
        }
      }
      const hold: ModelHold = {
        account: input.account,
        key: input.key,
        amount: input.amount,
        state: 'held',
        createdAt: input.now,
        expiresAt: input.now + input.ttlMs,
        scopes: input.scopes,
        day: input.day,
        meta: input.meta,
        ...(input.limitAccounts &&
          input.limitAccounts.length > 0 && { limitAccounts: input.limitAccounts.map((l) => l.account) }),
      };
      a.holds.set(input.key, hold);
      // Each limit account holds the same amount under its own key, expiring with the hold.
      for (const l of input.limitAccounts ?? []) {
        const key = limitHoldKey(input.account, input.key);
        const { limitAccounts: _, ...own } = hold;
        account(l.account).holds.set(key, { ...own, account: l.account, key, meta: {} });
      }
      return { ok: true, hold: holdRecord(hold), replayed: false };
    },
    settle(input: {
      account: string;
      key: string;
      cost: number;
      now: number;
      meta: EntryMeta;
      scopes: string[];
      day: string;
    }): SettleResult {
      const a = account(input.account);
      const hold = a.holds.get(input.key);
      const scopes = withLifetime(hold?.scopes ?? input.scopes);
      const totalsOf = (id: string): Record<string, number> =>
        Object.fromEntries(scopes.map((s) => [s, total(account(id), s)]));
      const totals = (): Pick<SettleResult, 'totals' | 'limitTotals'> => ({
        totals: totalsOf(input.account),
        ...(hold?.limitAccounts && {
          limitTotals: Object.fromEntries(hold.limitAccounts.map((id) => [id, totalsOf(id)])),
        }),
      });
      const previous = a.charges.get(input.key);
      if (previous) return { status: 'duplicate', charge: previous.record, ...totals() };
      const allocations: ChargeRecord['allocations'] = [];
      let due = input.cost;
      for (const grant of live(a, input.now)) {
        if (due === 0) break;
        const take = Math.min(due, grant.remaining);
        grant.remaining -= take;
        due -= take;
        allocations.push({ grantId: grant.grantId, amount: take });
      }
      // Only a wallet (an account that ever had a grant) can be overdrawn.
      const overdraft = a.grants.size > 0 ? due : 0;
      a.overdraft += overdraft;
      const record: ChargeRecord = {
        account: input.account,
        key: input.key,
        cost: input.cost,
        held: hold?.amount ?? 0,
        settledAt: input.now,
        day: hold?.day ?? input.day,
        allocations,
        overdraft,
      };
      for (const s of scopes) a.totals.set(s, total(a, s) + input.cost);
      a.charges.set(input.key, { record, meta: { ...hold?.meta, ...input.meta } });
      if (hold) hold.state = 'settled';
      // A limit account counts the cost in the same scopes and records no charge.
      for (const id of hold?.limitAccounts ?? []) {
        const l = account(id);
        for (const s of scopes) l.totals.set(s, total(l, s) + input.cost);
        l.holds.get(limitHoldKey(input.account, input.key))!.state = 'settled';
      }
      return { status: 'settled', charge: record, ...totals() };
    },
    release(input: { account: string; key: string }): ReleaseResult {
      const a = account(input.account);
      if (a.charges.has(input.key)) return { status: 'already_settled', amount: 0 };
      const hold = a.holds.get(input.key);
      if (!hold) return { status: 'not_found', amount: 0 };
      if (hold.state === 'released') return { status: 'already_released', amount: 0 };
      hold.state = 'released';
      for (const id of hold.limitAccounts ?? []) {
        const mirror = account(id).holds.get(limitHoldKey(input.account, input.key))!;
        if (mirror.state === 'held') mirror.state = 'released';
      }
      return { status: 'released', amount: hold.amount };
    },
    addGrant(input: {
      account: string;
      grantId: string;
      amount: number;
      kind: GrantKind;
      priority: number;
      expiresAt?: number;
      now: number;
      source: string;
    }): GrantResult {
      const a = account(input.account);
      const existing = a.grants.get(input.grantId);
      if (existing) return { status: 'duplicate', grant: { ...existing } };
      // Funds added while overdrawn pay the overdraft first.
      const repay = Math.min(a.overdraft, input.amount);
      a.overdraft -= repay;
      const grant: GrantRecord = {
        account: input.account,
        grantId: input.grantId,
        kind: input.kind,
        priority: input.priority,
        amount: input.amount,
        remaining: input.amount - repay,
        createdAt: input.now,
        ...(input.expiresAt !== undefined && { expiresAt: input.expiresAt }),
        source: input.source,
      };
      a.grants.set(input.grantId, grant);
      return { status: 'added', grant: { ...grant } };
    },
    snapshot(id: string, now: number, scopes: string[]): AccountSnapshot {
      const a = account(id);
      const grants = live(a, now).map((g) => ({ ...g }));
      const { sum, count } = held(a, now);
      return {
        account: id,
        settled: Object.fromEntries(withLifetime(scopes).map((s) => [s, total(a, s)])) as AccountSnapshot['settled'],
        held: sum,
        activeHolds: count,
        grants,
        granted: grants.reduce((s, g) => s + g.remaining, 0),
        overdraft: a.overdraft,
      };
    },
    entries(id: string): LedgerEntry[] {
      const a = account(id);
      return [
        ...[...a.holds.values()].map((h): LedgerEntry => ({ kind: 'hold', record: holdRecord(h) })),
        ...[...a.charges.values()].map((c): LedgerEntry => ({ kind: 'charge', record: c.record, meta: c.meta })),
        ...[...a.grants.values()].map((g): LedgerEntry => ({ kind: 'grant', record: { ...g } })),
      ];
    },
    /** Report rows over the local days `fromDay` through `toDay`, both included. */
    report(fromDay: string, toDay: string, groupBy: ReportDimension[]): ReportRow[] {
      const rows = new Map<string, ReportRow>();
      for (const [id, a] of accounts) {
        for (const { record, meta } of a.charges.values()) {
          if (record.day < fromDay || record.day > toDay) continue;
          const dims: Record<ReportDimension, string> = {
            day: record.day,
            model: meta.model ?? 'unknown',
            pool: id,
            route: meta.route ?? 'direct',
          };
          const key = groupBy.map((d) => dims[d]).join('|');
          const row = rows.get(key) ?? {
            ...Object.fromEntries(groupBy.map((d) => [d, dims[d]])),
            cost: 0,
            requests: 0,
            inputTokens: 0,
            outputTokens: 0,
            cacheReadTokens: 0,
            cacheWriteTokens: 0,
          };
          row.cost += record.cost;
          row.requests += 1;
          row.inputTokens += meta.inputTokens ?? 0;
          row.outputTokens += meta.outputTokens ?? 0;
          row.cacheReadTokens += meta.cacheReadTokens ?? 0;
          row.cacheWriteTokens += meta.cacheWriteTokens ?? 0;
          rows.set(key, row);
        }
      }
      return [...rows.values()];
    },
  };
}

/** Entries in one canonical order: the contract does not fix the order a store lists them in. */
function canonical(entries: LedgerEntry[]): LedgerEntry[] {
  const id = (e: LedgerEntry): string =>
    `${e.kind}\u0000${e.record.account}\u0000${e.kind === 'grant' ? e.record.grantId : e.record.key}`;
  return [...entries].sort((x, y) => (id(x) < id(y) ? -1 : id(x) > id(y) ? 1 : 0));
}
/** Report rows in one canonical order, whatever the grouping. */
function canonicalRows(rows: ReportRow[]): ReportRow[] {
  const id = (r: ReportRow): string => [r.day, r.model, r.pool, r.route].join('\u0000');
  return [...rows].sort((x, y) => (id(x) < id(y) ? -1 : id(x) > id(y) ? 1 : 0));
}

/** One command: what it is (for the failure report), the account it touches, and what the model answers. */
type Step = { what: string; account: string; run(store: LedgerStore): Promise<unknown>; expected: unknown };

/**
 * Runs random sequences of reserve, settle, release, expire (time passing), grant and reload
 * (a top-up when a wallet runs low) across accounts with cap and balance limits, against `store`
 * and the reference ledger, and fails at the first step where they disagree, naming the seed.
 *
 * ```ts
 * describeStoreModel('sqlite', { create: async () => sqliteStore({ file: tmpFile() }) });
 * ```
 */
export function describeStoreModel(name: string, options: StoreModelOptions): void {
  const sequences = Number(process.env.DRAWDOWN_MODEL_SEQUENCES ?? options.sequences ?? 20);
  const steps = options.steps ?? 40;
  const firstSeed = Number(process.env.DRAWDOWN_MODEL_SEED ?? options.seed ?? 1);

  describe(`${name} store against the money model`, () => {
    it(
      `agrees with the reference ledger on ${sequences} random sequences of ${steps} commands (balances, ledgers, reports)`,
      async () => {
        // One store for every sequence (opening a database is the slow part); each sequence has its own accounts.
        const store = await options.create();
        try {
          for (let i = 0; i < sequences; i++) await runSequence(store, firstSeed + i, steps);
        } finally {
          await options.dispose?.(store);
        }
      },
      options.timeoutMs ?? 120_000,
    );
  });
}

async function runSequence(store: LedgerStore, seed: number, steps: number): Promise<void> {
  const rnd = prng(seed);
  const model = referenceLedger();
  const ACCOUNTS = ROLES.map((role) => `s${seed}/${role}`);
  const LIMITED = LIMIT_ACCOUNTS.map((role) => `s${seed}/${role}`);
  let now = T0;
  let serial = 0;
  const keys = new Map<string, string[]>(ACCOUNTS.map((a) => [a, []]));
  const grantIds = new Map<string, string[]>(ACCOUNTS.map((a) => [a, []]));
  const daysSeen = new Set<string>([dayWindow(now).key]);
  const history: string[] = [];

  const placement = () => ({ scopes: [dayWindow(now).key], day: dayOf(now) });
  const someMeta = (): EntryMeta => {
    const model = rnd.pick(MODELS);
    const route = rnd.pick(ROUTES);
    return {
      ...(model && { model }),
      ...(route && { route }),
      inputTokens: rnd.int(0, 500),
      outputTokens: rnd.int(0, 200),
      ...(rnd.chance(0.3) && { cacheReadTokens: rnd.int(1, 900) }),
    };
  };
  /** A known key most of the time (replays, settles, releases), a fresh one otherwise. */
  const keyFor = (account: string, fresh: number): string => {
    const known = keys.get(account)!;
    if (known.length > 0 && !rnd.chance(fresh)) return rnd.pick(known);
    const key = `k${++serial}`;
    known.push(key);
    return key;
  };
  const grant = (account: string, kind: GrantKind, amount: number, source: string, expiresAt?: number): Step => {
    const known = grantIds.get(account)!;
    const grantId = known.length > 0 && rnd.chance(0.15) ? rnd.pick(known) : `g${++serial}`;
    if (!known.includes(grantId)) known.push(grantId);
    const input = {
      account,
      grantId,
      amount,
      kind,
      priority: rnd.int(0, 2),
      ...(expiresAt !== undefined && { expiresAt }),
      now,
      source,
    };
    return {
      account: input.account,
      what: `addGrant ${JSON.stringify(input)}`,
      run: (s) => s.addGrant(input),
      expected: model.addGrant(input),
    };
  };

  const command = (): Step | undefined => {
    const account = rnd.pick(ACCOUNTS);
    switch (
      rnd.pick([
        'reserve',
        'reserve',
        'reserve',
        'settle',
        'settle',
        'settle',
        'release',
        'expire',
        'grant',
        'reload',
      ] as const)
    ) {
      case 'reserve': {
        const input = {
          account,
          key: keyFor(account, 0.8),
          amount: rnd.int(1, 80) * MILLI,
          ttlMs: rnd.pick([30_000, 120_000, 600_000]),
          now,
          limits: limitsFor(account, now),
          ...placement(),
          meta: someMeta(),
          limitAccounts: limitAccountsFor(seed, rnd.int(0, 3), now),
        };
        return {
          account: input.account,
          what: `reserve ${JSON.stringify(input)}`,
          run: (s) => s.reserve(input),
          expected: model.reserve(input),
        };
      }
      case 'settle': {
        // Below, at or above the hold; sometimes a charge reported with no hold at all.
        const input = {
          account,
          key: keyFor(account, 0.15),
          cost: rnd.int(0, 100) * MILLI + rnd.int(0, 999),
          now,
          meta: someMeta(),
          ...placement(),
        };
        return {
          account: input.account,
          what: `settle ${JSON.stringify(input)}`,
          run: (s) => s.settle(input),
          expected: model.settle(input),
        };
      }
      case 'release': {
        const input = { account, key: keyFor(account, 0.1), now };
        return {
          account: input.account,
          what: `release ${JSON.stringify(input)}`,
          run: (s) => s.release(input),
          expected: model.release(input),
        };
      }
      case 'expire': {
        // Time passes: holds and grants expire, and sometimes a new day starts.
        now += rnd.pick([1_000, 45_000, 200_000, 700_000, 3 * 3_600_000]);
        daysSeen.add(dayWindow(now).key);
        history.push(`advance clock to ${new Date(now).toISOString()}`);
        return undefined;
      }
      case 'grant': {
        const kind = rnd.pick(['paid', 'promotional'] as const);
        const expiresAt = rnd.chance(0.4) ? now + rnd.pick([60_000, 600_000, 86_400_000]) : undefined;
        return grant(account, kind, rnd.int(1, 200) * MILLI, `manual:${seed}`, expiresAt);
      }
      case 'reload': {
        // What auto-reload does: when what a wallet could admit falls below a threshold, add a paid grant.
        const balance: Limit = { kind: 'balance', name: 'credit balance' };
        if (model.available(account, balance, now) >= 50 * MILLI) return undefined;
        return grant(account, 'paid', 100 * MILLI, `reload:${account}`);
      }
    }
  };

  const fail = (step: number, detail: string): never => {
    throw new Error(
      `store disagrees with the money model (seed ${seed}, step ${step}; replay with DRAWDOWN_MODEL_SEED=${seed} DRAWDOWN_MODEL_SEQUENCES=1)\n${detail}\nhistory:\n  ${history.slice(-15).join('\n  ')}`,
    );
  };
  const same = (step: number, what: string, actual: unknown, expected: unknown): void => {
    try {
      // As the values would travel (JSON): a SQL row's null prototype is not a difference, a string for a number is.
      expect(JSON.parse(JSON.stringify(actual))).toStrictEqual(JSON.parse(JSON.stringify(expected)));
    } catch (error) {
      fail(
        step,
        `${what}: ${(error as Error).message}\n  store: ${JSON.stringify(actual)}\n  model: ${JSON.stringify(expected)}`,
      );
    }
  };

  const ledgersAgree = async (step: number, accounts: readonly string[]): Promise<void> => {
    for (const account of accounts) {
      same(
        step,
        `entries of ${account}`,
        canonical(await store.entries({ account })),
        canonical(model.entries(account)),
      );
    }
  };
  for (let step = 0; step < steps; step++) {
    const cmd = command();
    if (cmd) {
      history.push(cmd.what);
      same(step, cmd.what, await cmd.run(store), cmd.expected);
      // Only a command writes the ledger, its own account's and its limit accounts': time passing changes balances, not rows.
      await ledgersAgree(step, [cmd.account, ...LIMITED]);
    }
    // Every balance, every step: holds and grants expire as the clock moves.
    const scopes = [...daysSeen];
    for (const account of [...ACCOUNTS, ...LIMITED]) {
      same(
        step,
        `snapshot of ${account}`,
        await store.snapshot({ account, now, scopes }),
        model.snapshot(account, now, scopes),
      );
    }
  }
  await ledgersAgree(steps, [...ACCOUNTS, ...LIMITED]);

  // Reports cover whole local days, from the first through the last given day, both included.
  const days = [...new Set([dayOf(T0), dayOf(now), dayOf(T0 + 86_400_000)])].sort();
  for (const groupBy of [[], ['day'], ['pool', 'model'], ['route', 'day', 'pool']] as ReportDimension[][]) {
    for (const [fromDay, toDay] of [
      [days[0]!, days[0]!],
      [days[0]!, days.at(-1)!],
      [days.at(-1)!, days.at(-1)!],
    ] as const) {
      // Limit accounts record no charges: a report over them all counts each request once.
      const actual = await store.report({ fromDay, toDay, groupBy, accounts: [...ACCOUNTS, ...LIMITED] });
      same(
        steps,
        `report ${fromDay}..${toDay} by ${groupBy.join(',')}`,
        canonicalRows(actual),
        canonicalRows(model.report(fromDay, toDay, groupBy)),
      );
    }
  }
}
