import type { LimitSignal } from '../contracts/pool.js';
import { DrawdownError, ErrorCodes, invalidOption, isDrawdownError } from '../errors.js';
import type { Hub } from '../hub.js';
import { toDecimalString, usd, type Nanos } from '../money.js';
import type { BillableQuantities } from '../rate-card/usage.js';
import type { Settlement } from '../request-flow.js';
import {
  isApiRetryMessage,
  isRateLimitEvent,
  isResultMessage,
  type AgentModelUsage,
  type AgentResultMessage,
} from './messages.js';

export interface AgentSdkMeterOptions {
  hub: Hub;
  /** Route entry whose pool is charged for the agent's turns (e.g. `trial` for a bundled key, `personal` for the user's sign-in). */
  entry: string;
  /** Meter only this session; messages of other sessions are ignored. Default: every session seen. */
  sessionId?: string;
  /**
   * A model in `modelUsage` that the rate card does not price: charge the agent's own reported
   * cost for it (`reported-cost`, default, logged as a warning) or fail with DRAWDOWN_UNKNOWN_MODEL.
   */
  unknownModel?: 'reported-cost' | 'error';
  /**
   * The first new session this meter sees is a fork of this one (`resume: id, forkSession: true`):
   * its first result already includes the parent's spend, so it is charged from the parent's figures.
   * Same as calling `expectFork(id)` right away.
   */
  forkOf?: string;
}

/** What one result message changed. */
export interface TurnCharge {
  sessionId: string;
  /** Idempotency key of the turn; each model's charge is keyed `<turnKey>#<model>`. */
  turnKey: string;
  /** `charged` (new spend recorded), `duplicate` (this result message was taken before), `nothing` (no new spend). */
  status: 'charged' | 'duplicate' | 'nothing';
  /** Spend of this turn, priced by our rate card where the model is known. */
  cost: Nanos;
  costUsd: string;
  /** The same turn as the agent priced it (delta of `total_cost_usd`), exact decimal USD, a cross-check. */
  reportedCostUsd: string;
  /** The cumulative total went down: the session was cleared and a new baseline started. */
  reset: boolean;
  /** The session was forked from this one and charged from its figures. */
  forkOf?: string;
  settlements: Settlement[];
}

export type AgentObservation =
  | { kind: 'turn'; charge: TurnCharge }
  | { kind: 'rate-limit'; poolId: string }
  | { kind: 'api-retry'; poolId: string }
  | { kind: 'ignored' };

export interface AgentSdkMeter {
  /** Takes one Agent SDK message; charges result messages, forwards rate-limit events and retries to the pool. */
  observe(message: unknown): Promise<AgentObservation>;
  /**
   * Announces a fork before running it (`query({ options: { resume: parentSessionId, forkSession: true } })`):
   * the next session id this meter has never seen starts from the parent's figures instead of zero.
   */
  expectFork(parentSessionId: string): void;
  /** Spend charged through this meter so far (duplicates not counted). */
  readonly charged: Nanos;
}

/** A model's cumulative counts in one session, as `modelUsage` reports them. */
interface ModelTotals {
  input: number;
  output: number;
  cacheRead: number;
  /** Cache writes priced at the 5-minute rate (`cacheCreationEphemeral5mInputTokens`, or all of them when the split is missing). */
  cacheWrite5m: number;
  /** Cache writes priced at the 1-hour rate (`cacheCreationEphemeral1hInputTokens`). */
  cacheWrite1h: number;
  webSearch: number;
  /** The agent's own cumulative price of this model, exact decimal USD. */
  cost: string;
}

/**
 * What the meter knows of one session, stored under `agent-sdk.session.<id>` whatever route entry
 * pays: the session's cumulative figures when last charged, so a session resumed under another
 * entry (trial → personal) continues from there, and a fork starts from its parent's figures.
 */
interface SessionState {
  /** Cumulative `total_cost_usd` as exact decimal USD. */
  total: string;
  models: Record<string, ModelTotals>;
  /** The session this one was forked from, when the meter was told. */
  forkOf?: string;
  /** Result message uuids already taken (the latest {@link SEEN_LIMIT}), so a replayed message changes nothing. */
  seen: string[];
}

const SEEN_LIMIT = 256;
const EMPTY: SessionState = { total: '0', models: {}, seen: [] };
const ZERO: ModelTotals = {
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  webSearch: 0,
  cost: '0',
};
const count = (value: unknown): number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
const money = (value: unknown): Nanos =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? usd(value) : 0;
const COUNTS = ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'webSearch'] as const;

function modelTotals(u: AgentModelUsage): ModelTotals {
  const writes = count(u.cacheCreationInputTokens);
  const oneHour = count(u.cacheCreationEphemeral1hInputTokens);
  // The 5-minute count is whatever the 1-hour count does not explain (older agents send no split).
  const fiveMinute =
    u.cacheCreationEphemeral5mInputTokens === undefined
      ? Math.max(0, writes - oneHour)
      : Math.max(count(u.cacheCreationEphemeral5mInputTokens), writes - oneHour);
  return {
    input: count(u.inputTokens),
    output: count(u.outputTokens),
    cacheRead: count(u.cacheReadInputTokens),
    cacheWrite5m: fiveMinute,
    cacheWrite1h: oneHour,
    webSearch: count(u.webSearchRequests),
    cost: toDecimalString(money(u.costUSD)),
  };
}

function cumulative(message: AgentResultMessage): Pick<SessionState, 'total' | 'models'> {
  const models: SessionState['models'] = {};
  for (const [model, u] of Object.entries(message.modelUsage ?? {}) as Array<[string, AgentModelUsage]>)
    models[model] = modelTotals(u);
  return { total: toDecimalString(money(message.total_cost_usd)), models };
}

/** True when any cumulative figure went down: the agent started counting again (`/clear`). */
function wentDown(
  now: Pick<SessionState, 'total' | 'models'>,
  before: Pick<SessionState, 'total' | 'models'>,
): boolean {
  if (usd(now.total) < usd(before.total)) return true;
  return Object.entries(before.models).some(([model, b]) => {
    const n = now.models[model];
    return n !== undefined && COUNTS.some((field) => n[field] < b[field]);
  });
}

/**
 * Turns Claude Agent SDK messages into charges and plan updates. `total_cost_usd` and `modelUsage`
 * are cumulative per session, so each result message is charged the difference from the session's
 * figures when it was last charged. Those figures belong to the session, not to the route entry:
 * a conversation resumed under the next entry (trial → personal) continues where it was, and a
 * fork (`resume` + `forkSession: true`, announced with `expectFork`) starts from its parent's
 * figures. Token counts are priced by the hub's rate card, 5-minute and 1-hour cache writes each
 * at their own rate, one charge per model per turn under a key made from the session and the
 * result message's uuid; a message already taken changes nothing. A total that goes down (after
 * `/clear`) starts a new baseline. `rate_limit_event` and `api_retry` messages reach the entry's
 * pool through `observe`.
 */
export function createAgentSdkMeter(options: AgentSdkMeterOptions): AgentSdkMeter {
  const owner = 'createAgentSdkMeter';
  if (!options || typeof options.hub?.begin !== 'function')
    throw invalidOption(owner, 'hub', 'is missing', 'Pass the hub from createHub().');
  if (typeof options.entry !== 'string' || options.entry === '')
    throw invalidOption(owner, 'entry', 'is missing', 'Name the route entry that pays, like "trial".');
  const { hub, entry } = options;
  const routeEntry = hub.router.entry(entry);
  const unknownModel = options.unknownModel ?? 'reported-cost';
  if (unknownModel !== 'reported-cost' && unknownModel !== 'error')
    throw invalidOption(owner, 'unknownModel', `is "${String(unknownModel)}"`, 'Use "reported-cost" or "error".');
  if (options.forkOf !== undefined && (typeof options.forkOf !== 'string' || options.forkOf === '')) {
    throw invalidOption(
      owner,
      'forkOf',
      'must be the session id the fork was made from',
      'Pass the id you gave the Agent SDK as `resume`.',
    );
  }
  const sessions = new Map<string, SessionState>();
  /** Parents announced by expectFork, waiting for the next new session. */
  const pendingForks: string[] = options.forkOf !== undefined ? [options.forkOf] : [];
  let charged = 0;
  // One message at a time: baselines are read, charged against and written in order.
  let queue: Promise<unknown> = Promise.resolve();

  const stateKey = (sessionId: string): string => `agent-sdk.session.${sessionId}`;

  async function stored(sessionId: string): Promise<SessionState | undefined> {
    const known = sessions.get(sessionId);
    if (known) return known;
    const state = await hub.store.getState<SessionState>(stateKey(sessionId));
    if (state) sessions.set(sessionId, { ...state, seen: state.seen ?? [] });
    return sessions.get(sessionId);
  }

  /** The figures a session's next result is charged against; a new session takes an announced fork's parent. */
  async function stateOf(sessionId: string): Promise<SessionState> {
    const known = await stored(sessionId);
    if (known) return known;
    const parentId = pendingForks.shift();
    if (parentId === undefined) return EMPTY;
    const parent = await stored(parentId);
    if (!parent) {
      hub.logger.warn(
        `session ${sessionId} was announced as a fork of ${parentId}, which this ledger has never metered; its first turn is charged in full`,
      );
      return { ...EMPTY, forkOf: parentId };
    }
    return { total: parent.total, models: parent.models, forkOf: parentId, seen: [] };
  }

  /** The delta's cost and the canonical model id reports group it under. */
  function priceModel(model: string, delta: ModelTotals, reportedCost: Nanos): { cost: Nanos; model: string } {
    const quantities: BillableQuantities = {
      inputTokens: delta.input,
      outputTokens: delta.output,
      cacheReadTokens: delta.cacheRead,
      cacheWrite5mTokens: delta.cacheWrite5m,
      cacheWrite1hTokens: delta.cacheWrite1h,
      webSearchRequests: delta.webSearch,
      batch: false,
      usInference: false,
    };
    try {
      // The agent's own price goes along: a card whose unknown-model policy is `charge-reported` charges it.
      const breakdown = hub.rateCard.priceQuantities(model, quantities, { at: hub.clock.now(), reportedCost });
      return { cost: breakdown.total, model: breakdown.model };
    } catch (error) {
      if (!isDrawdownError(error, ErrorCodes.UNKNOWN_MODEL) || unknownModel === 'error') throw error;
      hub.logger.warn(
        `the rate card has no price for "${model}"; charging the agent's reported cost of ${toDecimalString(reportedCost)} USD for it`,
      );
      return { cost: reportedCost, model };
    }
  }

  async function chargeTurn(message: AgentResultMessage): Promise<TurnCharge> {
    const sessionId = message.session_id;
    const now = cumulative(message);
    const state = await stateOf(sessionId);
    const turnKey = `agent:${sessionId}:${message.uuid ?? `${message.num_turns ?? 0}:${now.total}`}`;
    if (message.uuid !== undefined && state.seen.includes(message.uuid)) {
      return {
        sessionId,
        turnKey,
        status: 'duplicate',
        cost: 0,
        costUsd: '0',
        reportedCostUsd: '0',
        reset: false,
        settlements: [],
      };
    }
    const reset = wentDown(now, state);
    const before = reset ? EMPTY : state;
    const reportedDelta = usd(now.total) - usd(before.total);
    const settlements: Settlement[] = [];
    const charge = async (key: string, cost: Nanos, model: string | undefined, delta?: ModelTotals) => {
      settlements.push(
        await hub.charge({
          requestId: key,
          entry,
          cost,
          ...(model !== undefined && { model }),
          meta: {
            ...(model !== undefined && { model }),
            ...(delta && {
              inputTokens: delta.input,
              outputTokens: delta.output,
              cacheReadTokens: delta.cacheRead,
              cacheWriteTokens: delta.cacheWrite5m + delta.cacheWrite1h,
              ...(delta.cacheWrite1h > 0 && { cacheWrite1hTokens: delta.cacheWrite1h }),
              webSearchRequests: delta.webSearch,
            }),
          },
        }),
      );
    };
    if (Object.keys(now.models).length > 0) {
      for (const [model, n] of Object.entries(now.models)) {
        const b = before.models[model] ?? ZERO;
        const delta: ModelTotals = { ...ZERO };
        for (const field of COUNTS) delta[field] = n[field] - b[field];
        if (COUNTS.every((field) => delta[field] === 0)) continue;
        const priced = priceModel(model, delta, Math.max(0, usd(n.cost) - usd(b.cost)));
        await charge(`${turnKey}#${model}`, priced.cost, priced.model, delta);
      }
    } else if (reportedDelta > 0) {
      // No per-model counts: the agent's own cumulative cost is all there is to go on.
      await charge(turnKey, reportedDelta, undefined);
    }
    const next: SessionState = {
      ...now,
      ...(state.forkOf !== undefined && { forkOf: state.forkOf }),
      seen: message.uuid === undefined ? state.seen : [...state.seen, message.uuid].slice(-SEEN_LIMIT),
    };
    await hub.store.setState(stateKey(sessionId), next);
    sessions.set(sessionId, next);
    const fresh = settlements.filter((s) => s.status === 'settled');
    const cost = settlements.reduce((sum, s) => sum + s.cost, 0);
    charged += fresh.reduce((sum, s) => sum + s.cost, 0);
    return {
      sessionId,
      turnKey,
      status: settlements.length === 0 ? 'nothing' : fresh.length > 0 ? 'charged' : 'duplicate',
      cost,
      costUsd: toDecimalString(cost),
      reportedCostUsd: toDecimalString(Math.max(0, reportedDelta)),
      reset,
      ...(state.forkOf !== undefined && { forkOf: state.forkOf }),
      settlements,
    };
  }

  async function tellPool(signal: LimitSignal): Promise<void> {
    const pool = routeEntry.pool;
    if (!pool.observe) return;
    await pool.observe(signal);
    await hub.refreshPool(pool.id);
  }

  async function handle(message: unknown): Promise<AgentObservation> {
    const session = (message as { session_id?: unknown } | null)?.session_id;
    if (options.sessionId !== undefined && typeof session === 'string' && session !== options.sessionId)
      return { kind: 'ignored' };
    if (isResultMessage(message)) return { kind: 'turn', charge: await chargeTurn(message) };
    if (isRateLimitEvent(message)) {
      await tellPool({ source: 'agent-event', rateLimitInfo: message.rate_limit_info, at: hub.clock.now() });
      return { kind: 'rate-limit', poolId: routeEntry.pool.id };
    }
    if (isApiRetryMessage(message)) {
      await tellPool({
        source: 'agent-event',
        ...(typeof message.error_status === 'number' && { status: message.error_status }),
        ...(typeof message.error === 'string' && { errorType: message.error }),
        message: `the agent is retrying an API call (attempt ${message.attempt ?? '?'} of ${message.max_retries ?? '?'})`,
        at: hub.clock.now(),
      });
      return { kind: 'api-retry', poolId: routeEntry.pool.id };
    }
    if ((message as { type?: unknown } | null)?.type === 'result') {
      throw new DrawdownError(
        ErrorCodes.INVALID_USAGE,
        'an Agent SDK result message has no session_id or numeric total_cost_usd; it cannot be charged',
        {
          data: { field: 'total_cost_usd' },
        },
      );
    }
    return { kind: 'ignored' };
  }

  return {
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
    observe(message) {
      const next = queue.then(() => handle(message));
      queue = next.catch(() => undefined);
      return next;
    },
    get charged() {
      return charged;
    },
  };
}
