import type { LimitSignal } from '../contracts/pool.js';
import type { EntryMeta } from '../contracts/store.js';
import { ErrorCodes, invalidOption, isDrawdownError } from '../errors.js';
import type { Hub } from '../hub.js';
import { toDecimalString, usd, type Nanos } from '../money.js';
import type { BillableQuantities } from '../rate-card/usage.js';
import type { Settlement } from '../request-flow.js';

/** One model's token counts (cumulative or for one unit of work, depending on where they come from). */
export interface ModelCounts {
  input: number;
  output: number;
  cacheRead: number;
  /** Cache writes priced at the 5-minute rate. */
  cacheWrite5m: number;
  /** Cache writes priced at the 1-hour rate. */
  cacheWrite1h: number;
  webSearch: number;
  /** Fast mode (priced at the model's fast rates where the card has them). */
  fast?: boolean;
  /** The agent's own price of these counts, nanodollars: what an unknown model is charged. */
  cost: Nanos;
}

/** What an agent reports as a session's running totals: its own cost and, when it gives them, per-model counts. */
export interface SessionReading {
  /** The agent's cumulative cost of the session, nanodollars. */
  total: Nanos;
  /** Cumulative counts per model; empty when the agent reports only its cost. */
  models: Record<string, ModelCounts>;
}

export interface SessionMeterOptions {
  hub: Hub;
  /** Route entry whose pool pays. */
  entry: string;
  /** Where baselines live in the store: `<namespace>.<session id>`. */
  namespace: string;
  /** A model the rate card does not price: charge the agent's own reported cost (default, with a warning) or fail. */
  unknownModel?: 'reported-cost' | 'error';
  /** Names the caller in option errors and warnings. */
  owner: string;
}

/** What one reading changed. */
export interface SessionAdvance {
  sessionId: string;
  /** `duplicate`: this reading's message was taken before; `nothing`: no new spend. */
  status: 'charged' | 'duplicate' | 'nothing';
  cost: Nanos;
  /** The agent's own price of the new spend (delta of its cumulative cost). */
  reportedCost: Nanos;
  /** The cumulative figures went down: the agent started counting again (`/clear`), a new baseline. */
  reset: boolean;
  /** The session this one was forked from, when known (declared, or found from its figures). */
  forkOf?: string;
  settlements: Settlement[];
}

/** One unit of work with its own counts: an API call, or a turn the agent reports on its own. */
export interface SessionUnit {
  /** Idempotency key. */
  key: string;
  model: string;
  counts: ModelCounts;
  /** When the work happened (epoch ms), for the price in force then. Default now. */
  at?: number;
  meta?: EntryMeta;
}

export interface SessionMeter {
  /**
   * Charges a session's cumulative reading: the difference from the figures it was last charged at,
   * per model by the rate card (or the agent's cost delta when it gives no counts).
   * `messageId` makes a replayed reading a duplicate; `fresh` is the part of the reading the agent
   * says it made since its process started (the Agent SDK's `model_usage_since_last_result` on a
   * session's first result) — what a session never seen before is charged, so a fork or a resume
   * of someone else's session is not charged its inherited history.
   */
  advance(
    sessionId: string,
    reading: SessionReading,
    options: { key: string; messageId?: string; fresh?: Record<string, ModelCounts> },
  ): Promise<SessionAdvance>;
  /** Whether the rate card prices `model` (a model it does not is charged the agent's own cost, or refused). */
  prices(model: string): boolean;
  /** Charges one unit of work priced from its own counts (no baseline involved). */
  charge(unit: SessionUnit): Promise<Settlement>;
  /** Charges an amount the agent priced itself (no counts to price). */
  chargeCost(key: string, cost: Nanos, meta?: EntryMeta): Promise<Settlement>;
  /** Moves a session's baseline to `reading` without charging (the spend was charged another way, or is history). */
  cover(sessionId: string, reading: SessionReading, options?: { forkOf?: string }): Promise<void>;
  /** The session's baseline (zero for a session never seen), or undefined when it was never stored. */
  baseline(sessionId: string): Promise<SessionReading | undefined>;
  /** The next session this meter has never seen is a fork of this one: it starts from the parent's figures. */
  expectFork(parentSessionId: string): void;
  /** Passes a limit signal the agent saw to the entry's pool (a plan-allowance pool reads it). */
  signal(signal: LimitSignal): Promise<void>;
  /** The pool id of the entry. */
  readonly poolId: string;
  /** New spend charged through this meter (duplicates not counted). */
  readonly charged: Nanos;
}

interface StoredSession {
  /** Cumulative cost, exact decimal USD. */
  total?: string;
  /** An older ACP baseline's name for `total`. */
  covered?: string;
  models?: Record<string, Omit<ModelCounts, 'cost'> & { cost: string }>;
  forkOf?: string;
  /** An older ACP baseline's name for `forkOf`. */
  parent?: string;
  seen?: string[];
}

interface SessionState extends SessionReading {
  forkOf?: string;
  /** Message ids already taken (the latest {@link SEEN_LIMIT}). */
  seen: string[];
}

const SEEN_LIMIT = 256;
const COUNTS = ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'webSearch'] as const;
export const ZERO_COUNTS: ModelCounts = {
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  webSearch: 0,
  cost: 0,
};
const zero = (): SessionState => ({ total: 0, models: {}, seen: [] });

/** `a - b`, field by field; negative fields are kept (a caller checks `wentDown` first). */
function minus(a: ModelCounts, b: ModelCounts): ModelCounts {
  const out: ModelCounts = { ...ZERO_COUNTS, cost: a.cost - b.cost };
  for (const field of COUNTS) out[field] = a[field] - b[field];
  if (a.fast) out.fast = true;
  return out;
}

const isEmpty = (c: ModelCounts): boolean => COUNTS.every((field) => c[field] === 0);

/** True when any cumulative figure went down: the agent started counting again. */
function wentDown(now: SessionReading, before: SessionReading): boolean {
  if (now.total < before.total) return true;
  return Object.entries(before.models).some(([model, b]) => {
    const n = now.models[model];
    return n !== undefined && COUNTS.some((field) => n[field] < b[field]);
  });
}

function quantities(c: ModelCounts): BillableQuantities {
  return {
    inputTokens: c.input,
    outputTokens: c.output,
    cacheReadTokens: c.cacheRead,
    cacheWrite5mTokens: c.cacheWrite5m,
    cacheWrite1hTokens: c.cacheWrite1h,
    webSearchRequests: c.webSearch,
    batch: false,
    usInference: false,
    ...(c.fast && { fast: true }),
  };
}

function countsMeta(c: ModelCounts): EntryMeta {
  return {
    inputTokens: c.input,
    outputTokens: c.output,
    cacheReadTokens: c.cacheRead,
    cacheWriteTokens: c.cacheWrite5m + c.cacheWrite1h,
    ...(c.cacheWrite1h > 0 && { cacheWrite1hTokens: c.cacheWrite1h }),
    webSearchRequests: c.webSearch,
    // Reconciliation with Anthropic's usage report matches on the speed a call was made at.
    ...(c.fast && { speed: 'fast' }),
  };
}

function toStored(state: SessionState): StoredSession {
  const models: NonNullable<StoredSession['models']> = {};
  for (const [model, c] of Object.entries(state.models)) models[model] = { ...c, cost: toDecimalString(c.cost) };
  return {
    total: toDecimalString(state.total),
    models,
    ...(state.forkOf !== undefined && { forkOf: state.forkOf }),
    seen: state.seen,
  };
}

function fromStored(stored: StoredSession): SessionState {
  const models: Record<string, ModelCounts> = {};
  for (const [model, c] of Object.entries(stored.models ?? {})) models[model] = { ...c, cost: usd(c.cost) };
  const forkOf = stored.forkOf ?? stored.parent;
  return {
    total: usd(stored.total ?? stored.covered ?? '0'),
    models,
    ...(forkOf !== undefined && { forkOf }),
    seen: stored.seen ?? [],
  };
}

/**
 * The one per-session meter every agent integration uses (Agent SDK results, Claude Code's
 * telemetry, ACP sessions). A session's figures live in the store whatever entry pays, so a session
 * resumed under the next entry, in another process, continues where it was. Token counts are priced
 * by the hub's rate card (one charge per model under `<key>#<model>`); a model the card does not
 * know is charged the agent's own reported cost (`unknownModel: 'reported-cost'`, with a warning)
 * or refused. Readings are taken one at a time, in order.
 *
 * A session never seen before is charged from zero, unless (a) `expectFork(parent)` announced it,
 * (b) the agent says how much of its reading is fresh: the rest is inherited history (a fork, or a
 * resume of a session metered elsewhere) and is not charged again; the parent is the known session
 * whose figures the inherited part matches.
 */
export function createSessionMeter(options: SessionMeterOptions): SessionMeter {
  const { hub, entry, owner } = options;
  const routeEntry = hub.router.entry(entry);
  const unknownModel = options.unknownModel ?? 'reported-cost';
  if (unknownModel !== 'reported-cost' && unknownModel !== 'error')
    throw invalidOption(owner, 'unknownModel', `is "${String(unknownModel)}"`, 'Use "reported-cost" or "error".');
  const sessions = new Map<string, SessionState>();
  const pendingForks: string[] = [];
  let charged = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const stateKey = (sessionId: string) => `${options.namespace}.${sessionId}`;

  /** Runs `work` after every earlier reading: baselines are read, charged against and written in order. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  }

  async function stored(sessionId: string): Promise<SessionState | undefined> {
    const known = sessions.get(sessionId);
    if (known) return known;
    const state = await hub.store.getState<StoredSession>(stateKey(sessionId));
    if (state) sessions.set(sessionId, fromStored(state));
    return sessions.get(sessionId);
  }

  async function save(sessionId: string, state: SessionState): Promise<void> {
    await hub.store.setState(stateKey(sessionId), toStored(state));
    sessions.set(sessionId, state);
  }

  /** The known session whose figures equal `inherited`: the parent of a fork that was not announced. */
  function parentMatching(sessionId: string, inherited: SessionReading): string | undefined {
    for (const [id, s] of sessions) {
      if (id === sessionId) continue;
      const models = Object.keys(inherited.models);
      if (
        models.length === Object.keys(s.models).length &&
        models.every(
          (m) => s.models[m] !== undefined && COUNTS.every((f) => s.models[m]![f] === inherited.models[m]![f]),
        )
      )
        return id;
    }
    return undefined;
  }

  /** Where a session never seen before starts from. */
  async function startOf(
    sessionId: string,
    reading: SessionReading,
    freshPart: Record<string, ModelCounts> | undefined,
  ): Promise<SessionState> {
    const parentId = pendingForks.shift();
    if (parentId !== undefined) {
      const parent = await stored(parentId);
      if (parent) return { total: parent.total, models: parent.models, forkOf: parentId, seen: [] };
      hub.logger.warn(
        `${owner}: session ${sessionId} was announced as a fork of ${parentId}, which this ledger has never metered; its first reading is charged in full`,
      );
      return { ...zero(), forkOf: parentId };
    }
    if (freshPart === undefined) return zero();
    // Inherited = the reading minus what the agent made since it started.
    const models: Record<string, ModelCounts> = {};
    let freshCost = 0;
    for (const [model, n] of Object.entries(reading.models)) {
      const made = freshPart[model] ?? ZERO_COUNTS;
      freshCost += made.cost;
      const inherited = minus(n, made);
      if (COUNTS.some((f) => inherited[f] < 0)) return zero();
      if (!isEmpty(inherited)) models[model] = inherited;
    }
    if (Object.keys(models).length === 0) return zero();
    const inherited: SessionReading = { total: Math.max(0, reading.total - freshCost), models };
    const parent = parentMatching(sessionId, inherited);
    hub.logger.info(
      `${owner}: session ${sessionId} starts with history it did not make${parent ? ` (a fork of ${parent})` : ''}; only its own spend is charged`,
    );
    return { ...inherited, forkOf: parent ?? 'unknown', seen: [] };
  }

  function price(model: string, counts: ModelCounts, at: number): { cost: Nanos; model: string; meta: EntryMeta } {
    try {
      // The agent's own price goes along: a card whose unknown-model policy is `charge-reported` charges it.
      const breakdown = hub.rateCard.priceQuantities(model, quantities(counts), { at, reportedCost: counts.cost });
      return {
        cost: breakdown.total,
        model: breakdown.model,
        meta: {
          pricedBy: breakdown.pricedBy,
          ...(breakdown.priceRow !== undefined && { priceRow: breakdown.priceRow }),
        },
      };
    } catch (error) {
      if (!isDrawdownError(error, ErrorCodes.UNKNOWN_MODEL) || unknownModel === 'error') throw error;
      hub.logger.warn(
        `${owner}: the rate card has no price for "${model}"; charging the agent's reported cost of ${toDecimalString(counts.cost)} USD for it`,
      );
      return { cost: counts.cost, model, meta: { pricedBy: 'reported-cost' } };
    }
  }

  async function record(key: string, cost: Nanos, meta: EntryMeta, model?: string): Promise<Settlement> {
    const settlement = await hub.charge({
      requestId: key,
      entry,
      cost,
      ...(model !== undefined && { model }),
      meta: { ...(model !== undefined && { model }), ...meta },
    });
    if (settlement.status === 'settled') charged += settlement.cost;
    return settlement;
  }

  async function chargeUnit(unit: SessionUnit): Promise<Settlement> {
    const priced = price(unit.model, unit.counts, unit.at ?? hub.clock.now());
    return record(
      `${unit.key}`,
      priced.cost,
      { ...countsMeta(unit.counts), ...priced.meta, ...unit.meta },
      priced.model,
    );
  }

  async function advance(
    sessionId: string,
    reading: SessionReading,
    opts: { key: string; messageId?: string; fresh?: Record<string, ModelCounts> },
  ): Promise<SessionAdvance> {
    const state = (await stored(sessionId)) ?? (await startOf(sessionId, reading, opts.fresh));
    const base = { sessionId, ...(state.forkOf !== undefined && { forkOf: state.forkOf }) };
    if (opts.messageId !== undefined && state.seen.includes(opts.messageId))
      return { ...base, status: 'duplicate', cost: 0, reportedCost: 0, reset: false, settlements: [] };
    const reset = wentDown(reading, state);
    const before: SessionReading = reset ? zero() : state;
    const reportedCost = Math.max(0, reading.total - before.total);
    const settlements: Settlement[] = [];
    const at = hub.clock.now();
    if (Object.keys(reading.models).length > 0) {
      for (const [model, n] of Object.entries(reading.models)) {
        const delta = minus(n, before.models[model] ?? ZERO_COUNTS);
        if (isEmpty(delta)) continue;
        delta.cost = Math.max(0, delta.cost);
        const priced = price(model, delta, at);
        settlements.push(
          await record(`${opts.key}#${model}`, priced.cost, { ...countsMeta(delta), ...priced.meta }, priced.model),
        );
      }
    } else if (reportedCost > 0) {
      // No per-model counts: the agent's own cumulative cost is all there is to go on.
      settlements.push(await record(opts.key, reportedCost, { pricedBy: 'reported-cost' }));
    }
    await save(sessionId, {
      total: reading.total,
      models: Object.keys(reading.models).length > 0 || reset ? reading.models : state.models,
      ...(state.forkOf !== undefined && { forkOf: state.forkOf }),
      seen: opts.messageId === undefined ? state.seen : [...state.seen, opts.messageId].slice(-SEEN_LIMIT),
    });
    const settled = settlements.filter((s) => s.status === 'settled');
    return {
      ...base,
      status: settlements.length === 0 ? 'nothing' : settled.length > 0 ? 'charged' : 'duplicate',
      cost: settlements.reduce((sum, s) => sum + s.cost, 0),
      reportedCost,
      reset,
      settlements,
    };
  }

  return {
    advance: (sessionId, reading, opts) => serial(() => advance(sessionId, reading, opts)),
    charge: (unit) => serial(() => chargeUnit(unit)),
    prices(model) {
      try {
        hub.rateCard.priceQuantities(model, quantities(ZERO_COUNTS), { at: hub.clock.now() });
        return true;
      } catch (error) {
        if (isDrawdownError(error, ErrorCodes.UNKNOWN_MODEL)) return false;
        throw error;
      }
    },
    chargeCost: (key, cost, meta = {}) => serial(() => record(key, cost, { pricedBy: 'reported-cost', ...meta })),
    cover: (sessionId, reading, opts = {}) =>
      serial(async () => {
        const state = (await stored(sessionId)) ?? zero();
        const forkOf = opts.forkOf ?? state.forkOf;
        await save(sessionId, {
          total: reading.total,
          models: Object.keys(reading.models).length > 0 ? reading.models : state.models,
          ...(forkOf !== undefined && { forkOf }),
          seen: state.seen,
        });
      }),
    baseline: (sessionId) => serial(() => stored(sessionId)),
    expectFork(parentSessionId) {
      if (typeof parentSessionId !== 'string' || parentSessionId === '')
        throw invalidOption(
          'expectFork',
          'parentSessionId',
          'is missing',
          'Pass the id you gave the Agent SDK as `resume`.',
        );
      pendingForks.push(parentSessionId);
    },
    async signal(signal) {
      const pool = routeEntry.pool;
      if (!pool.observe) return;
      await pool.observe(signal);
      await hub.refreshPool(pool.id);
    },
    get poolId() {
      return routeEntry.pool.id;
    },
    get charged() {
      return charged;
    },
  };
}
