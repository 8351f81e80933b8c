import { calendarWindow, formatResetTime, type CalendarPeriod } from '../calendar.js';
import type { Pool, PoolStatus } from '../contracts/pool.js';
import type { DrawdownPlugin, PluginContext } from '../contracts/plugin.js';
import type { CapLimit } from '../contracts/store.js';
import { invalidOption } from '../errors.js';
import { formatUsd, type Nanos } from '../money.js';
import { ledgerAccount, poolIdOption, shareOf, usdOption, type AccountLimit } from './ledger-account.js';
import { standingLevels } from './standing-alerts.js';

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
  const id = poolIdOption(owner, options?.id, 'trial');
  const cap = usdOption(owner, 'amount', options.amount, 'Write it like "10.00".');
  const period = options.period ?? 'lifetime';
  if (!['lifetime', 'day', 'week', 'month'].includes(period)) {
    throw invalidOption(owner, 'period', `is "${String(period)}"`, 'Use "lifetime", "day", "week" or "month".');
  }
  const lowAt = options.lowAt ?? 0.8;
  if (!(lowAt > 0 && lowAt <= 1))
    throw invalidOption(owner, 'lowAt', `is ${lowAt}`, 'Use a share between 0 and 1, like 0.8.');
  const alertsAt = [...(options.alertsAt ?? [0.5, 0.8, 1])].sort((a, b) => a - b);
  for (const [i, share] of alertsAt.entries()) {
    if (!(share > 0 && share <= 1))
      throw invalidOption(owner, `alertsAt[${i}]`, `is ${share}`, 'Use shares between 0 and 1.');
  }
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
  const lifetimeLimit: AccountLimit = { kind: 'cap', id: 'cap', name: label, scope: 'lifetime', cap };
  const limitAt = (now: number): AccountLimit & CapLimit => {
    if (period === 'lifetime') return lifetimeLimit as AccountLimit & CapLimit;
    const window = calendarWindow(period, now, ctx.timeZone);
    return { kind: 'cap', id: 'cap', name: label, scope: window.key, cap, resetsAt: window.end };
  };

  const lowLevel = shareOf(cap, config.lowAt);
  const scope = (now: number) => limitAt(now).scope;

  const account = ledgerAccount(ctx, {
    id,
    limits: (now) => [limitAt(now)],
    refusal: ({ available, requested }) =>
      `${label}: this request needs ${formatUsd(requested)} held but only ${formatUsd(Math.max(0, available))} is left`,
    crossings: [
      {
        scope,
        levels: config.alertsAt.map((share) => shareOf(cap, share)),
        announce({ index, spent, at }) {
          const share = config.alertsAt[index]!;
          ctx.events.emit('budget.crossed', {
            poolId: id,
            threshold: share,
            spent,
            cap,
            message: share >= 1 ? `${usedUp} up` : `${Math.round(share * 100)}% of the ${capUsd} ${label} used`,
            at,
          });
        },
      },
      // After its thresholds, as the pool's standing follows from what they report.
      standingLevels(ctx, id, { scope, low: lowLevel, exhausted: cap }),
    ],
    status,
  });

  return { id, kind: 'budget', announcesAlerts: true, ...account };

  async function status(): Promise<PoolStatus> {
    const now = ctx.clock.now();
    const limit = limitAt(now);
    const snap = await ctx.store.snapshot({ account: id, now, scopes: [limit.scope] });
    const spent = snap.settled[limit.scope] ?? 0;
    const remaining = cap - spent - snap.held;
    const exhausted = spent >= cap;
    // The standing's levels themselves, so status and announcements agree to the nanodollar.
    const low = spent >= lowLevel;
    const used = spent / cap;
    const reset = limit.resetsAt === undefined ? '' : `; resets ${formatResetTime(limit.resetsAt, ctx.timeZone, now)}`;
    return {
      id,
      kind: 'budget',
      state: exhausted ? 'exhausted' : low ? 'low' : 'available',
      remaining,
      limit: cap,
      spent,
      held: snap.held,
      utilization: Math.min(1, used),
      ...(limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
      summary: exhausted
        ? `${usedUp}${reset}`
        : `${formatUsd(Math.max(0, remaining))} of ${capUsd} ${label} left${reset}`,
      ...(exhausted && { reason: usedUp }),
      limits: [
        {
          name: label,
          status: exhausted ? 'rejected' : low ? 'allowed_warning' : 'allowed',
          used: spent,
          cap,
          utilization: Math.min(1, used),
          ...(limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
        },
      ],
      details: { period },
    };
  }
}
