import type { LimitSignal } from '../contracts/pool.js';
import { DrawdownError, ErrorCodes, invalidOption, isDrawdownError } from '../errors.js';
import type { Hub } from '../hub.js';
import { toDecimalString, usd, type Nanos } from '../money.js';
import type { BillableQuantities } from '../rate-card/usage.js';
import type { Settlement } from '../request-flow.js';
import { isApiRetryMessage, isRateLimitEvent, isResultMessage, type AgentModelUsage, type AgentResultMessage } from './messages.js';

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
}

/** What one result message changed. */
export interface TurnCharge {
  sessionId: string;
  /** Idempotency key of the turn; each model's charge is keyed `<turnKey>#<model>`. */
  turnKey: string;
  /** `charged` (new spend recorded), `duplicate` (already recorded earlier), `nothing` (no new spend). */
  status: 'charged' | 'duplicate' | 'nothing';
  /** Spend of this turn, priced by our rate card where the model is known. */
  cost: Nanos;
  costUsd: string;
  /** The same turn as the agent priced it (delta of `total_cost_usd`), exact decimal USD, a cross-check. */
  reportedCostUsd: string;
  /** The cumulative total went down: the session was cleared and a new baseline started. */
  reset: boolean;
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
  /** Spend charged through this meter so far (duplicates not counted). */
  readonly charged: Nanos;
}

interface Baseline {
  /** Cumulative `total_cost_usd` as exact decimal USD. */
  total: string;
  models: Record<string, { input: number; output: number; cacheRead: number; cacheWrite: number; webSearch: number; cost: string }>;
}

const EMPTY: Baseline = { total: '0', models: {} };
const count = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0);
const money = (value: unknown): Nanos => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? usd(value) : 0);

function cumulative(message: AgentResultMessage): Baseline {
  const models: Baseline['models'] = {};
  for (const [model, u] of Object.entries(message.modelUsage ?? {}) as Array<[string, AgentModelUsage]>) {
    models[model] = {
      input: count(u.inputTokens),
      output: count(u.outputTokens),
      cacheRead: count(u.cacheReadInputTokens),
      cacheWrite: count(u.cacheCreationInputTokens),
      webSearch: count(u.webSearchRequests),
      cost: toDecimalString(money(u.costUSD)),
    };
  }
  return { total: toDecimalString(money(message.total_cost_usd)), models };
}

/** True when any cumulative figure went down: the agent started counting again (`/clear`). */
function wentDown(now: Baseline, before: Baseline): boolean {
  if (usd(now.total) < usd(before.total)) return true;
  return Object.entries(before.models).some(([model, b]) => {
    const n = now.models[model];
    return n !== undefined && (n.input < b.input || n.output < b.output || n.cacheRead < b.cacheRead || n.cacheWrite < b.cacheWrite || n.webSearch < b.webSearch);
  });
}

/**
 * Turns Claude Agent SDK messages into charges and plan updates. `total_cost_usd` and `modelUsage`
 * are cumulative per session, so each result message is charged the difference from the last one
 * seen (kept in the store, so a resumed session or a second reader never charges twice); token
 * counts are priced by the hub's rate card (cache writes at the 5-minute rate the agent uses), one
 * charge per model per turn under an idempotency key made from the session and the message uuid.
 * A total that goes down (after `/clear`) starts a new baseline. `rate_limit_event` and
 * `api_retry` messages reach the entry's pool through `observe`.
 */
export function createAgentSdkMeter(options: AgentSdkMeterOptions): AgentSdkMeter {
  const owner = 'createAgentSdkMeter';
  if (!options || typeof options.hub?.begin !== 'function') throw invalidOption(owner, 'hub', 'is missing', 'Pass the hub from createHub().');
  if (typeof options.entry !== 'string' || options.entry === '') throw invalidOption(owner, 'entry', 'is missing', 'Name the route entry that pays, like "trial".');
  const { hub, entry } = options;
  const routeEntry = hub.router.entry(entry);
  const unknownModel = options.unknownModel ?? 'reported-cost';
  if (unknownModel !== 'reported-cost' && unknownModel !== 'error') throw invalidOption(owner, 'unknownModel', `is "${String(unknownModel)}"`, 'Use "reported-cost" or "error".');
  const baselines = new Map<string, Baseline>();
  let charged = 0;
  // One message at a time: baselines are read, charged against and written in order.
  let queue: Promise<unknown> = Promise.resolve();

  const stateKey = (sessionId: string): string => `agent-sdk.baseline.${entry}.${sessionId}`;

  async function baselineOf(sessionId: string): Promise<Baseline> {
    const known = baselines.get(sessionId);
    if (known) return known;
    const stored = (await hub.store.getState<Baseline>(stateKey(sessionId))) ?? EMPTY;
    baselines.set(sessionId, stored);
    return stored;
  }

  /** The delta's cost and the canonical model id reports group it under. */
  function priceModel(model: string, delta: Baseline['models'][string], reportedCost: Nanos): { cost: Nanos; model: string } {
    const quantities: BillableQuantities = {
      inputTokens: delta.input,
      outputTokens: delta.output,
      cacheReadTokens: delta.cacheRead,
      cacheWrite5mTokens: delta.cacheWrite,
      cacheWrite1hTokens: 0,
      webSearchRequests: delta.webSearch,
      batch: false,
      usInference: false,
    };
    try {
      const breakdown = hub.rateCard.priceQuantities(model, quantities, hub.clock.now());
      return { cost: breakdown.total, model: breakdown.model };
    } catch (error) {
      if (!isDrawdownError(error, ErrorCodes.UNKNOWN_MODEL) || unknownModel === 'error') throw error;
      hub.logger.warn(`the rate card has no price for "${model}"; charging the agent's reported cost of ${toDecimalString(reportedCost)} USD for it`);
      return { cost: reportedCost, model };
    }
  }

  async function chargeTurn(message: AgentResultMessage): Promise<TurnCharge> {
    const sessionId = message.session_id;
    const now = cumulative(message);
    let before = await baselineOf(sessionId);
    const reset = wentDown(now, before);
    if (reset) before = EMPTY;
    const turnKey = `agent:${sessionId}:${message.uuid ?? `${message.num_turns ?? 0}:${now.total}`}`;
    const reportedDelta = usd(now.total) - usd(before.total);
    const settlements: Settlement[] = [];
    const charge = async (key: string, cost: Nanos, model: string | undefined, delta?: Baseline['models'][string]) => {
      settlements.push(
        await hub.charge({
          requestId: key,
          entry,
          cost,
          ...(model !== undefined && { model }),
          meta: {
            ...(model !== undefined && { model }),
            ...(delta && { inputTokens: delta.input, outputTokens: delta.output, cacheReadTokens: delta.cacheRead, cacheWriteTokens: delta.cacheWrite, webSearchRequests: delta.webSearch }),
          },
        }),
      );
    };
    if (Object.keys(now.models).length > 0) {
      for (const [model, n] of Object.entries(now.models)) {
        const b = before.models[model] ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, webSearch: 0, cost: '0' };
        const delta = { input: n.input - b.input, output: n.output - b.output, cacheRead: n.cacheRead - b.cacheRead, cacheWrite: n.cacheWrite - b.cacheWrite, webSearch: n.webSearch - b.webSearch, cost: '0' };
        if (delta.input + delta.output + delta.cacheRead + delta.cacheWrite + delta.webSearch === 0) continue;
        const priced = priceModel(model, delta, Math.max(0, usd(n.cost) - usd(b.cost)));
        await charge(`${turnKey}#${model}`, priced.cost, priced.model, delta);
      }
    } else if (reportedDelta > 0) {
      // No per-model counts: the agent's own cumulative cost is all there is to go on.
      await charge(turnKey, reportedDelta, undefined);
    }
    await hub.store.setState(stateKey(sessionId), now);
    baselines.set(sessionId, now);
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
    if (options.sessionId !== undefined && typeof session === 'string' && session !== options.sessionId) return { kind: 'ignored' };
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
      throw new DrawdownError(ErrorCodes.INVALID_USAGE, 'an Agent SDK result message has no session_id or numeric total_cost_usd; it cannot be charged', {
        data: { field: 'total_cost_usd' },
      });
    }
    return { kind: 'ignored' };
  }

  return {
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
