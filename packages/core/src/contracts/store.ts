import type { Nanos } from '../money.js';

/**
 * The ledger store contract. Every pool's truth lives here; memory, SQLite and PostgreSQL
 * implement it and pass the same contract suite (`@drawdown/testkit` `describeStoreContract`).
 *
 * Model: an **account** (one per pool) holds **holds** (reservations with a TTL) and **charges**
 * (settled spend), and optionally **grants** (funds added to a wallet). Spend is rolled up per
 * **scope**: `lifetime` plus calendar window keys (`day:2026-11-23@UTC`, see `calendarWindow`),
 * so sums never scan the ledger. Holds expire passively: a hold whose `expiresAt` has passed simply
 * stops counting; no sweeper has to be alive. Idempotency keys are unique per account.
 *
 * Atomicity is the contract: `reserve` checks every limit and writes the hold in one indivisible
 * step (a synchronous section in memory, a write transaction in SQLite, a single conditional
 * statement or serializable transaction in PostgreSQL), across processes and hosts.
 *
 * **Limit accounts** (`ReserveInput.limitAccounts`) take part in that same step: an organisation,
 * team, user or gateway key whose own budget must hold as well as the pool's. The reservation is
 * admitted only if every account's limits admit it; each limit account then holds the same amount
 * (under `limitHoldKey(account, key)`), and settling or releasing the pool's hold settles or
 * releases theirs with it. A limit account mirrors spend only to enforce its limits: its totals
 * grow with each settle, but it records no charges, so reports count every request once.
 */
export interface LedgerStore {
  /** `memory`, `sqlite`, `postgres`, or a plugin's own name. */
  readonly kind: string;

  /** Atomically checks `limits` (and every limit account's) and records the holds. Idempotent on (account, key). */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  /** Records the true cost for a key exactly once, in its limit accounts' totals too; later calls return `duplicate`. */
  settle(input: SettleInput): Promise<SettleResult>;
  /** Drops a hold, and its limit accounts' holds, so they stop counting. Never touches a settled charge. */
  release(input: ReleaseInput): Promise<ReleaseResult>;

  /** Totals for the given scopes plus active holds and grants, without scanning the ledger. */
  snapshot(input: SnapshotInput): Promise<AccountSnapshot>;

  /** Adds funds to an account (credits). Idempotent on (account, grantId). */
  addGrant(input: GrantInput): Promise<GrantResult>;

  /** Spend grouped for reports over whole local days, `fromDay` through `toDay`, both included. */
  report(query: ReportQuery): Promise<ReportRow[]>;
  /** Raw ledger rows, for audits and for tests that prove sums equal balances. */
  entries(query: EntriesQuery): Promise<LedgerEntry[]>;
  /**
   * An account's settled spend per hour, oldest first, read from per-hour sums kept as charges are
   * recorded: what forecasts read, at a cost that grows with the hours asked for, not the ledger.
   */
  spendByHour(query: SpendByHourQuery): Promise<SpendHour[]>;

  /** Small shared state (route opt-ins, plan windows, policies), visible to every process. */
  getState<T = unknown>(key: string): Promise<T | undefined>;
  setState(key: string, value: unknown): Promise<void>;
  /**
   * A lease: true if `owner` now holds `name` until `now + ttlMs` (free, expired or already
   * ours); false if someone else holds it. Used for "one reload in flight per wallet".
   */
  tryLease(input: { name: string; owner: string; ttlMs: number; now: number }): Promise<boolean>;
  releaseLease(input: { name: string; owner: string }): Promise<void>;

  /**
   * Rate-limit counters in fixed windows (requests or tokens per minute): adds each counter's
   * `amount` to its count in the window `[floor(now / windowMs) * windowMs, +windowMs)`, all of
   * them or none, in one atomic step across processes and hosts. A counter with a `limit` refuses
   * when its count plus a positive `amount` would pass the limit; one without a limit always adds
   * (a negative amount gives back what an earlier call took). Counts of older windows are dropped.
   */
  countInWindow(input: WindowCountInput): Promise<WindowCountResult>;

  /**
   * Calls `listener` after every change, including changes made by other processes or hosts
   * (origin `remote`) where the store can see them. Returns an unsubscribe function.
   */
  watch(listener: (change: LedgerChange) => void): () => void;

  close(): Promise<void>;
}

export interface WindowCountInput {
  /** Counters added together, all or none. Names are unique in one call. */
  counters: Array<{ name: string; amount: number; limit?: number }>;
  /** Window length, ms (e.g. 60000). */
  windowMs: number;
  now: number;
}

export interface WindowCountResult {
  /** True if every amount was added. */
  ok: boolean;
  /** Each counter's count in the window after the call (unchanged when refused), in input order. */
  counts: number[];
  /** Index of the first counter whose limit refused. */
  refused?: number;
  /** When the window ends (epoch ms): when a refused counter starts from zero again. */
  windowEnd: number;
}

/** Start of the fixed window of length `windowMs` that contains `now` (epoch ms), the same in every store. */
export const windowStart = (now: number, windowMs: number): number => now - (((now % windowMs) + windowMs) % windowMs);

/**
 * The rule every store applies to `countInWindow`: the index of the first counter whose limit a
 * positive amount would pass, given the counts already in the window; -1 when all may be added.
 */
export function firstRefusedCounter(counters: WindowCountInput['counters'], counts: readonly number[]): number {
  return counters.findIndex((c, i) => c.limit !== undefined && c.amount > 0 && counts[i]! + c.amount > c.limit);
}

/** A limit checked at reservation: spent + held + requested must stay within it. */
export type Limit = CapLimit | BalanceLimit;

export interface CapLimit {
  kind: 'cap';
  /** What users call it: "trial budget", "monthly spend limit", "daily redemption ceiling". */
  name: string;
  /** `lifetime` or a calendar window key. */
  scope: string;
  cap: Nanos;
  /** When the scope's window ends (epoch ms), for "resets at" messages. */
  resetsAt?: number;
}

export interface BalanceLimit {
  kind: 'balance';
  /** e.g. "credit balance". Available = unexpired grant remainders − overdraft − active holds. */
  name: string;
}

/** Descriptive fields carried on holds and charges, used by reports. */
export interface EntryMeta {
  requestId?: string;
  model?: string;
  /** Route entry id. */
  route?: string;
  /** Auth strategy id. */
  strategy?: string;
  /** Who asked, where a front end knows (the gateway: the drawdown key's name), so spend can be told apart per tool. */
  client?: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** The part of `cacheWriteTokens` written with a 1-hour lifetime (the rest were 5-minute writes). */
  cacheWrite1hTokens?: number;
  webSearchRequests?: number;
  /** The usage's own `service_tier`, `inference_geo` and `speed`, as reported: reconciliation matches on them. */
  serviceTier?: string;
  inferenceGeo?: string;
  speed?: string;
  /** Id of the rate-card row that priced the charge, e.g. "claude-sonnet-5-5@2026-10-07", so it can be audited later. */
  priceRow?: string;
  /** How the cost was reached: the rate card, another model's price (`unknownModel.priceAs`), or the cost the agent reported. */
  pricedBy?: 'rate-card' | 'price-as' | 'reported-cost';
}

export interface ReserveInput {
  account: string;
  key: string;
  amount: Nanos;
  /** Hold lifetime; after `now + ttlMs` the hold stops counting. */
  ttlMs: number;
  now: number;
  limits: Limit[];
  /** Rollup scopes the eventual charge counts toward (besides `lifetime`). */
  scopes: string[];
  /** Local date (`YYYY-MM-DD` in the hub's zone) the charge is reported under. */
  day: string;
  meta?: EntryMeta;
  /**
   * Accounts whose limits are checked and held in the same atomic step (budget levels such as a
   * gateway key's user, team and organisation). Their holds follow this one: settled with its
   * cost, released with it, expiring with it.
   */
  limitAccounts?: LimitAccount[];
}

/** An account held alongside a reservation only to enforce its own limits (see `LedgerStore`). */
export interface LimitAccount {
  /** Ledger account, e.g. `limit:team:research`. Distinct from the reservation's own account. */
  account: string;
  /** Checked against this account's settled totals and active holds, like the reservation's own limits. */
  limits: Limit[];
}

/**
 * The key of a limit account's hold for the reservation `key` of `account`: one request may be
 * held by several pools in turn (a refused entry, then the next), each with its own limit holds.
 */
export const limitHoldKey = (account: string, key: string): string => `${account}/${key}`;

export type ReserveResult =
  | { ok: true; hold: HoldRecord /** The key was already known; nothing new was written. */; replayed: boolean }
  | {
      ok: false;
      /** The account whose limit refused: the reservation's own, or one of its limit accounts. */
      account: string;
      /** Name of the first limit that refused. */
      limit: string;
      /** What that limit could still admit (may be negative after an overrun). */
      available: Nanos;
      requested: Nanos;
      resetsAt?: number;
    };

export interface HoldRecord {
  account: string;
  key: string;
  amount: Nanos;
  state: 'held' | 'settled' | 'released';
  createdAt: number;
  expiresAt: number;
}

export interface SettleInput {
  account: string;
  key: string;
  /** The true cost. Recorded even if the hold expired or the cost exceeds the hold. */
  cost: Nanos;
  now: number;
  meta?: EntryMeta;
  /** Used only when no hold exists for the key (a charge reported after the fact). */
  scopes?: string[];
  day?: string;
}

export interface SettleResult {
  status: 'settled' | 'duplicate';
  charge: ChargeRecord;
  /** Totals of every scope the charge counts toward, after it (unchanged for `duplicate`). */
  totals: Record<string, Nanos>;
  /** The same totals of each limit account the hold carried, by account (absent when it carried none). */
  limitTotals?: Record<string, Record<string, Nanos>>;
}

export interface ChargeRecord {
  account: string;
  key: string;
  cost: Nanos;
  /** What the hold had reserved (0 when there was none). */
  held: Nanos;
  settledAt: number;
  day: string;
  /** How the cost was drawn from grants, in drawdown order (empty for accounts without grants). */
  allocations: Array<{ grantId: string; amount: Nanos }>;
  /** Part of the cost no grant covered. */
  overdraft: Nanos;
}

export interface ReleaseInput {
  account: string;
  key: string;
  now: number;
}

export interface ReleaseResult {
  status: 'released' | 'not_found' | 'already_settled' | 'already_released';
  amount: Nanos;
}

export interface SnapshotInput {
  account: string;
  now: number;
  /** Scopes whose settled totals to return; `lifetime` is always included. */
  scopes?: string[];
}

export interface AccountSnapshot {
  account: string;
  /** Settled spend per scope (`lifetime` always present). */
  settled: Record<string, Nanos> & { lifetime: Nanos };
  /** Sum of unexpired, unsettled holds. */
  held: Nanos;
  activeHolds: number;
  /** Unexpired grants with funds left, in drawdown order. */
  grants: GrantRecord[];
  /** Sum of `grants[].remaining`. */
  granted: Nanos;
  /** Cost that no grant covered (a settle above what was left). */
  overdraft: Nanos;
}

export type GrantKind = 'paid' | 'promotional';

export interface GrantInput {
  account: string;
  grantId: string;
  amount: Nanos;
  kind: GrantKind;
  /** Lower numbers are drawn first. Default 0. */
  priority?: number;
  /** After this instant the grant's remainder stops counting. */
  expiresAt?: number;
  now: number;
  /** Free-form origin, e.g. `stripe:pi_123` or `manual:alice`. */
  source?: string;
}

export interface GrantResult {
  status: 'added' | 'duplicate';
  grant: GrantRecord;
}

export interface GrantRecord {
  account: string;
  grantId: string;
  kind: GrantKind;
  priority: number;
  amount: Nanos;
  remaining: Nanos;
  createdAt: number;
  expiresAt?: number;
  source?: string;
}

/**
 * Drawdown order shared by every store: priority, then soonest expiry (no expiry last), then
 * promotional before paid, then oldest first, then grant id for a total order.
 */
export function compareGrants(a: GrantRecord, b: GrantRecord): number {
  return (
    a.priority - b.priority ||
    (a.expiresAt ?? Number.MAX_SAFE_INTEGER) - (b.expiresAt ?? Number.MAX_SAFE_INTEGER) ||
    (a.kind === b.kind ? 0 : a.kind === 'promotional' ? -1 : 1) ||
    a.createdAt - b.createdAt ||
    (a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0)
  );
}

export type ReportDimension = 'day' | 'model' | 'pool' | 'route';

export interface ReportQuery {
  /**
   * Local dates `YYYY-MM-DD`, both included: `{ fromDay: '2026-11-01', toDay: '2026-11-30' }` is
   * November. Days are whole calendar units (a charge carries its day, not an instant), so the
   * inclusive end says what people mean ("through the 30th") without a next-day sentinel.
   */
  fromDay: string;
  /** The last day reported (included). */
  toDay: string;
  groupBy: ReportDimension[];
  /** Limit to these accounts (pool ids). */
  accounts?: string[];
}

export interface ReportRow {
  day?: string;
  model?: string;
  pool?: string;
  route?: string;
  cost: Nanos;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface EntriesQuery {
  account?: string;
  kinds?: LedgerEntry['kind'][];
}

/** Length of one `SpendHour` (epoch-aligned hours, the same in every store). */
export const SPEND_HOUR_MS = 3_600_000;

export interface SpendByHourQuery {
  account: string;
  /** Only hours whose first charge settled after this instant (epoch ms), so nothing older counts. */
  since: number;
}

/** The charges of a positive cost one account settled in one hour (charges of no cost are left out). */
export interface SpendHour {
  /** Start of the hour, epoch ms (a multiple of `SPEND_HOUR_MS`). */
  start: number;
  charges: number;
  cost: Nanos;
  /** The earliest charge of the hour: when, and its cost. */
  firstAt: number;
  firstCost: Nanos;
  lastAt: number;
  /** Σ cost × (settledAt − start): divided by `cost`, the hour's cost-weighted mean instant after `start`. */
  costMs: number;
}

export type LedgerEntry =
  | { kind: 'hold'; record: HoldRecord }
  | { kind: 'charge'; record: ChargeRecord; meta: EntryMeta }
  | { kind: 'grant'; record: GrantRecord };

export interface LedgerChange {
  account?: string;
  kind: 'reserve' | 'settle' | 'release' | 'grant' | 'state';
  key?: string;
  /** `local` for changes made through this store object; `remote` for another process or host. */
  origin: 'local' | 'remote';
}
