import { formatResetTime } from './calendar.js';
import type { AuthStrategy } from './contracts/auth.js';
import { isFundablePool, type Pool, type PoolStatus } from './contracts/pool.js';
import type { LedgerStore } from './contracts/store.js';
import { DrawdownError, ErrorCodes, invalidOption } from './errors.js';

export interface RouteEntryInput {
  /** Entry id users see and pick: `trial`, `personal`, `credits`. */
  id: string;
  /** Auth strategy id. */
  strategy: string;
  /** Pool id. */
  pool: string;
  /**
   * The entry is used only after the user opted in (`router.optIn(id)`). Default: true for a
   * credits pool that is not the first entry — credits are never drawn by surprise.
   */
  requiresOptIn?: boolean;
  /** Initial opt-in when none is stored yet. Default false. */
  optedIn?: boolean;
  /**
   * Once the router leaves this entry because its pool is spent, it never comes back. Default
   * `when-final`: sticky when the pool is exhausted with no reset time and cannot take funds (a
   * spent lifetime trial), not when it resets (plan windows, periodic budgets) or can be topped up
   * (a credits wallet).
   */
  sticky?: boolean | 'when-final';
  /** Words for messages, e.g. "trial on our key". Default: the id. */
  label?: string;
}

export interface RouteOptions {
  entries: RouteEntryInput[];
}

export interface RouteEntry {
  id: string;
  strategy: AuthStrategy;
  pool: Pool;
  requiresOptIn: boolean;
  sticky: boolean | 'when-final';
  label: string;
  position: number;
}

export type EntryState = 'next' | 'standby' | 'exhausted' | 'left' | 'needs-opt-in';

export interface EntryExplanation {
  entryId: string;
  poolId: string;
  strategyId: string;
  position: number;
  state: EntryState;
  /** Why the entry is in this state, one line. */
  reason: string;
  resetsAt?: number;
  pool: PoolStatus;
}

export interface RouteExplanation {
  /** The entry the next request will use, if any. */
  next?: { entryId: string; poolId: string; strategyId: string; reason: string };
  /** When no entry can pay: the error the next request will get. */
  refusal?: { code: string; message: string };
  entries: EntryExplanation[];
  /** What happens when the next entry is exhausted, in a sentence. */
  whenExhausted: string;
}

export interface Blocked {
  entryId: string;
  reason: string;
  resetsAt?: number;
}

export interface Router {
  readonly entries: readonly RouteEntry[];
  /** Explains which entry the next request uses and why. */
  explain(): Promise<RouteExplanation>;
  /** Records the user's opt-in (or opt-out) for an entry that requires it; shared through the store. */
  optIn(entryId: string, optedIn?: boolean): Promise<void>;
  isOptedIn(entryId: string): boolean;
  /** True once a sticky entry has been left for good. */
  hasLeft(entryId: string): boolean;
  /**
   * Usable entries in route order, read lazily: a pool's status is read only when the entries
   * before it could not pay. Entries passed over are appended to `blocked` with the reason.
   */
  candidates(
    exclude: ReadonlySet<string> | undefined,
    blocked: Blocked[],
  ): AsyncGenerator<{ entry: RouteEntry; reason: string }>;
  /** Marks a sticky entry as left for good. */
  leave(entryId: string): Promise<void>;
  /**
   * Records that a request was admitted on `entryId`. Returns the entry the previous request used
   * when the route switched away from it (this process's view), else undefined.
   */
  admitted(entryId: string): string | undefined;
  /** Reloads opt-ins and sticky switches from the store (after another process changed them). */
  reload(): Promise<void>;
  entry(id: string): RouteEntry;
}

const OPT_IN_KEY = 'route.optIns';

/** Spent for good: exhausted with no reset time, and no way to add funds (a lifetime trial). */
function isFinal(pool: Pool, status: PoolStatus): boolean {
  return status.resetsAt === undefined && !isFundablePool(pool);
}
const LEFT_KEY = 'route.left';

export function blockedMessage(blocked: Blocked[], timeZone: string, now: number): string {
  if (blocked.length === 0) return 'no route entry is configured';
  return blocked
    .map(
      (b) =>
        `${b.entryId}: ${b.reason}${b.resetsAt !== undefined ? `; resets at ${formatResetTime(b.resetsAt, timeZone, now)}` : ''}`,
    )
    .join(' · ');
}

export async function createRouter(deps: {
  options: RouteOptions;
  pool(id: string): Pool | undefined;
  strategy(id: string): AuthStrategy | undefined;
  store: LedgerStore;
  timeZone: string;
  now(): number;
}): Promise<Router> {
  const { options, store } = deps;
  if (!options || !Array.isArray(options.entries) || options.entries.length === 0) {
    throw invalidOption('route', 'entries', 'is empty', 'List at least one { id, strategy, pool } entry.');
  }
  const seen = new Set<string>();
  const entries: RouteEntry[] = options.entries.map((input, position) => {
    const field = `route.entries[${position}]`;
    if (!input || typeof input.id !== 'string' || input.id === '')
      throw invalidOption('route', `${field}.id`, 'is missing', 'Give each entry an id like "trial".');
    if (seen.has(input.id))
      throw invalidOption('route', `${field}.id`, `repeats "${input.id}"`, 'Entry ids must be unique.');
    seen.add(input.id);
    const pool = deps.pool(input.pool);
    if (!pool) {
      throw new DrawdownError(
        ErrorCodes.UNKNOWN_REFERENCE,
        `route: ${field}.pool names "${input.pool}", which no plugin registered. Register the pool plugin first.`,
        {
          data: { field: `${field}.pool`, value: input.pool },
        },
      );
    }
    const strategy = deps.strategy(input.strategy);
    if (!strategy) {
      throw new DrawdownError(
        ErrorCodes.UNKNOWN_REFERENCE,
        `route: ${field}.strategy names "${input.strategy}", which no plugin registered. Register the auth plugin first.`,
        {
          data: { field: `${field}.strategy`, value: input.strategy },
        },
      );
    }
    return {
      id: input.id,
      strategy,
      pool,
      requiresOptIn: input.requiresOptIn ?? (pool.kind === 'credits' && position > 0),
      sticky: input.sticky ?? 'when-final',
      label: input.label ?? input.id,
      position,
    };
  });
  const defaults = Object.fromEntries(options.entries.map((e) => [e.id, e.optedIn ?? false]));
  let optIns: Record<string, boolean> = { ...defaults };
  let left = new Set<string>();
  // The entry the last admitted request used, to tell a switch from staying put.
  let lastEntryId: string | undefined;

  const reload = async (): Promise<void> => {
    optIns = { ...defaults, ...((await store.getState<Record<string, boolean>>(OPT_IN_KEY)) ?? {}) };
    left = new Set((await store.getState<string[]>(LEFT_KEY)) ?? []);
  };
  await reload();

  const entry = (id: string): RouteEntry => {
    const found = entries.find((e) => e.id === id);
    if (!found) {
      throw new DrawdownError(
        ErrorCodes.UNKNOWN_REFERENCE,
        `no route entry "${id}"; the route has ${entries.map((e) => `"${e.id}"`).join(', ')}`,
        {
          data: { field: 'entry', value: id },
        },
      );
    }
    return found;
  };

  /**
   * Where an entry stands before the route picks, decided in one order for routing and for
   * explaining: left for good, then waiting for an opt-in (its pool need not be read), then
   * exhausted. `usable` entries can pay.
   */
  async function entryState(
    e: RouteEntry,
    readStatus: () => Promise<PoolStatus>,
  ): Promise<{ state: 'left' } | { state: 'needs-opt-in' } | { state: 'exhausted' | 'usable'; status: PoolStatus }> {
    if (left.has(e.id)) return { state: 'left' };
    if (e.requiresOptIn && !optIns[e.id]) return { state: 'needs-opt-in' };
    const status = await readStatus();
    return { state: status.state === 'exhausted' ? 'exhausted' : 'usable', status };
  }

  async function* candidates(
    exclude: ReadonlySet<string> | undefined,
    blocked: Blocked[],
  ): AsyncGenerator<{ entry: RouteEntry; reason: string }> {
    for (const e of entries) {
      if (exclude?.has(e.id)) continue;
      const decided = await entryState(e, () => e.pool.status());
      if (decided.state === 'left') {
        blocked.push({ entryId: e.id, reason: `${e.label} was used up and is not used again` });
        continue;
      }
      if (decided.state === 'needs-opt-in') {
        blocked.push({ entryId: e.id, reason: `${e.label} is not opted in` });
        continue;
      }
      const { status } = decided;
      if (decided.state === 'exhausted') {
        blocked.push({
          entryId: e.id,
          reason: status.reason ?? status.summary,
          ...(status.resetsAt !== undefined && { resetsAt: status.resetsAt }),
        });
        if (e.sticky === true || (e.sticky === 'when-final' && isFinal(e.pool, status))) await leave(e.id);
        continue;
      }
      yield {
        entry: e,
        reason:
          blocked.length === 0
            ? `first entry; ${status.summary}`
            : `${blocked.map((b) => b.reason).join('; ')}; ${status.summary}`,
      };
    }
  }

  async function leave(entryId: string): Promise<void> {
    if (left.has(entryId)) return;
    left.add(entryId);
    await store.setState(LEFT_KEY, [...left]);
  }

  return {
    entries,
    entry,
    candidates,
    leave,
    reload,
    admitted(entryId) {
      const from = lastEntryId;
      lastEntryId = entryId;
      return from !== undefined && from !== entryId ? from : undefined;
    },
    isOptedIn: (id) => optIns[id] ?? false,
    hasLeft: (id) => left.has(id),
    async optIn(entryId, optedIn = true) {
      const e = entry(entryId);
      if (!e.requiresOptIn && !optedIn) {
        throw invalidOption(
          'route',
          `entries.${entryId}.requiresOptIn`,
          'is false, so the entry cannot be opted out of',
          'Mark the entry requiresOptIn: true first.',
        );
      }
      optIns = { ...optIns, [entryId]: optedIn };
      await store.setState(OPT_IN_KEY, optIns);
    },
    async explain(): Promise<RouteExplanation> {
      const now = deps.now();
      const explained: EntryExplanation[] = [];
      let next: RouteExplanation['next'];
      const blocked: Blocked[] = [];
      for (const e of entries) {
        // Explaining shows every pool, so each status is read; the state is decided as routing decides it.
        const status = await e.pool.status();
        const base = {
          entryId: e.id,
          poolId: e.pool.id,
          strategyId: e.strategy.id,
          position: e.position,
          pool: status,
          ...(status.resetsAt !== undefined && { resetsAt: status.resetsAt }),
        };
        const gate = (await entryState(e, async () => status)).state;
        let state: EntryState;
        let reason: string;
        if (gate === 'left') [state, reason] = ['left', `${e.label} was used up; the switch away is permanent`];
        else if (gate === 'needs-opt-in')
          [state, reason] = ['needs-opt-in', `${e.label} pays only after the user opts in`];
        else if (gate === 'exhausted') [state, reason] = ['exhausted', status.reason ?? status.summary];
        else if (next) [state, reason] = ['standby', status.summary];
        else {
          state = 'next';
          reason =
            blocked.length === 0
              ? status.summary
              : `${blocked.map((b) => `${b.entryId}: ${b.reason}`).join('; ')} → ${status.summary}`;
          next = { entryId: e.id, poolId: e.pool.id, strategyId: e.strategy.id, reason };
        }
        // Only what stands before the chosen entry explains the choice (or the refusal).
        if (!next && state !== 'next')
          blocked.push({ entryId: e.id, reason, ...(status.resetsAt !== undefined && { resetsAt: status.resetsAt }) });
        explained.push({ ...base, state, reason });
      }
      const after = next
        ? explained.filter((x) => x.position > explained.find((y) => y.state === 'next')!.position)
        : [];
      const fallback = after.find((x) => x.state === 'standby');
      const optInWaiting = after.find((x) => x.state === 'needs-opt-in');
      const whenExhausted = !next
        ? 'nothing can pay until a limit resets or the user opts in to another entry'
        : fallback
          ? `then ${fallback.entryId} pays (${fallback.reason})`
          : optInWaiting
            ? `then requests are refused unless the user opts in to ${optInWaiting.entryId}`
            : 'then requests are refused until a limit resets';
      return {
        ...(next && { next }),
        ...(!next && {
          refusal: {
            code: ErrorCodes.ROUTE_EXHAUSTED,
            message: `no route entry can pay: ${blockedMessage(blocked, deps.timeZone, now)}`,
          },
        }),
        entries: explained,
        whenExhausted,
      };
    },
  };
}
