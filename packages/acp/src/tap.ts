import { randomUUID } from 'node:crypto';
import {
  DrawdownError,
  ErrorCodes,
  invalidOption,
  isDrawdownError,
  toDecimalString,
  usd,
  type Hub,
  type Nanos,
  type RequestLease,
  type Settlement,
} from '@drawdown/core';
import {
  apiRequestsFromOtlpLogs,
  createSessionMeter,
  createTelemetryMeter,
  ZERO_COUNTS,
} from '@drawdown/core/agent-sdk';
import { AcpErrorCodes } from './errors.js';
import {
  MODEL_META,
  RATE_LIMIT_META,
  isJsonRpcMessage,
  isObject,
  isRequest,
  isResponse,
  isUsageUpdate,
  sessionIdOf,
  sessionUpdate,
  turnTokens,
  type JsonRpcMessage,
  type TurnTokens,
} from './wire.js';

export interface AcpTapOptions {
  hub: Hub;
  /**
   * The route entry the agent runs under (it was started with `hub.childEnv(entry)`): its pool
   * pays for everything the agent reports, because that is whose credentials the agent spends.
   */
  entry: string;
  /**
   * Hold each prompt wherever the route points now, so the hub announces `route.switched` when
   * the route has moved on from `entry` (an app listens and restarts its agent under the new
   * entry). The prompt that noticed is still charged to `entry`. Default false: hold on `entry`.
   */
  followRoute?: boolean;
  /**
   * Held while a prompt runs (USD): it shows the prompt in flight and refuses nothing the entry
   * could pay, since an agent turn's cost is only known at its end. Default "0.01".
   */
  holdPerPrompt?: string;
  /**
   * A model the rate card does not price: charge the agent's own reported cost for the turn
   * (`reported-cost`, default, logged as a warning) or report DRAWDOWN_UNKNOWN_MODEL through `onError`.
   */
  unknownModel?: 'reported-cost' | 'error';
  /**
   * How spend is priced: `tokens` (default) prices the token counts of each prompt response with
   * the hub's rate card and falls back to the agent's reported cost only for turns without counts;
   * `reported-cost` always charges the agent's own cumulative cost delta; `telemetry` prices every
   * API call from Claude Code's own OpenTelemetry events (fed with `fromTelemetry`), background
   * calls after the last turn included, and charges at `close()` the call a cancelled or
   * interrupted prompt aborted, which no event reports (what `drawdown acp` does).
   */
  pricing?: 'tokens' | 'reported-cost' | 'telemetry';
  /** A turn was charged (or found already charged). */
  onCharge?(charge: AcpCharge): void;
  /** Metering failed for one message; the connection itself is never affected. Default: a warning on the hub's logger. */
  onError?(error: unknown): void;
}

/** What one charge did. */
export interface AcpCharge {
  sessionId: string;
  /**
   * `prompt` (a `session/prompt` turn ended), `autonomous` (cost the agent reported outside any
   * prompt), `interrupted` (the connection ended mid-prompt), `aborted` (the call a cancelled or
   * interrupted prompt cut off, in telemetry pricing).
   */
  kind: 'prompt' | 'autonomous' | 'interrupted' | 'aborted';
  /** `tokens`: priced by the rate card from the turn's token counts; `reported-cost`: the agent's own cumulative cost delta. */
  pricedFrom: 'tokens' | 'reported-cost';
  /** Idempotency key (per model `<key>#<model>` when priced from tokens). */
  key: string;
  status: 'charged' | 'duplicate' | 'nothing';
  cost: Nanos;
  costUsd: string;
  /** The same turn as the agent priced it (delta of its cumulative cost), exact decimal USD; a cross-check. */
  reportedCostUsd: string;
  settlements: Settlement[];
}

/** What `admit()` found for the next prompt. */
export interface AcpAdmission {
  /** Where the route points for this prompt. */
  entry: string;
  /** The route has moved on from the tap's entry: restart the agent under `entry` before sending. */
  switched: boolean;
  /**
   * No route entry the prompt may use can hold it (DRAWDOWN_ROUTE_EXHAUSTED: the pool, its limit,
   * its reset in `message` and `data.blocked`). Do not send the prompt; show the user why.
   */
  refused?: DrawdownError;
}

export interface AcpTapSummary {
  prompts: number;
  /** New spend charged through this tap (duplicates not counted). */
  charged: Nanos;
  chargedUsd: string;
  /** Prompts still running when the tap closed: their holds were released and their reported cost charged. */
  interrupted: number;
}

export interface AcpTap {
  /** A message the client sent to the agent. Never throws; metering runs in order in the background. */
  fromClient(message: unknown): void;
  /** A message the agent sent to the client. */
  fromAgent(message: unknown): void;
  /**
   * Call before sending a prompt: takes its hold now, wherever the route points (with
   * `followRoute`), and says which entry that is. When it is not this agent's entry, the hub has
   * announced `route.switched` and the app should restart its agent under `entry` before sending;
   * otherwise the prompt that follows uses this hold. When nothing can hold it, `refused` says why
   * and the prompt should not be sent (`drawdown acp` answers it with that error).
   */
  admit(sessionId: string): Promise<AcpAdmission>;
  /**
   * An OTLP/HTTP JSON logs export from the agent's Claude Code (`pricing: 'telemetry'`): charges each
   * API call it reports, once. Resolves when charged; a rejection should make the exporter retry.
   */
  fromTelemetry(body: unknown): Promise<void>;
  /** Resolves when every message taken so far has been metered. */
  idle(): Promise<void>;
  /** The connection ended: charges what running prompts reported, releases their holds. Idempotent. */
  close(): Promise<AcpTapSummary>;
  readonly charged: Nanos;
}

interface SessionState {
  /** The last cumulative cost the agent reported. */
  reported?: Nanos;
  /** The model the agent last named in a `usage_update` (`_meta["_claude/model"]`). */
  model?: string;
  /** The context the agent last reported (`used`: input, cache and output tokens of its latest call so far). */
  used?: number;
  prompts: number;
  /** A load or resume is replaying the session's history: reported costs are history, not new spend. */
  restoring: number;
}

interface PromptTurn {
  sessionId: string;
  holdKey: string;
  lease?: RequestLease;
}

interface PendingRequest {
  method: string;
  sessionId?: string;
  turn?: PromptTurn;
}

const PROMPT = 'session/prompt';
const RESTORING = new Set(['session/load', 'session/resume']);
const FORKING = new Set(['session/fork', 'unstable_forkSession']);

/**
 * Meters one ACP connection between a client and a Claude agent. Feed it every message in both
 * directions; it never alters or delays them.
 *
 * - A prompt holds `holdPerPrompt` while it runs; its response settles it. The turn is priced by
 *   the rate card from the token counts the response carries (`_meta.quota.model_usage`, per
 *   model) — exact and effective-dated — and only when a turn has no token counts is the agent's
 *   own cumulative `usage_update` cost used, as the delta from what was already covered.
 * - The cumulative cost is tracked per session id in the store (`acp.baseline.<session>`), not per
 *   entry: a session resumed under another entry, in another process, continues from where it
 *   was; a fork starts from its parent's total; a total that goes down starts a new baseline.
 * - `usage_update` `_meta["_claude/rateLimit"]` reaches the entry's pool like the Agent SDK's
 *   `rate_limit_event` (a plan-allowance pool reads it).
 */
export function createAcpTap(options: AcpTapOptions): AcpTap {
  const owner = 'createAcpTap';
  if (!options || typeof options.hub?.begin !== 'function')
    throw invalidOption(owner, 'hub', 'is missing', 'Pass the hub from createHub().');
  if (typeof options.entry !== 'string' || options.entry === '')
    throw invalidOption(owner, 'entry', 'is missing', 'Name the route entry the agent runs under, like "trial".');
  const { hub, entry } = options;
  const unknownModel = options.unknownModel ?? 'reported-cost';
  if (unknownModel !== 'reported-cost' && unknownModel !== 'error')
    throw invalidOption(owner, 'unknownModel', `is "${String(unknownModel)}"`, 'Use "reported-cost" or "error".');
  let holdAmount: Nanos;
  try {
    holdAmount = usd(options.holdPerPrompt ?? '0.01');
  } catch {
    throw invalidOption(
      owner,
      'holdPerPrompt',
      `is "${String(options.holdPerPrompt)}"`,
      'Give a USD amount like "0.01".',
    );
  }
  const pricing = options.pricing ?? 'tokens';
  if (pricing !== 'tokens' && pricing !== 'reported-cost' && pricing !== 'telemetry')
    throw invalidOption(owner, 'pricing', `is "${String(pricing)}"`, 'Use "tokens", "reported-cost" or "telemetry".');
  if (holdAmount < 0) throw invalidOption(owner, 'holdPerPrompt', 'is negative', 'Give a USD amount like "0.01".');
  const reportError =
    options.onError ??
    ((error: unknown) =>
      hub.logger.warn(`drawdown acp: metering failed: ${error instanceof Error ? error.message : String(error)}`));

  // The session's cumulative cost already accounted for (charged, or covered by a token-priced turn)
  // is the session meter's baseline, kept per session id in the store.
  const meter = createSessionMeter({ hub, entry, namespace: 'acp.baseline', unknownModel, owner });
  const sessions = new Map<string, SessionState>();
  const telemetry = createTelemetryMeter({ hub, entry, unknownModel });
  /** Per session, the token totals of the calls its telemetry reported. */
  const callTotals = new Map<string, Set<number>>();
  const aborted: Array<{ sessionId: string; model: string; used: number; key: string }> = [];
  const pending = new Map<string, PendingRequest>();
  /** Holds taken by `admit()` for the next prompt of a session. */
  const preAdmitted = new Map<string, RequestLease>();
  let charged = 0;
  let prompts = 0;
  let closed: Promise<AcpTapSummary> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const idKey = (id: string | number) => `${typeof id}:${String(id)}`;

  function enqueue(work: () => Promise<void>): void {
    queue = queue.then(work).catch(reportError);
  }

  async function session(sessionId: string): Promise<SessionState> {
    let state = sessions.get(sessionId);
    if (!state) {
      state = { prompts: 0, restoring: 0 };
      sessions.set(sessionId, state);
    }
    return state;
  }

  /** The reported total as a reading without counts: the meter charges (or covers) its delta. */
  const reportedReading = (state: SessionState) => ({ total: state.reported ?? 0, models: {} });

  async function record(charge: Omit<AcpCharge, 'status' | 'cost' | 'costUsd'>): Promise<AcpCharge> {
    const fresh = charge.settlements.filter((s) => s.status === 'settled');
    const cost = charge.settlements.reduce((sum, s) => sum + s.cost, 0);
    charged += fresh.reduce((sum, s) => sum + s.cost, 0);
    const result: AcpCharge = {
      ...charge,
      status: charge.settlements.length === 0 ? 'nothing' : fresh.length > 0 ? 'charged' : 'duplicate',
      cost,
      costUsd: toDecimalString(cost),
    };
    if (result.status !== 'nothing') options.onCharge?.(result);
    return result;
  }

  /** Charges the agent's own reported cost delta (no token counts to price). */
  async function chargeReported(sessionId: string, state: SessionState, kind: AcpCharge['kind']): Promise<AcpCharge> {
    const key = `acp:${sessionId}:cost:${toDecimalString(state.reported ?? 0)}`;
    if (state.reported === undefined)
      return record({ sessionId, kind, pricedFrom: 'reported-cost', key, reportedCostUsd: '0', settlements: [] });
    const advanced = await meter.advance(sessionId, reportedReading(state), { key });
    return record({
      sessionId,
      kind,
      pricedFrom: 'reported-cost',
      key,
      reportedCostUsd: toDecimalString(advanced.reportedCost),
      settlements: advanced.settlements,
    });
  }

  async function settlePrompt(turn: PromptTurn, response: JsonRpcMessage): Promise<void> {
    const state = await session(turn.sessionId);
    state.prompts = Math.max(0, state.prompts - 1);
    try {
      if (pricing === 'telemetry') {
        // The calls are charged from their events; a cancelled turn may have aborted one that none reports.
        const stop = isObject(response.result) ? response.result.stopReason : undefined;
        // The reported total stays uncovered: it is what a session whose telemetry never arrives is charged.
        if (stop === 'cancelled') abortedCall(turn, state);
        return;
      }
      const rows =
        'result' in response
          ? turnTokens(response.result).filter((t) => t.input + t.output + t.cacheRead + t.cacheWrite > 0)
          : [];
      const model = (t: TurnTokens) => t.model ?? state.model;
      if (pricing === 'reported-cost' || rows.length === 0 || rows.some((t) => model(t) === undefined)) {
        await chargeReported(turn.sessionId, state, 'prompt');
        return;
      }
      const unpriced = rows.map(model).find((m) => !meter.prices(m!));
      if (unpriced !== undefined) {
        if (unknownModel === 'error')
          throw new DrawdownError(ErrorCodes.UNKNOWN_MODEL, `the rate card has no price for "${unpriced}"`, {
            data: { model: unpriced, suggestions: [] },
          });
        hub.logger.warn(
          `drawdown acp: the rate card has no price for a model of this turn; charging the agent's reported cost for it`,
        );
        await chargeReported(turn.sessionId, state, 'prompt');
        return;
      }
      const covered = (await meter.baseline(turn.sessionId))?.total ?? 0;
      const delta =
        state.reported === undefined ? 0 : state.reported >= covered ? state.reported - covered : state.reported;
      const key =
        delta > 0 && state.reported !== undefined
          ? `acp:${turn.sessionId}:turn:${toDecimalString(state.reported)}`
          : `acp:${turn.sessionId}:turn:${turn.holdKey}`;
      const settlements: Settlement[] = [];
      for (const t of rows) {
        // The adapter reports cache writes without their 5-minute/1-hour split; Claude Code writes with
        // the 5-minute TTL unless configured otherwise, so they are priced at that rate.
        settlements.push(
          await meter.charge({
            key: `${key}#${model(t)}`,
            model: model(t)!,
            counts: {
              ...ZERO_COUNTS,
              input: t.input,
              output: t.output,
              cacheRead: t.cacheRead,
              cacheWrite5m: t.cacheWrite,
            },
          }),
        );
      }
      if (state.reported !== undefined) await meter.cover(turn.sessionId, reportedReading(state));
      await record({
        sessionId: turn.sessionId,
        kind: 'prompt',
        pricedFrom: 'tokens',
        key,
        reportedCostUsd: toDecimalString(delta),
        settlements,
      });
    } finally {
      // Charged first, released after: the entry never shows more room than it has.
      await turn.lease?.release();
    }
  }

  /** A prompt ended while a call may have been streaming: what the agent last reported of it, to settle at close. */
  function abortedCall(turn: PromptTurn, state: SessionState): void {
    if (state.used === undefined || state.used === 0 || state.model === undefined) return;
    aborted.push({
      sessionId: turn.sessionId,
      model: state.model,
      used: state.used,
      key: `acp:${turn.sessionId}:aborted:${turn.holdKey}`,
    });
  }

  /** Claude Code's telemetry: every API call it completed, charged once by its request id. */
  async function takeTelemetry(body: unknown): Promise<void> {
    for (const call of apiRequestsFromOtlpLogs(body)) {
      if (call.sessionId === undefined) continue;
      const totals = callTotals.get(call.sessionId) ?? new Set<number>();
      totals.add(call.inputTokens + call.outputTokens + call.cacheReadTokens + call.cacheCreationTokens);
      callTotals.set(call.sessionId, totals);
    }
    const settlements = await telemetry.observeLogs(body);
    for (const settlement of settlements) charged += settlement.cost;
  }

  /**
   * At close, in telemetry pricing: the call a cancelled or interrupted prompt aborted was billed for
   * what its stream had reported (its `message_start`: the input and one output token), yet no
   * event reports it. The agent's last context reading is that call when no completed call of the
   * session accounts for it. A session whose telemetry never arrived is charged its reported cost.
   */
  async function settleUnreported(): Promise<void> {
    for (const call of aborted.splice(0)) {
      const totals = callTotals.get(call.sessionId);
      if (!totals || totals.has(call.used)) continue;
      const output = Math.min(1, call.used);
      const settlement = await meter.charge({
        key: call.key,
        model: call.model,
        counts: { ...ZERO_COUNTS, input: call.used - output, output },
      });
      await record({
        sessionId: call.sessionId,
        kind: 'aborted',
        pricedFrom: 'tokens',
        key: call.key,
        reportedCostUsd: '0',
        settlements: [settlement],
      });
    }
    for (const [sessionId, state] of sessions) {
      if (callTotals.has(sessionId) || !state.reported) continue;
      hub.logger.warn(
        `drawdown acp: no telemetry arrived for session ${sessionId}; charging the cost the agent reported for it`,
      );
      await chargeReported(sessionId, state, 'prompt');
    }
  }

  /** Holds for the next prompt: on `entry`, or wherever the route points when following it. */
  async function hold(
    sessionId: string,
  ): Promise<{ lease?: RequestLease; routedTo?: string; refused?: DrawdownError }> {
    try {
      const lease = await hub.begin({
        requestId: `acp:${sessionId}:hold:${randomUUID()}`,
        amount: holdAmount,
        ...(!options.followRoute && { entry }),
      });
      if (lease.entry.id === entry) return { lease };
      // The route has moved on (the hub announced route.switched); this agent still spends `entry`'s credentials.
      await lease.release();
      return { routedTo: lease.entry.id };
    } catch (error) {
      if (isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED) || isDrawdownError(error, ErrorCodes.ROUTE_EXHAUSTED))
        return { refused: error };
      throw error;
    }
  }

  async function beginPrompt(message: JsonRpcMessage & { id: string | number }, sessionId: string): Promise<void> {
    const state = await session(sessionId);
    state.prompts++;
    prompts++;
    const turn: PromptTurn = { sessionId, holdKey: randomUUID() };
    pending.set(idKey(message.id), { method: PROMPT, sessionId, turn });
    const admitted = preAdmitted.get(sessionId);
    if (admitted) {
      preAdmitted.delete(sessionId);
      turn.lease = admitted;
      return;
    }
    const held = await hold(sessionId);
    if (held.lease) turn.lease = held.lease;
    // A tap only watches: the prompt is on its way to the agent, so it is charged when it ends.
    if (held.refused)
      hub.logger.warn(
        `drawdown acp: no hold for this prompt (${held.refused.message}); it is charged to "${entry}" when it ends`,
      );
    if (held.routedTo !== undefined) {
      hub.logger.warn(
        `drawdown acp: the route now points at "${held.routedTo}", but this agent runs under "${entry}", which pays for this prompt; restart the agent under "${held.routedTo}"`,
      );
    }
  }

  async function onUsage(sessionId: string, update: Record<string, unknown>): Promise<void> {
    const state = await session(sessionId);
    const meta = isObject(update._meta) ? update._meta : {};
    if (typeof meta[MODEL_META] === 'string' && meta[MODEL_META] !== '') state.model = meta[MODEL_META];
    if (typeof update.used === 'number' && Number.isSafeInteger(update.used) && update.used >= 0)
      state.used = update.used;
    if (isObject(meta[RATE_LIMIT_META]))
      await meter.signal({ source: 'agent-event', rateLimitInfo: meta[RATE_LIMIT_META], at: hub.clock.now() });
    const cost = update.cost;
    if (!isObject(cost) || typeof cost.amount !== 'number' || !Number.isFinite(cost.amount) || cost.amount < 0) return;
    if (cost.currency !== 'USD') {
      throw new DrawdownError(
        AcpErrorCodes.UNSUPPORTED_CURRENCY,
        `a usage_update reported its cost in "${String(cost.currency)}"; only USD is charged`,
        { data: { field: 'cost.currency', sessionId } },
      );
    }
    state.reported = usd(cost.amount);
    // History replayed by a load or resume is already accounted for; a running prompt settles its own cost.
    if (state.restoring > 0) return;
    // With telemetry every call is charged from its own event, a cycle the agent started itself too.
    if (state.prompts === 0 && pricing !== 'telemetry') await chargeReported(sessionId, state, 'autonomous');
  }

  async function fromClient(message: JsonRpcMessage): Promise<void> {
    if (!isRequest(message)) return;
    const sessionId = sessionIdOf(message.params);
    if (message.method === PROMPT && sessionId !== undefined) return beginPrompt(message, sessionId);
    if (sessionId !== undefined && RESTORING.has(message.method)) (await session(sessionId)).restoring++;
    pending.set(idKey(message.id), { method: message.method, ...(sessionId !== undefined && { sessionId }) });
  }

  async function fromAgent(message: JsonRpcMessage): Promise<void> {
    const update = sessionUpdate(message);
    if (update) {
      if (isUsageUpdate(update.update)) await onUsage(update.sessionId, update.update);
      return;
    }
    if (!isResponse(message)) return;
    const request = pending.get(idKey(message.id));
    if (!request) return;
    pending.delete(idKey(message.id));
    if (request.turn) return settlePrompt(request.turn, message);
    if (request.sessionId !== undefined && RESTORING.has(request.method)) {
      const state = await session(request.sessionId);
      state.restoring = Math.max(0, state.restoring - 1);
      // What the restored session reported while loading is its history: the next turn is measured from it.
      const covered = (await meter.baseline(request.sessionId))?.total ?? 0;
      if (state.reported !== undefined && state.reported > covered)
        await meter.cover(request.sessionId, reportedReading(state));
      return;
    }
    const created =
      isObject(message.result) && typeof message.result.sessionId === 'string' ? message.result.sessionId : undefined;
    if (created === undefined) return;
    if (FORKING.has(request.method) && request.sessionId !== undefined) {
      // The adapter forks into a new Claude session whose running cost starts at zero (observed with
      // claude-agent-acp 0.101: a fork's first usage_update reports only the fork's own turn), so a
      // fork is a fresh baseline that remembers its parent. Were a fork to report its parent's
      // spend too, token-priced turns would still be exact.
      await session(created);
      await meter.cover(created, { total: 0, models: {} }, { forkOf: request.sessionId });
    } else if (request.method === 'session/new') {
      await session(created);
    }
  }

  /** Resolves when every message taken so far has been metered. */
  async function idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = queue;
      await seen;
    } while (seen !== queue);
  }

  const take = (direction: (m: JsonRpcMessage) => Promise<void>) => (message: unknown) => {
    if (closed || !isJsonRpcMessage(message)) return;
    enqueue(() => direction(message));
  };

  return {
    fromClient: take(fromClient),
    fromAgent: take(fromAgent),
    fromTelemetry(body) {
      const next = queue.then(() => takeTelemetry(body));
      queue = next.catch(() => undefined);
      return next;
    },
    async admit(sessionId) {
      if (closed)
        throw new DrawdownError(
          AcpErrorCodes.TAP_CLOSED,
          'this ACP tap is closed; create a new one for the new connection',
        );
      // What the agent reported so far is charged first: the hold sees the entry as it is now.
      await idle();
      const held = await hold(sessionId);
      if (held.lease) {
        await preAdmitted.get(sessionId)?.release();
        preAdmitted.set(sessionId, held.lease);
      }
      const routed = held.routedTo ?? entry;
      return { entry: routed, switched: routed !== entry, ...(held.refused && { refused: held.refused }) };
    },
    idle,
    close() {
      closed ??= (async () => {
        await idle();
        let interrupted = 0;
        for (const request of pending.values()) {
          const turn = request.turn;
          if (!turn) continue;
          interrupted++;
          try {
            const state = await session(turn.sessionId);
            state.prompts = Math.max(0, state.prompts - 1);
            // The agent reported this spend before it went away: it happened, so it is charged (once).
            if (pricing === 'telemetry') abortedCall(turn, state);
            else await chargeReported(turn.sessionId, state, 'interrupted');
          } catch (error) {
            reportError(error);
          } finally {
            await turn.lease?.release().catch(reportError);
          }
        }
        pending.clear();
        if (pricing === 'telemetry') await settleUnreported().catch(reportError);
        for (const lease of preAdmitted.values()) await lease.release().catch(reportError);
        preAdmitted.clear();
        return { prompts, charged, chargedUsd: toDecimalString(charged), interrupted };
      })();
      return closed;
    },
    get charged() {
      return charged;
    },
  };
}
