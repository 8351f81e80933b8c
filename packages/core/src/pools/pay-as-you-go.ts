import { calendarWindow, formatResetTime } from '../calendar.js';
import type { LimitSignal, Pool, PoolStatus } from '../contracts/pool.js';
import type { DrawdownPlugin, PluginContext } from '../contracts/plugin.js';
import type { CapLimit } from '../contracts/store.js';
import { invalidOption } from '../errors.js';
import { formatUsd, type Nanos } from '../money.js';
import { ledgerAccount, usdOption, type AccountLimit } from './ledger-account.js';
import { announceObservedStanding, standingLevels } from './standing-alerts.js';

export interface PayAsYouGoOptions {
  /** Pool id. Default `apiKey`. */
  id?: string;
  /** Our own monthly ceiling for this key, in USD; none when absent (the key's org limits still apply). */
  monthlyCap?: string | number;
  /** After the API refuses for lack of funds, how long the pool counts as exhausted before trying again. Default 10 minutes. */
  cooldownMs?: number;
}

interface Refusal {
  at: number;
  reason: string;
}

/** Whether an error reply means the key's organisation cannot pay (not a transient failure). */
export function isFundsRefusal(signal: LimitSignal): string | undefined {
  if (signal.source !== 'error') return undefined;
  if (signal.status === 402 || signal.errorType === 'billing_error')
    return 'the API key’s organisation is out of funds';
  if (signal.status === 400 && /credit balance is too low/i.test(signal.message ?? ''))
    return 'credit balance is too low';
  if (/enforced_spend_limit_reached/.test(signal.message ?? '')) return 'the organisation’s spend limit is reached';
  return undefined;
}

/**
 * An organisation's pay-as-you-go API key (pool kind `apiKey`): spend is metered and reported; an
 * optional monthly cap is enforced by us; a funds refusal from the API marks the pool exhausted for
 * a cool-down so the router moves on instead of hammering a key that cannot pay.
 */
export function payAsYouGo(options: PayAsYouGoOptions = {}) {
  const id = options.id ?? 'apiKey';
  const owner = `payAsYouGo("${id}")`;
  const cap =
    options.monthlyCap === undefined
      ? undefined
      : usdOption(owner, 'monthlyCap', options.monthlyCap, 'Write it like "250.00", or leave it out.');
  const cooldownMs = options.cooldownMs ?? 10 * 60_000;
  if (!Number.isSafeInteger(cooldownMs) || cooldownMs < 0)
    throw invalidOption(owner, 'cooldownMs', `is ${String(cooldownMs)}`, 'Use milliseconds, like 600000.');
  return {
    id,
    kind: 'pool',
    setup: (ctx: PluginContext) => ({ pool: payAsYouGoPool(ctx, id, cap, cooldownMs) }),
  } satisfies DrawdownPlugin;
}

function payAsYouGoPool(ctx: PluginContext, id: string, cap: Nanos | undefined, cooldownMs: number): Pool {
  const stateKey = `payg:${id}`;
  const monthLimit = (now: number): AccountLimit & CapLimit & { resetsAt: number } => {
    const month = calendarWindow('month', now, ctx.timeZone);
    return {
      kind: 'cap',
      id: 'monthly-cap',
      name: 'monthly cap',
      scope: month.key,
      cap: cap ?? Number.MAX_SAFE_INTEGER,
      resetsAt: month.end,
    };
  };
  const activeAt = (refusal: Refusal | undefined, now: number): Refusal | undefined =>
    refusal && refusal.at + cooldownMs > now ? refusal : undefined;
  const activeRefusal = async (now: number): Promise<Refusal | undefined> =>
    activeAt(await ctx.store.getState<Refusal>(stateKey), now);
  const capReached = cap === undefined ? undefined : `monthly cap of ${formatUsd(cap)} reached`;
  const capLevel =
    cap === undefined ? undefined : standingLevels(ctx, id, { scope: (now) => monthLimit(now).scope, exhausted: cap });

  const account = ledgerAccount(ctx, {
    id,
    // A funds refusal from the API holds the pool back for the cool-down, without asking the store.
    async gate(now) {
      const refusal = await activeRefusal(now);
      return refusal && { message: `${id}: ${refusal.reason}`, limitId: 'funds', resetsAt: refusal.at + cooldownMs };
    },
    limits: (now) => (cap === undefined ? [] : [monthLimit(now)]),
    refusal: ({ available, requested }) =>
      `${id}: monthly cap of ${formatUsd(cap!)} leaves ${formatUsd(Math.max(0, available))}, this request needs ${formatUsd(requested)}`,
    ...(capLevel && {
      crossings: {
        ...capLevel,
        announce(crossing, status) {
          // Reaching the cap while a funds refusal holds the pool back changes nothing: it is exhausted already.
          if (status.reason === capReached) capLevel.announce!(crossing, status);
        },
      },
    }),
    status: async () => statusWith(await activeRefusal(ctx.clock.now())),
  });

  async function statusWith(refusal: Refusal | undefined): Promise<PoolStatus> {
    const now = ctx.clock.now();
    const limit = monthLimit(now);
    const snap = await ctx.store.snapshot({ account: id, now, scopes: [limit.scope] });
    const spent = snap.settled[limit.scope] ?? 0;
    const capped = cap !== undefined && spent >= cap;
    const reason = refusal ? refusal.reason : capped ? capReached : undefined;
    const resetsAt = refusal ? refusal.at + cooldownMs : limit.resetsAt;
    return {
      id,
      kind: 'apiKey',
      state: reason ? 'exhausted' : 'available',
      spent,
      held: snap.held,
      ...(cap !== undefined && {
        limit: cap,
        remaining: cap - spent - snap.held,
        utilization: Math.min(1, spent / cap),
      }),
      ...((reason || cap !== undefined) && { resetsAt }),
      summary: reason
        ? `${reason}; retry ${formatResetTime(resetsAt, ctx.timeZone, now)}`
        : `${formatUsd(spent)} spent this month${cap !== undefined ? ` of ${formatUsd(cap)}` : ''}`,
      ...(reason && { reason }),
    };
  }

  return {
    id,
    kind: 'apiKey',
    announcesAlerts: true,
    ...account,
    async observe(signal) {
      const reason = isFundsRefusal(signal);
      if (!reason) return;
      const now = ctx.clock.now();
      // The refusal this one replaces names the crossing, so processes refused at once announce it once.
      const replaced = await ctx.store.getState<Refusal>(stateKey);
      const before = await statusWith(activeAt(replaced, now));
      const refusal: Refusal = { at: signal.at, reason };
      await ctx.store.setState(stateKey, refusal);
      const after = await statusWith(activeAt(refusal, now));
      await announceObservedStanding(
        ctx,
        id,
        { before: before.state, after: after.state, from: replaced, at: now },
        async () => after,
      );
      await ctx.refreshPool(id);
    },
  };
}
