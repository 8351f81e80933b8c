import { calendarWindow, timeZoneProblem } from './calendar.js';
import { systemClock, type Clock } from './clock.js';
import type { AuthStrategy, ChildEnv } from './contracts/auth.js';
import type { DrawdownPlugin, LedgerPlacement, PluginContext, PluginInstance } from './contracts/plugin.js';
import type { Pool, PoolStatus } from './contracts/pool.js';
import type { LedgerStore, ReportQuery, ReportRow } from './contracts/store.js';
import { DrawdownError, ErrorCodes, invalidOption, throwFirstProblem, type OptionProblem } from './errors.js';
import { createEventBus, type DrawdownEventName, type DrawdownEvents, type EventBus } from './events.js';
import { stderrLogger, type Logger } from './logger.js';
import { orderPlugins } from './plugin-registry.js';
import { defaultRateCard, type RateCard } from './rate-card/rate-card.js';
import {
  createRequestFlow,
  type BeginRequest,
  type ChargeRequest,
  type RequestLease,
  type Settlement,
} from './request-flow.js';
import { announceStanding } from './pools/standing-alerts.js';
import { createRouter, type RouteExplanation, type RouteOptions, type Router } from './router.js';
import { memoryStore } from './stores/memory-store.js';
import { spendReport } from './stores/report-rows.js';

export interface HubOptions {
  /** Where the ledger lives. Default: a fresh memory store (nothing survives the process). */
  store?: LedgerStore;
  /** Prices. Default: the built-in 2026 Anthropic rate card. */
  rateCard?: RateCard;
  clock?: Clock;
  /** IANA zone for daily/weekly/monthly windows and reset times. Default `UTC`. */
  timeZone?: string;
  /** Diagnostics; default writes warnings to stderr. */
  logger?: Logger;
  plugins?: DrawdownPlugin[];
  /** The ordered entries that decide which pool pays. Required for `begin()`. */
  route?: RouteOptions;
  /** How long a hold lives before it stops counting, in ms. Default 15 minutes. */
  holdTtlMs?: number;
}

export interface HubStatus {
  at: number;
  timeZone: string;
  pools: PoolStatus[];
  route?: RouteExplanation;
}

export interface Hub {
  readonly store: LedgerStore;
  readonly rateCard: RateCard;
  readonly clock: Clock;
  readonly timeZone: string;
  readonly logger: Logger;
  on: EventBus['on'];
  once: EventBus['once'];
  off: EventBus['off'];
  /** Registers more plugins after creation (same checks as `plugins`). */
  use(...plugins: DrawdownPlugin[]): Promise<Hub>;
  pool(id: string): Pool;
  pools(): Pool[];
  strategy(id: string): AuthStrategy;
  /** The router; throws if the hub was created without a route. */
  readonly router: Router;
  /** Routes a request and reserves its estimated cost: the start of every metered call. */
  begin(request: BeginRequest): Promise<RequestLease>;
  /** Records a cost reported after the fact (a child agent's turn) without a prior hold. */
  charge(request: ChargeRequest): Promise<Settlement>;
  /** Environment for a child agent under a route entry, scrubbed of every other strategy's secrets. */
  childEnv(entryId: string, base?: ChildEnv): ChildEnv;
  status(): Promise<HubStatus>;
  /** Spend grouped for reports: pool accounts only, never limit accounts (see `isLimitAccount`). */
  report(query: ReportQuery): Promise<ReportRow[]>;
  /** Re-reads every pool's status: `pool.reset`, reset timers, the fallback alerts (also runs on timers at reset times). */
  refreshPools(): Promise<void>;
  refreshPool(id: string): Promise<void>;
  /** Where a charge at `at` is rolled up and reported. */
  placement(at: number): LedgerPlacement;
  close(): Promise<void>;
}

const DEFAULT_HOLD_TTL_MS = 15 * 60_000;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Every problem of the hub's own settings, `timeZone` and `holdTtlMs` (empty when both are fine or
 * absent): `createHub` throws the first, a configuration check reports them all.
 */
export function hubOptionProblems(options: { timeZone?: unknown; holdTtlMs?: unknown }): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const zone = options.timeZone === undefined ? undefined : timeZoneProblem(options.timeZone);
  if (zone) problems.push(zone);
  const { holdTtlMs } = options;
  if (holdTtlMs !== undefined && !(Number.isSafeInteger(holdTtlMs) && (holdTtlMs as number) > 0))
    problems.push({
      field: 'holdTtlMs',
      problem: `is ${typeof holdTtlMs === 'number' ? String(holdTtlMs) : JSON.stringify(holdTtlMs)}`,
      fix: 'Use a positive whole number of milliseconds, like 900000.',
    });
  return problems;
}

/**
 * Creates the hub: validates options, sets up plugins in dependency order, builds the router
 * and starts watching the store for changes made elsewhere.
 */
export async function createHub(options: HubOptions = {}): Promise<Hub> {
  throwFirstProblem('hub', hubOptionProblems(options));
  const timeZone = options.timeZone ?? 'UTC';
  const holdTtlMs = options.holdTtlMs ?? DEFAULT_HOLD_TTL_MS;
  const ownsStore = options.store === undefined;
  const store = options.store ?? memoryStore();
  const rateCard = options.rateCard ?? defaultRateCard;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? stderrLogger();
  const bus = createEventBus(logger);
  const emit = <E extends DrawdownEventName>(event: E, payload: DrawdownEvents[E]): void => bus.emit(event, payload);
  /** Whether anyone listens: lets the request path skip building payloads nobody reads. */
  const listening = (event: DrawdownEventName): boolean => bus.listenerCount(event) > 0;

  const pools = new Map<string, Pool>();
  const strategies = new Map<string, AuthStrategy>();
  const instances: Array<{ id: string; instance: PluginInstance }> = [];
  const registered = new Set<string>();
  const lastState = new Map<string, PoolStatus['state']>();
  const timers = new Map<string, NodeJS.Timeout>();
  const refreshing = new Map<string, Promise<void>>();
  const followUps = new Map<string, Promise<void>>();
  let router: Router | undefined;
  let closed = false;

  const unknown = (what: string, id: string, known: Iterable<string>): DrawdownError =>
    new DrawdownError(
      ErrorCodes.UNKNOWN_REFERENCE,
      `no ${what} "${id}" is registered; known: ${[...known].map((k) => `"${k}"`).join(', ') || 'none'}`,
      {
        data: { field: what, value: id },
      },
    );
  const getPool = (id: string): Pool =>
    pools.get(id) ??
    (() => {
      throw unknown('pool', id, pools.keys());
    })();
  const getStrategy = (id: string): AuthStrategy =>
    strategies.get(id) ??
    (() => {
      throw unknown('strategy', id, strategies.keys());
    })();

  const placement = (at: number): LedgerPlacement => {
    const day = calendarWindow('day', at, timeZone);
    return {
      scopes: [day.key, calendarWindow('week', at, timeZone).key, calendarWindow('month', at, timeZone).key],
      // The cached day window's key already holds the local date: `day:YYYY-MM-DD@zone`.
      day: day.key.slice(4, 14),
    };
  };

  /**
   * Re-reads a pool's status. One read runs per pool at a time: calls arriving during it share
   * one follow-up read that starts when it ends, so each caller still sees a status read after its
   * call, and a burst of changes (64 settles in flight, another gateway's every reserve and
   * settle) costs two reads, not one per change.
   */
  function refreshPool(id: string): Promise<void> {
    const running = refreshing.get(id);
    if (running) {
      let next = followUps.get(id);
      if (!next) {
        next = running
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => {
            followUps.delete(id);
            return refreshPool(id);
          });
        followUps.set(id, next);
      }
      return next;
    }
    const read = readPoolStatus(id).finally(() => refreshing.delete(id));
    refreshing.set(id, read);
    return read;
  }

  async function readPoolStatus(id: string): Promise<void> {
    const pool = pools.get(id);
    if (!pool || closed) return;
    const status = await pool.status();
    const before = lastState.get(id);
    lastState.set(id, status.state);
    scheduleReset(id, status);
    if (before === undefined || before === status.state) return;
    const at = clock.now();
    if (before === 'exhausted' && status.state !== 'exhausted') emit('pool.reset', { poolId: id, status, at });
    // Built-in pools announce `pool.low` / `pool.exhausted` themselves, once per crossing across
    // processes. For other pools this process announces the changes it happens to see.
    else if (status.state !== 'available' && pool.announcesAlerts !== true)
      announceStanding({ events: bus, timeZone }, id, status.state, status, at);
  }

  function scheduleReset(id: string, status: PoolStatus): void {
    clearTimeout(timers.get(id));
    timers.delete(id);
    if (status.state !== 'exhausted' || status.resetsAt === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, status.resetsAt - clock.now()) + 50);
    const timer = setTimeout(
      () => void refreshPool(id).catch((error) => logger.warn(`refreshing pool "${id}" failed: ${String(error)}`)),
      delay,
    );
    timer.unref();
    timers.set(id, timer);
  }

  const refreshPools = async (): Promise<void> => {
    for (const id of pools.keys()) await refreshPool(id);
  };

  const unwatch = store.watch((change) => {
    // Skipped when nobody listens: this runs on every reserve and settle.
    if (bus.listenerCount('ledger.changed') > 0) {
      emit('ledger.changed', {
        ...(change.account !== undefined && { poolId: change.account }),
        kind: change.kind,
        origin: change.origin,
        at: clock.now(),
      });
    }
    if (change.origin !== 'remote') return;
    const work =
      change.kind === 'state'
        ? router?.reload()
        : change.account !== undefined
          ? refreshPool(change.account)
          : undefined;
    void work?.catch((error) => logger.warn(`applying a change from another process failed: ${String(error)}`));
  });

  function contextFor(pluginId: string): PluginContext {
    return {
      pluginId,
      store,
      rateCard,
      clock,
      timeZone,
      holdTtlMs,
      logger,
      events: bus,
      placement,
      pool: getPool,
      strategy: getStrategy,
      refreshPool,
    };
  }

  async function use(...plugins: DrawdownPlugin[]): Promise<Hub> {
    if (closed) throw new DrawdownError(ErrorCodes.HUB_CLOSED, 'the hub is closed');
    for (const plugin of orderPlugins(plugins, registered)) {
      const instance = (await plugin.setup(contextFor(plugin.id))) ?? {};
      if (plugin.kind === 'pool' && !instance.pool)
        throw invalidOption(
          `plugin "${plugin.id}"`,
          'setup',
          'returned no pool',
          'A pool plugin returns { pool } from setup.',
        );
      if (plugin.kind === 'auth' && !instance.strategy)
        throw invalidOption(
          `plugin "${plugin.id}"`,
          'setup',
          'returned no strategy',
          'An auth plugin returns { strategy } from setup.',
        );
      if (instance.pool) {
        if (pools.has(instance.pool.id))
          throw new DrawdownError(ErrorCodes.DUPLICATE_PLUGIN, `pool id "${instance.pool.id}" is registered twice`, {
            data: { plugin: plugin.id, field: 'pool.id' },
          });
        pools.set(instance.pool.id, instance.pool);
      }
      if (instance.strategy) {
        if (strategies.has(instance.strategy.id))
          throw new DrawdownError(
            ErrorCodes.DUPLICATE_PLUGIN,
            `strategy id "${instance.strategy.id}" is registered twice`,
            { data: { plugin: plugin.id, field: 'strategy.id' } },
          );
        strategies.set(instance.strategy.id, instance.strategy);
      }
      registered.add(plugin.id);
      instances.push({ id: plugin.id, instance });
    }
    return hub;
  }

  const requireRouter = (): Router => {
    if (!router)
      throw invalidOption('hub', 'route', 'is not configured', 'Pass route: { entries: [...] } to createHub.');
    return router;
  };

  function childEnv(entryId: string, base?: ChildEnv): ChildEnv {
    const entry = requireRouter().entry(entryId);
    const own = new Set(entry.strategy.secrets?.() ?? []);
    const others = new Set([...strategies.values()].flatMap((s) => s.secrets?.() ?? []).filter((s) => !own.has(s)));
    const env = entry.strategy.childEnv(base);
    for (const [name, value] of Object.entries(env)) if (value !== undefined && others.has(value)) delete env[name];
    return env;
  }

  const flow = createRequestFlow({
    router: requireRouter,
    rateCard,
    clock,
    timeZone,
    emit,
    listening,
    refreshPool,
    childEnv,
    isClosed: () => closed,
  });

  const hub: Hub = {
    store,
    rateCard,
    clock,
    timeZone,
    logger,
    on: bus.on,
    once: bus.once,
    off: bus.off,
    use,
    pool: getPool,
    pools: () => [...pools.values()],
    strategy: getStrategy,
    get router() {
      return requireRouter();
    },
    begin: flow.begin,
    charge: flow.charge,
    childEnv,
    async status() {
      const statuses = await Promise.all([...pools.values()].map((p) => p.status()));
      return { at: clock.now(), timeZone, pools: statuses, ...(router && { route: await router.explain() }) };
    },
    report: (query) => spendReport(store, query),
    refreshPools,
    refreshPool,
    placement,
    async close() {
      if (closed) return;
      closed = true;
      unwatch();
      for (const timer of timers.values()) clearTimeout(timer);
      for (const { id, instance } of instances.reverse()) {
        try {
          await instance.close?.();
        } catch (error) {
          logger.warn(`closing plugin "${id}" failed: ${String(error)}`);
        }
      }
      if (ownsStore) await store.close();
    },
  };

  await use(...(options.plugins ?? []));
  if (options.route) {
    router = await createRouter({
      options: options.route,
      pool: (id) => pools.get(id),
      strategy: (id) => strategies.get(id),
      store,
      timeZone,
      now: clock.now,
    });
  }
  // Learn each pool's starting state so a later change is announced (`pool.reset`), not the initial state.
  await refreshPools();
  return hub;
}
