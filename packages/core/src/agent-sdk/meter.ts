import type { LimitSignal } from '../contracts/pool.js';
import { DrawdownError, ErrorCodes, invalidOption } from '../errors.js';
import type { Hub } from '../hub.js';
import { isRecord } from '../is-record.js';
import { NANOS_PER_USD, toDecimalString, usd, type Nanos } from '../money.js';
import type { Settlement } from '../request-flow.js';
import { createSessionMeter, type ModelCounts } from './session-meter.js';
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
  /**
   * Call before each `query()`: refuses with DRAWDOWN_ROUTE_EXHAUSTED (the pool, its limit, its
   * reset) when the entry's pool cannot hold a first call, else gives the room left as
   * `maxBudgetUsd` to pass in the query's options (absent for a pool without a money limit). The
   * Agent SDK ends the query once its own running cost passes it: a budget is overrun by at most
   * the one call that crossed it.
   */
  admit(): Promise<{ maxBudgetUsd?: number }>;
  /** Spend charged through this meter so far (duplicates not counted). */
  readonly charged: Nanos;
}

/** What `admit()` asks the pool to hold for a moment: room for at least a small first call. */
const ADMIT_HOLD = usd('0.01');
const count = (value: unknown): number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
const money = (value: unknown): Nanos =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? usd(value) : 0;

function modelCounts(u: AgentModelUsage): ModelCounts {
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
    cost: money(u.costUSD),
  };
}

function perModel(table: unknown): Record<string, ModelCounts> {
  const models: Record<string, ModelCounts> = {};
  if (!isRecord(table)) return models;
  for (const [model, u] of Object.entries(table)) if (isRecord(u)) models[model] = modelCounts(u as AgentModelUsage);
  return models;
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
  const unknownModel = options.unknownModel ?? 'reported-cost';
  if (options.forkOf !== undefined && (typeof options.forkOf !== 'string' || options.forkOf === '')) {
    throw invalidOption(
      owner,
      'forkOf',
      'must be the session id the fork was made from',
      'Pass the id you gave the Agent SDK as `resume`.',
    );
  }
  const meter = createSessionMeter({ hub, entry, namespace: 'agent-sdk.session', unknownModel, owner });
  if (options.forkOf !== undefined) meter.expectFork(options.forkOf);
  let charged = 0;
  // One message at a time: baselines are read, charged against and written in order.
  let queue: Promise<unknown> = Promise.resolve();

  async function chargeTurn(message: AgentResultMessage): Promise<TurnCharge> {
    const sessionId = message.session_id;
    const reading = { total: money(message.total_cost_usd), models: perModel(message.modelUsage) };
    const turnKey = `agent:${sessionId}:${message.uuid ?? `${message.num_turns ?? 0}:${toDecimalString(reading.total)}`}`;
    // What this process made since its last result: on a session's first result, the part of the
    // cumulative figures that is not inherited from a parent (an undeclared fork).
    const since = message.model_usage_since_last_result;
    const advanced = await meter.advance(sessionId, reading, {
      key: turnKey,
      ...(message.uuid !== undefined && { messageId: message.uuid }),
      ...(isRecord(since) && { fresh: perModel(since) }),
    });
    charged += advanced.settlements.filter((s) => s.status === 'settled').reduce((sum, s) => sum + s.cost, 0);
    return {
      sessionId,
      turnKey,
      status: advanced.status,
      cost: advanced.cost,
      costUsd: toDecimalString(advanced.cost),
      reportedCostUsd: toDecimalString(advanced.reportedCost),
      reset: advanced.reset,
      ...(advanced.forkOf !== undefined && { forkOf: advanced.forkOf }),
      settlements: advanced.settlements,
    };
  }

  async function tellPool(signal: LimitSignal): Promise<void> {
    await meter.signal(signal);
  }

  async function handle(message: unknown): Promise<AgentObservation> {
    const session = (message as { session_id?: unknown } | null)?.session_id;
    if (options.sessionId !== undefined && typeof session === 'string' && session !== options.sessionId)
      return { kind: 'ignored' };
    if (isResultMessage(message)) return { kind: 'turn', charge: await chargeTurn(message) };
    if (isRateLimitEvent(message)) {
      await tellPool({ source: 'agent-event', rateLimitInfo: message.rate_limit_info, at: hub.clock.now() });
      return { kind: 'rate-limit', poolId: meter.poolId };
    }
    if (isApiRetryMessage(message)) {
      await tellPool({
        source: 'agent-event',
        ...(typeof message.error_status === 'number' && { status: message.error_status }),
        ...(typeof message.error === 'string' && { errorType: message.error }),
        message: `the agent is retrying an API call (attempt ${message.attempt ?? '?'} of ${message.max_retries ?? '?'})`,
        at: hub.clock.now(),
      });
      return { kind: 'api-retry', poolId: meter.poolId };
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
    async admit() {
      // The same check-and-hold every path uses; the hold only asks, the query's calls are charged after.
      const lease = await hub.begin({ entry, amount: ADMIT_HOLD });
      await lease.release();
      const room = (await lease.pool.status()).remaining;
      return room === undefined ? {} : { maxBudgetUsd: Math.max(0, room) / NANOS_PER_USD };
    },
    expectFork(parentSessionId) {
      meter.expectFork(parentSessionId);
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
