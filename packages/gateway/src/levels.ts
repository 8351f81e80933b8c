import {
  DrawdownError,
  ErrorCodes,
  calendarWindow,
  formatResetTime,
  formatUsd,
  usd,
  type Hub,
  type LimitAlert,
  type Nanos,
  type RequestLimitAccount,
} from '@drawdown/core';
import { limitAccount } from '@drawdown/core/internal';
import { GatewayErrorCodes } from './errors.js';
import { BUDGET_PERIODS, type BudgetPeriod } from './budget-period.js';
import type { KeyRecord } from './keys.js';

export { BUDGET_PERIODS, type BudgetPeriod } from './budget-period.js';

/** A level's money: a hard budget per period, and a soft limit that alerts before it. */
export interface LevelBudget {
  /** USD per `period` (`"100"`, `"100.00"` or `100`); requests that would pass it are refused. */
  budget?: string | number;
  /** What `budget` and `softLimit` cover. Default `lifetime`, like a key's budget. */
  period?: BudgetPeriod;
  /** USD: `limit.crossed` is raised once when the period's spend reaches it (the request still goes through). */
  softLimit?: string | number;
}

/**
 * Organisation → team → user → key. Each level may carry a budget; every level of a request's key
 * is checked and held with the route's pool in one atomic store step, so none can be overspent by
 * concurrent requests, in any number of gateway processes sharing the store.
 */
export interface BudgetHierarchy {
  organisations?: Record<string, LevelBudget>;
  teams?: Record<string, LevelBudget & { organisation?: string }>;
  users?: Record<string, LevelBudget & { team?: string; organisation?: string }>;
  /** The budget of every user not listed in `users`: a new user's first requests are held against it. */
  defaultUser?: LevelBudget;
}

export type LevelKind = 'key' | 'user' | 'team' | 'organisation';

/** One level of a request, as it is held and worded. */
export interface Level {
  kind: LevelKind;
  id: string;
  /** `team "research"`: how messages name it. */
  label: string;
  /** Its ledger account, e.g. `limit:team:research`. */
  account: string;
  budget?: Nanos;
  softLimit?: Nanos;
  period: BudgetPeriod;
  /** What raises the budget, for refusals of a budget that is used up. */
  raise: string;
}

/** A level as declared in the hierarchy, amounts in nanodollars. */
export interface DeclaredLevel {
  budget?: Nanos;
  softLimit?: Nanos;
  period: BudgetPeriod;
  parent?: { team?: string; organisation?: string };
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+:-]{0,127}$/;
const periodWords: Record<BudgetPeriod, string> = {
  lifetime: '',
  day: ' today',
  week: ' this week',
  month: ' this month',
};

/**
 * The ledger account of a level, a limit account: `gateway-key:<id>`, `limit:user:<id>`,
 * `limit:team:<id>`, `limit:org:<id>` (core's `limitAccount`, so no report counts it as spend).
 */
export const levelAccount = (kind: LevelKind, id: string): string =>
  limitAccount(kind === 'organisation' ? 'org' : kind, id);

const invalid = (field: string, message: string): DrawdownError => {
  const path = field === '' ? 'budgets' : `budgets.${field}`;
  return new DrawdownError(ErrorCodes.INVALID_OPTION, `gateway: ${path} ${message}`, {
    data: { owner: 'gateway', field: path },
  });
};

function money(field: string, value: unknown): Nanos {
  let nanos: Nanos;
  try {
    nanos = usd(value as string | number);
  } catch {
    throw invalid(field, `is ${JSON.stringify(value)}, not a USD amount; write it like "100.00"`);
  }
  if (nanos <= 0) throw invalid(field, 'must be more than zero; write it like "100.00"');
  return nanos;
}

function declared(field: string, level: unknown): DeclaredLevel {
  if (typeof level !== 'object' || level === null || Array.isArray(level))
    throw invalid(field, 'is not an object; write it like { "budget": "100.00", "period": "month" }');
  const { budget, period = 'lifetime', softLimit } = level as LevelBudget;
  if (!BUDGET_PERIODS.includes(period))
    throw invalid(`${field}.period`, `is ${JSON.stringify(period)}; use one of ${BUDGET_PERIODS.join(', ')}`);
  const out: DeclaredLevel = { period };
  if (budget !== undefined) out.budget = money(`${field}.budget`, budget);
  if (softLimit !== undefined) {
    out.softLimit = money(`${field}.softLimit`, softLimit);
    if (out.budget !== undefined && out.softLimit >= out.budget)
      throw invalid(
        `${field}.softLimit`,
        `(${formatUsd(out.softLimit)}) must be below budget (${formatUsd(out.budget)})`,
      );
  }
  return out;
}

function table(
  field: string,
  levels: Record<string, unknown> | undefined,
  parents: Array<'team' | 'organisation'>,
): Map<string, DeclaredLevel> {
  const out = new Map<string, DeclaredLevel>();
  if (levels === undefined) return out;
  if (typeof levels !== 'object' || levels === null || Array.isArray(levels))
    throw invalid(field, 'is not an object of ids; write it like { "research": { "budget": "100.00" } }');
  for (const [id, level] of Object.entries(levels)) {
    if (!ID_PATTERN.test(id))
      throw invalid(`${field}.${id}`, 'is not a usable id: use letters, digits, ".", "_", "@", "+", ":" or "-"');
    const entry = declared(`${field}.${id}`, level);
    for (const parent of parents) {
      const value = (level as Record<string, unknown>)[parent];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw invalid(`${field}.${id}.${parent}`, `is not the id of a ${parent}`);
      (entry.parent ??= {})[parent] = value;
    }
    out.set(id, entry);
  }
  return out;
}

/** A hierarchy whose every amount, period and parent was checked (see `checkBudgetHierarchy`). */
export interface CheckedHierarchy {
  organisations: ReadonlyMap<string, DeclaredLevel>;
  teams: ReadonlyMap<string, DeclaredLevel>;
  users: ReadonlyMap<string, DeclaredLevel>;
  defaultUser: DeclaredLevel | undefined;
}

/**
 * Checks a hierarchy: amounts, periods, soft limits below budgets, and every team and organisation
 * a level names declared. Throws `DRAWDOWN_INVALID_OPTION` naming the field (`data.field`,
 * e.g. `budgets.teams.research.organisation`) and the fix.
 */
export function checkBudgetHierarchy(input: unknown = {}): CheckedHierarchy {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid('', 'is not an object; write it like { "teams": { "research": { "budget": "100.00" } } }');
  const hierarchy = input as BudgetHierarchy;
  for (const key of Object.keys(hierarchy))
    if (!['organisations', 'teams', 'users', 'defaultUser'].includes(key))
      throw invalid(key, 'is not a known setting; known: organisations, teams, users, defaultUser');
  const organisations = table('organisations', hierarchy.organisations, []);
  const teams = table('teams', hierarchy.teams, ['organisation']);
  const users = table('users', hierarchy.users, ['team', 'organisation']);
  const defaultUser = hierarchy.defaultUser === undefined ? undefined : declared('defaultUser', hierarchy.defaultUser);
  for (const [id, team] of teams) {
    const org = team.parent?.organisation;
    if (org !== undefined && !organisations.has(org))
      throw invalid(`teams.${id}.organisation`, `is "${org}", which budgets.organisations does not declare`);
  }
  for (const [id, user] of users) {
    const team = user.parent?.team;
    const org = user.parent?.organisation;
    if (team !== undefined && !teams.has(team))
      throw invalid(`users.${id}.team`, `is "${team}", which budgets.teams does not declare`);
    if (org !== undefined && !organisations.has(org))
      throw invalid(`users.${id}.organisation`, `is "${org}", which budgets.organisations does not declare`);
  }
  return { organisations, teams, users, defaultUser };
}

/**
 * The budget levels of the gateway's keys: checks the hierarchy once, then gives each request the
 * limit accounts its key's levels hold, and words a level's refusal.
 */
export function budgetLevels(hub: Hub, hierarchy: BudgetHierarchy = {}) {
  const { organisations, teams, users, defaultUser } = checkBudgetHierarchy(hierarchy);

  const refuseKey = (record: KeyRecord, message: string): never => {
    throw new DrawdownError(GatewayErrorCodes.KEY_NOT_IN_HIERARCHY, `key "${record.name}" ${message}`, {
      data: { key: record.name },
    });
  };
  const level = (kind: LevelKind, id: string, own: DeclaredLevel | undefined, raise: string): Level => ({
    kind,
    id,
    label: `${kind} "${id}"`,
    account: levelAccount(kind, id),
    ...(own?.budget !== undefined && { budget: own.budget }),
    ...(own?.softLimit !== undefined && { softLimit: own.softLimit }),
    period: own?.period ?? 'lifetime',
    raise,
  });

  // A key's levels change only with the key record or the configuration: computed once per record.
  const cache = new WeakMap<KeyRecord, Level[]>();
  /** The levels of a key, narrowest first: the key, its user, its team, its organisation. */
  function levelsOf(record: KeyRecord): Level[] {
    const cached = cache.get(record);
    if (cached) return cached;
    const out: Level[] = [
      level(
        'key',
        record.id,
        {
          ...(record.budget !== undefined && { budget: record.budget }),
          ...(record.softLimit !== undefined && { softLimit: record.softLimit }),
          period: record.period ?? 'lifetime',
        },
        'it does not grow: create a key with a larger --budget ("drawdown keys create")',
      ),
    ];
    out[0]!.label = `key "${record.name}"`;
    const user = record.user === undefined ? undefined : (users.get(record.user) ?? defaultUser);
    if (record.user !== undefined)
      out.push(
        level(
          'user',
          record.user,
          user,
          users.has(record.user)
            ? `raise budgets.users.${record.user}.budget in the gateway's configuration`
            : "raise budgets.defaultUser.budget in the gateway's configuration",
        ),
      );
    const userParent = record.user === undefined ? undefined : users.get(record.user)?.parent;
    const teamId = record.team ?? userParent?.team;
    if (record.team !== undefined && userParent?.team !== undefined && record.team !== userParent.team)
      refuseKey(
        record,
        `names team "${record.team}", but its user "${record.user}" belongs to team "${userParent.team}"`,
      );
    if (teamId !== undefined) {
      if (!teams.has(teamId))
        refuseKey(
          record,
          `names team "${teamId}", which the gateway's budgets.teams does not declare; declare it or fix the key`,
        );
      out.push(
        level('team', teamId, teams.get(teamId), `raise budgets.teams.${teamId}.budget in the gateway's configuration`),
      );
    }
    const orgId =
      record.organisation ??
      (teamId === undefined ? undefined : teams.get(teamId)?.parent?.organisation) ??
      userParent?.organisation;
    if (orgId !== undefined) {
      if (!organisations.has(orgId))
        refuseKey(
          record,
          `names organisation "${orgId}", which the gateway's budgets.organisations does not declare; declare it or fix the key`,
        );
      out.push(
        level(
          'organisation',
          orgId,
          organisations.get(orgId),
          `raise budgets.organisations.${orgId}.budget in the gateway's configuration`,
        ),
      );
    }
    cache.set(record, out);
    return out;
  }

  const scopeAt = (period: BudgetPeriod, now: number): { scope: string; resetsAt?: number } => {
    if (period === 'lifetime') return { scope: 'lifetime' };
    const window = calendarWindow(period, now, hub.timeZone);
    return { scope: window.key, resetsAt: window.end };
  };

  return {
    levelsOf,

    /** The limit accounts a request of this key holds: one per level, with its budget and alerts. */
    limitAccounts(record: KeyRecord, now: number): RequestLimitAccount[] {
      return levelsOf(record).map((l) => {
        if (l.budget === undefined && l.softLimit === undefined) return { account: l.account, limits: [] };
        const { scope, resetsAt } = scopeAt(l.period, now);
        const at = resetsAt === undefined ? {} : { resetsAt };
        const alerts: LimitAlert[] = [];
        if (l.softLimit !== undefined)
          alerts.push({
            scope,
            level: l.softLimit,
            name: `${l.label} soft limit of ${formatUsd(l.softLimit)}${periodWords[l.period]}`,
            soft: true,
            ...at,
          });
        if (l.budget === undefined) return { account: l.account, limits: [], alerts };
        alerts.push({
          scope,
          level: l.budget,
          name: `${l.label} budget of ${formatUsd(l.budget)}${periodWords[l.period]}`,
          soft: false,
          ...at,
        });
        return {
          account: l.account,
          limits: [{ kind: 'cap', name: `${l.label} budget`, scope, cap: l.budget, ...at }],
          alerts,
        };
      });
    },

    /**
     * The refusal of a level that cannot admit a request, suggesting only what can help: a lower
     * `max_tokens` when a smaller hold would fit, waiting for requests in flight when they hold
     * the rest, the reset time of a period, or a larger budget when nothing else will do.
     * `floor` is what this request holds with `max_tokens` 1 (its input alone).
     */
    async refusal(
      record: KeyRecord,
      refused: { account: string; available: Nanos; requested: Nanos },
      floor: Nanos,
      now: number,
    ): Promise<DrawdownError> {
      const l = levelsOf(record).find((x) => x.account === refused.account);
      if (!l || l.budget === undefined)
        return new DrawdownError(GatewayErrorCodes.LEVEL_BUDGET_EXHAUSTED, `${refused.account} refused the request`, {
          data: { level: 'key', id: record.id, ...refused },
        });
      const { scope, resetsAt } = scopeAt(l.period, now);
      const snap = await hub.store.snapshot({ account: l.account, now, scopes: [scope] });
      const left = l.budget - (snap.settled[scope] ?? 0);
      const words = `${l.label} budget of ${formatUsd(l.budget)}${periodWords[l.period]}`;
      const resets = resetsAt === undefined ? undefined : `it resets ${formatResetTime(resetsAt, hub.timeZone, now)}`;
      const after = resets ?? l.raise;
      let message: string;
      if (left < floor) {
        message =
          left <= 0
            ? `${words} is used up; ${after}`
            : `${words}: ${formatUsd(left)} left, less than this request's input alone needs (${formatUsd(floor)}); ${after}`;
      } else if (refused.available < floor) {
        message = `${words}: the ${formatUsd(left)} left is held by requests in flight; retry when they finish`;
      } else {
        message = `${words}: ${formatUsd(refused.available)} left, this request holds up to ${formatUsd(refused.requested)}; a lower max_tokens needs less${resets ? `, or wait: ${resets}` : ''}`;
      }
      const data = {
        level: l.kind,
        id: l.id,
        limit: `${l.label} budget`,
        period: l.period,
        available: refused.available,
        requested: refused.requested,
        ...(resetsAt !== undefined && { resetsAt }),
      };
      return l.kind === 'key'
        ? new DrawdownError(GatewayErrorCodes.KEY_BUDGET_EXHAUSTED, message, { data: { key: record.name, ...data } })
        : new DrawdownError(GatewayErrorCodes.LEVEL_BUDGET_EXHAUSTED, message, { data });
    },
  };
}

export type BudgetLevels = ReturnType<typeof budgetLevels>;
