import { calendarWindow, formatResetTime, formatUsd, invalidOption, ledgerAccount } from '@drawdown/core';
import { poolIdOption, shareOf, usdOption } from '@drawdown/core';
import type { AccountLimit, DrawdownPlugin, Nanos, PluginContext, Pool } from '@drawdown/core';

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
  const id = poolIdOption(owner, options?.id, 'invoice');
  const creditLine = usdOption(owner, 'creditLine', options.creditLine, 'Write it like "250.00".');
  const warnAt = options.warnAt ?? 0.9;
  if (!(warnAt > 0 && warnAt <= 1))
    throw invalidOption(owner, 'warnAt', `is ${warnAt}`, 'Use a share between 0 and 1, like 0.9.');
  const setup = (ctx: PluginContext) => ({ pool: invoicePool(ctx, id, creditLine, warnAt) });
  return { id, kind: 'pool', setup } satisfies DrawdownPlugin;
}

function invoicePool(ctx: PluginContext, id: string, creditLine: Nanos, warnAt: number): Pool {
  // The month in the hub's time zone is the billing period: its window key is the ledger scope.
  const creditLineAt = (now: number): AccountLimit => {
    const month = calendarWindow('month', now, ctx.timeZone);
    const name = 'invoice credit line';
    return { kind: 'cap', id: 'credit-line', name, scope: month.key, cap: creditLine, resetsAt: month.end };
  };
  const near = ({ spent, at }: { spent: Nanos; at: number }) => {
    const message = `${formatUsd(spent)} of the ${formatUsd(creditLine)} credit line used`;
    ctx.events.emit('invoice.near-limit', { poolId: id, spent, creditLine, message, at });
  };

  // The hold, the atomic check, the refusal, the crossing and the status: declared, not written.
  const account = ledgerAccount(ctx, {
    id,
    kind: 'invoice',
    limits: (now) => [creditLineAt(now)],
    refusal: ({ available, requested }) =>
      `invoice account "${id}": ${formatUsd(requested)} does not fit in the ${formatUsd(Math.max(0, available))} left on the credit line`,
    crossings: {
      scope: (now) => calendarWindow('month', now, ctx.timeZone).key,
      levels: [shareOf(creditLine, warnAt)],
      announce: near,
    },
    wording: ({ spent, limit, now }) => ({
      summary: `${formatUsd(spent)} of the ${formatUsd(creditLine)} credit line used; invoiced ${formatResetTime(limit.resetsAt!, ctx.timeZone, now)}`,
      reason: `the ${formatUsd(creditLine)} credit line is used up until the invoice clears it`,
    }),
  });
  return { id, kind: 'invoice', ...account };
}
