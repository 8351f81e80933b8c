import { DrawdownError, ErrorCodes, calendarWindow, formatResetTime, formatUsd, invalidOption, usd } from '@drawdown/core';
import type { CapLimit, DrawdownPlugin, Nanos, PluginContext, Pool, PoolStatus } from '@drawdown/core';

declare module '@drawdown/core' {
  interface DrawdownEvents {
    /** Spend on an invoice account crossed its warning share of the credit line. Once per crossing. */
    'invoice.near-limit': { poolId: string; spent: Nanos; creditLine: Nanos; message: string; at: number };
  }
}

export interface InvoiceAccountOptions {
  /** Pool id used in routes. */
  id: string;
  /** What may be spent per calendar month before the invoice clears it, in USD: "250.00". */
  creditLine: string;
  /** Share of the credit line that raises `invoice.near-limit`. Default 0.9. */
  warnAt?: number;
}

/** A postpaid account: requests run on a monthly credit line that the invoice clears at month end. */
export function invoiceAccount(options: InvoiceAccountOptions) {
  const owner = `invoiceAccount("${options?.id ?? ''}")`;
  if (!options || !/^[a-z0-9][a-z0-9._-]*$/i.test(options.id ?? '')) throw invalidOption(owner, 'id', 'is missing or malformed', 'Use a short name like "invoice".');
  let creditLine: Nanos;
  try {
    creditLine = usd(options.creditLine);
  } catch {
    throw invalidOption(owner, 'creditLine', `is ${JSON.stringify(options.creditLine)}, not a USD amount`, 'Write it like "250.00".');
  }
  if (creditLine <= 0) throw invalidOption(owner, 'creditLine', 'must be more than zero', 'Write it like "250.00".');
  const warnAt = options.warnAt ?? 0.9;
  if (!(warnAt > 0 && warnAt <= 1)) throw invalidOption(owner, 'warnAt', `is ${warnAt}`, 'Use a share between 0 and 1, like 0.9.');
  const id = options.id;
  return { id, kind: 'pool', setup: (ctx: PluginContext) => ({ pool: invoicePool(ctx, id, creditLine, warnAt) }) } satisfies DrawdownPlugin;
}

function invoicePool(ctx: PluginContext, id: string, creditLine: Nanos, warnAt: number): Pool {
  // The month in the hub's time zone is the billing period: its window key is the ledger scope.
  const limitAt = (now: number): CapLimit => {
    const month = calendarWindow('month', now, ctx.timeZone);
    return { kind: 'cap', name: 'invoice credit line', scope: month.key, cap: creditLine, resetsAt: month.end };
  };
  return {
    id,
    kind: 'invoice',
    async status(): Promise<PoolStatus> {
      const now = ctx.clock.now();
      const limit = limitAt(now);
      const snap = await ctx.store.snapshot({ account: id, now, scopes: [limit.scope] });
      const spent = snap.settled[limit.scope] ?? 0;
      const exhausted = spent >= creditLine;
      const resets = formatResetTime(limit.resetsAt!, ctx.timeZone, now);
      return {
        id,
        kind: 'invoice',
        state: exhausted ? 'exhausted' : spent >= creditLine * warnAt ? 'low' : 'available',
        spent,
        held: snap.held,
        remaining: creditLine - spent - snap.held,
        limit: creditLine,
        utilization: Math.min(1, spent / creditLine),
        resetsAt: limit.resetsAt!,
        summary: `${formatUsd(spent)} of the ${formatUsd(creditLine)} credit line used; invoiced ${resets}`,
        ...(exhausted && { reason: `the ${formatUsd(creditLine)} credit line is used up until the invoice clears it` }),
      };
    },
    async reserve(input) {
      const now = ctx.clock.now();
      const { scopes, day } = ctx.placement(now);
      const result = await ctx.store.reserve({ account: id, key: input.key, amount: input.amount, ttlMs: input.ttlMs ?? ctx.holdTtlMs, now, limits: [limitAt(now)], scopes, day, ...(input.meta && { meta: input.meta }) });
      if (!result.ok) {
        throw new DrawdownError(ErrorCodes.POOL_EXHAUSTED, `invoice account "${id}": ${formatUsd(result.requested)} does not fit in the ${formatUsd(Math.max(0, result.available))} left on the credit line`, {
          data: { poolId: id, limit: result.limit, available: result.available, requested: result.requested, ...(result.resetsAt !== undefined && { resetsAt: result.resetsAt }) },
        });
      }
      return { key: input.key, amount: result.hold.amount, expiresAt: result.hold.expiresAt };
    },
    async settle(input) {
      const now = ctx.clock.now();
      const { scopes, day } = ctx.placement(now);
      const result = await ctx.store.settle({ account: id, key: input.key, cost: input.cost, now, scopes, day, ...(input.meta && { meta: input.meta }) });
      const after = result.totals[limitAt(now).scope] ?? 0;
      const warning = creditLine * warnAt;
      // Only the settle that carried spend across the line announces it, so it fires once even across processes.
      const crossed = result.status === 'settled' && after - result.charge.cost < warning && after >= warning;
      return {
        status: result.status,
        cost: result.charge.cost,
        overrun: Math.max(0, result.charge.cost - result.charge.held),
        announce: () => {
          if (crossed) ctx.events.emit('invoice.near-limit', { poolId: id, spent: after, creditLine, message: `${formatUsd(after)} of the ${formatUsd(creditLine)} credit line used`, at: now });
        },
      };
    },
    async release(key) {
      await ctx.store.release({ account: id, key, now: ctx.clock.now() });
    },
  };
}
