import { calendarWindow, formatResetTime, type CalendarPeriod } from '../calendar.js';
import type { Pool, PoolStatus } from '../contracts/pool.js';
import type { DrawdownPlugin, PluginContext } from '../contracts/plugin.js';
import type { CapLimit } from '../contracts/store.js';
import { DrawdownError, ErrorCodes, invalidOption } from '../errors.js';
import { formatUsd, usd, type Nanos } from '../money.js';

export interface BudgetOptions {
  /** Pool id used in routes, e.g. `trial`. */
  id: string;
  /** The capped amount in USD: `"10"`, `"10.00"` or `10`. */
  amount: string | number;
  /** `lifetime` (a trial) or a calendar period in the hub's time zone. Default `lifetime`. */
  period?: 'lifetime' | CalendarPeriod;
  /** Share of the amount after which the pool reports `low`. Default 0.8. */
  lowAt?: number;
  /** Shares of the amount that raise `budget.crossed` once each. Default [0.5, 0.8, 1]. */
  alertsAt?: number[];
  /** What people call it in messages. Default `<id> budget`. */
  label?: string;
}

/**
 * A capped amount: an app's "$10 of API cost per user" trial (lifetime), or a daily, weekly or
 * monthly allowance that resets at local midnight in the hub's time zone.
 */
export function budget(options: BudgetOptions) {
  const owner = `budget("${options?.id ?? ''}")`;
  if (!options || typeof options.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(options.id)) {
    throw invalidOption(owner, 'id', 'must be a short name of letters, digits, ".", "_" or "-"', 'Use something like "trial".');
  }
  let cap: Nanos;
  try {
    cap = usd(options.amount);
  } catch {
    throw invalidOption(owner, 'amount', `is ${JSON.stringify(options.amount)}, not a USD amount`, 'Write it like "10.00".');
  }
  if (cap <= 0) throw invalidOption(owner, 'amount', 'must be more than zero', 'Write it like "10.00".');
  const period = options.period ?? 'lifetime';
  if (!['lifetime', 'day', 'week', 'month'].includes(period)) {
    throw invalidOption(owner, 'period', `is "${String(period)}"`, 'Use "lifetime", "day", "week" or "month".');
  }
  const lowAt = options.lowAt ?? 0.8;
  if (!(lowAt > 0 && lowAt <= 1)) throw invalidOption(owner, 'lowAt', `is ${lowAt}`, 'Use a share between 0 and 1, like 0.8.');
  const alertsAt = [...(options.alertsAt ?? [0.5, 0.8, 1])].sort((a, b) => a - b);
  for (const [i, share] of alertsAt.entries()) {
    if (!(share > 0 && share <= 1)) throw invalidOption(owner, `alertsAt[${i}]`, `is ${share}`, 'Use shares between 0 and 1.');
  }
  const id = options.id;
  const label = options.label ?? `${id} budget`;

  return {
    id,
    kind: 'pool',
    setup(ctx: PluginContext) {
      return { pool: budgetPool(ctx, { id, cap, period, lowAt, alertsAt, label }) };
    },
  } satisfies DrawdownPlugin;
}

interface BudgetConfig {
  id: string;
  cap: Nanos;
  period: 'lifetime' | CalendarPeriod;
  lowAt: number;
  alertsAt: number[];
  label: string;
}

function budgetPool(ctx: PluginContext, config: BudgetConfig): Pool {
  const { id, cap, period, label } = config;
  // Fixed per pool: formatted once, not on every status read and settle.
  const capUsd = formatUsd(cap);
  const usedUp = `${label} of ${capUsd} used`;
  const lifetimeLimit: CapLimit = { kind: 'cap', name: label, scope: 'lifetime', cap };
  const thresholds = config.alertsAt.map((share) => ({ share, scaled: BigInt(cap) * BigInt(Math.round(share * 1_000_000)) }));
  const limitAt = (now: number): CapLimit => {
    if (period === 'lifetime') return lifetimeLimit;
    const window = calendarWindow(period, now, ctx.timeZone);
    return { kind: 'cap', name: label, scope: window.key, cap, resetsAt: window.end };
  };

  return {
    id,
    kind: 'budget',

    async status(): Promise<PoolStatus> {
      const now = ctx.clock.now();
      const limit = limitAt(now);
      const snap = await ctx.store.snapshot({ account: id, now, scopes: [limit.scope] });
      const spent = snap.settled[limit.scope] ?? 0;
      const remaining = cap - spent - snap.held;
      const exhausted = spent >= cap;
      const used = spent / cap;
      const reset = limit.resetsAt === undefined ? '' : `; resets ${formatResetTime(limit.resetsAt, ctx.timeZone, now)}`;
      return {
        id,
        kind: 'budget',
        state: exhausted ? 'exhausted' : used >= config.lowAt ? 'low' : 'available',
        remaining,
        limit: cap,
        spent,
        held: snap.held,
        utilization: Math.min(1, used),
        ...(limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
        summary: exhausted ? `${usedUp}${reset}` : `${formatUsd(Math.max(0, remaining))} of ${capUsd} ${label} left${reset}`,
        ...(exhausted && { reason: usedUp }),
        limits: [
          {
            name: label,
            status: exhausted ? 'rejected' : used >= config.lowAt ? 'allowed_warning' : 'allowed',
            used: spent,
            cap,
            utilization: Math.min(1, used),
            ...(limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
          },
        ],
        details: { period },
      };
    },

    async reserve(input) {
      const now = ctx.clock.now();
      const limit = limitAt(now);
      const { scopes, day } = ctx.placement(now);
      const result = await ctx.store.reserve({
        account: id,
        key: input.key,
        amount: input.amount,
        ttlMs: input.ttlMs ?? ctx.holdTtlMs,
        now,
        limits: [limit],
        scopes,
        day,
        ...(input.meta && { meta: input.meta }),
      });
      if (!result.ok) {
        throw new DrawdownError(
          ErrorCodes.POOL_EXHAUSTED,
          `${label}: this request needs ${formatUsd(result.requested)} held but only ${formatUsd(Math.max(0, result.available))} is left`,
          { data: { poolId: id, limit: result.limit, available: result.available, requested: result.requested, ...(result.resetsAt !== undefined && { resetsAt: result.resetsAt }) } },
        );
      }
      return { key: input.key, amount: result.hold.amount, expiresAt: result.hold.expiresAt };
    },

    async settle(input) {
      const now = ctx.clock.now();
      const { scopes, day } = ctx.placement(now);
      const result = await ctx.store.settle({ account: id, key: input.key, cost: input.cost, now, scopes, day, ...(input.meta && { meta: input.meta }) });
      const charge = result.charge;
      const crossed: number[] = [];
      const scope = limitAt(now).scope;
      const after = result.totals[scope] ?? 0;
      if (result.status === 'settled') {
        // The settle that carried spend across a threshold announces it: exactly one per crossing, across processes.
        const scaledBefore = BigInt(after - charge.cost) * 1_000_000n;
        const scaledAfter = BigInt(after) * 1_000_000n;
        for (const { share, scaled } of thresholds) if (scaledBefore < scaled && scaledAfter >= scaled) crossed.push(share);
      }
      return {
        status: result.status,
        cost: charge.cost,
        overrun: Math.max(0, charge.cost - charge.held),
        announce() {
          for (const share of crossed) {
            ctx.events.emit('budget.crossed', {
              poolId: id,
              threshold: share,
              spent: after,
              cap,
              message: share >= 1 ? `${usedUp} up` : `${Math.round(share * 100)}% of the ${capUsd} ${label} used`,
              at: now,
            });
          }
        },
      };
    },

    async release(key) {
      await ctx.store.release({ account: id, key, now: ctx.clock.now() });
    },
  };
}
