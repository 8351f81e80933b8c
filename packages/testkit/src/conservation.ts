import {
  defaultRateCard,
  formatUsd,
  toDecimalString,
  type LedgerStore,
  type Nanos,
  type RateCard,
} from '@drawdown/core';
import { isLimitAccount } from '@drawdown/core/internal';
import type { BilledRequest } from './anthropic-server/billing.js';

/** One billed request at its rate-card price. */
export interface PricedBill {
  bill: BilledRequest;
  cost: Nanos;
}

/** One charge of the ledger (a pool account's; limit accounts mirror spend and are left out). */
export interface LedgerCharge {
  account: string;
  key: string;
  cost: Nanos;
  model?: string;
}

/** What `checkConservation` found: the two totals and every request on one side only. */
export interface ConservationReport {
  /** Σ rate-card price of the billing log, nanodollars. */
  billed: Nanos;
  /** Σ charges of the pool accounts, nanodollars. */
  charged: Nanos;
  bills: PricedBill[];
  charges: LedgerCharge[];
  /** Billed requests no charge of the same cost accounts for (never charged, or charged at another price); $0 bills need none. */
  unmatchedBills: PricedBill[];
  /** Charges no billed request of the same cost accounts for (charged twice, or never billed). */
  unmatchedCharges: LedgerCharge[];
  /** True when every billed request is charged exactly once at its rate-card price, and nothing else is. */
  conserved: boolean;
  /** One paragraph for a failing assertion: the totals and what is unmatched. */
  explain(): string;
}

export interface ConservationInput {
  /** The upstream's billing log (`server.billing`); several servers' logs may be concatenated. */
  billing: readonly BilledRequest[];
  /** The ledger to check; every account that is not a limit account is spend. */
  store: Pick<LedgerStore, 'entries'>;
  /** The card that prices the log. Default: the built-in card. */
  rateCard?: RateCard;
  /** When each bill is priced (epoch ms). Default: when it was billed; pass the hub's clock for a test that moves it. */
  pricedAt?: (bill: BilledRequest) => number;
}

/**
 * The conservation oracle: whatever the upstream billed — every turn, background request,
 * aborted or cancelled stream, retry — is in the ledger exactly once at its rate-card price. It
 * prices the billing log independently of the path under test and pairs each bill with one charge
 * of the same cost, so a request charged twice, never, or at another price is named, not hidden in
 * a total. Tests give distinct usages to distinct requests so costs tell them apart.
 */
export async function checkConservation(input: ConservationInput): Promise<ConservationReport> {
  const card = input.rateCard ?? defaultRateCard;
  const bills: PricedBill[] = input.billing.map((bill) => ({
    bill,
    cost: card.price(bill.model, bill.usage, { at: input.pricedAt?.(bill) ?? bill.at }).total,
  }));
  const charges: LedgerCharge[] = (await input.store.entries({ kinds: ['charge'] })).flatMap((entry) =>
    entry.kind === 'charge' && !isLimitAccount(entry.record.account)
      ? [
          {
            account: entry.record.account,
            key: entry.record.key,
            cost: entry.record.cost,
            ...(entry.meta.model !== undefined && { model: entry.meta.model }),
          },
        ]
      : [],
  );
  // A request priced at $0 (a background call that reported no tokens) is no money either way: a
  // path may record it or not. Every other bill needs exactly one charge of its cost.
  const open = new Map<Nanos, LedgerCharge[]>();
  for (const charge of charges)
    if (charge.cost !== 0) open.set(charge.cost, [...(open.get(charge.cost) ?? []), charge]);
  const unmatchedBills: PricedBill[] = [];
  for (const priced of bills) {
    if (priced.cost === 0) continue;
    const same = open.get(priced.cost);
    if (same && same.length > 0) same.shift();
    else unmatchedBills.push(priced);
  }
  const unmatchedCharges = [...open.values()].flat();
  const billed = bills.reduce((sum, b) => sum + b.cost, 0);
  const charged = charges.reduce((sum, c) => sum + c.cost, 0);
  const conserved = unmatchedBills.length === 0 && unmatchedCharges.length === 0 && billed === charged;
  return {
    billed,
    charged,
    bills,
    charges,
    unmatchedBills,
    unmatchedCharges,
    conserved,
    explain() {
      const lines = [
        `billed ${bills.length} requests, $${toDecimalString(billed)}; ledger ${charges.length} charges, $${toDecimalString(charged)}`,
        ...unmatchedBills.map(
          (b) =>
            `  billed, not charged: ${b.bill.model} ${formatUsd(b.cost, 'exact')} (${b.bill.requestId}${b.bill.complete ? '' : ', cut off'})`,
        ),
        ...unmatchedCharges.map(
          (c) => `  charged, not billed: ${c.account}/${c.key} ${c.model ?? ''} ${formatUsd(c.cost, 'exact')}`,
        ),
      ];
      return lines.join('\n');
    },
  };
}

/** Throws with `explain()` unless the ledger conserves the billing log: for any test runner. */
export async function assertConserved(input: ConservationInput): Promise<ConservationReport> {
  const report = await checkConservation(input);
  if (!report.conserved) throw new Error(`money is not conserved:\n${report.explain()}`);
  return report;
}
